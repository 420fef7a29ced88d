"""Settings contract (DESIGN.md section 4): settings.toml or $DISPATCH_SETTINGS, env overrides."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as PydanticSettingsError

from bot.settings_base import clock_time, hour_minute
from bot.settings_parts import (
    BackupSettings,
    GroupsSettings,
    HandoffSettings,
    HttpSettings,
    PanicSettings,
    PrankSettings,
    ReportSettings,
    RollcallSettings,
    SandboxSettings,
    WatchdogSettings,
)
from storage.targets import is_postgres

__all__ = [
    "BackupSettings", "GroupsSettings", "HandoffSettings", "HttpSettings", "PanicSettings", "PrankSettings",
    "ReportSettings", "RollcallSettings", "SandboxSettings", "Settings", "SettingsError", "WatchdogSettings",
    "load_settings",
]  # fmt: skip

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "settings.toml"


class SettingsError(Exception):
    """One line naming the key and the problem; start-up exits with status 2."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramSettings(_Section):
    token: SecretStr = SecretStr("")
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    poll_timeout: int = Field(default=20, ge=0, le=50)

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or value.endswith("/"):
            raise ValueError(
                "harus berupa URL http(s) tanpa garis miring di akhir, mis. http://127.0.0.1:8081/bot"
            )
        return value


class StorageSettings(_Section):
    # `sqlite:///var/dispatch.sqlite3` (relative; four slashes for an absolute path) or
    # `postgresql://user@host:port/db` (asyncpg; the password from PGPASSWORD or ~/.pgpass, never here).
    # Unset: the SQLite file at `path`.
    url: str | None = None
    path: str = "var/dispatch.sqlite3"
    # Handled Telegram updates and delivered (or superseded, failed) outbox rows are deleted after
    # this many days; the audit events are kept.
    keep_days: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _url_sets_the_backend(self) -> StorageSettings:
        if self.url is None:
            return self
        if self.url.startswith("sqlite:///"):
            self.path = self.url.removeprefix("sqlite:///")
            if not self.path:
                raise ValueError("url sqlite:/// tanpa nama berkas")
        elif is_postgres(self.url):
            if "@" in self.url and ":" in self.url.split("://", 1)[1].split("@", 1)[0]:
                raise ValueError("kata sandi jangan di url: pakai PGPASSWORD atau ~/.pgpass")
        else:
            raise ValueError("harus sqlite:///BERKAS atau postgresql://user@host:port/db")
        return self

    @property
    def postgres(self) -> bool:
        return self.url is not None and is_postgres(self.url)

    @property
    def target(self) -> str:
        """What storage.db.connect opens: the PostgreSQL URL or the SQLite file's path."""
        return self.url if self.postgres and self.url is not None else self.path


class AccessSettings(_Section):
    call_takers: list[int] = []
    supervisors: list[int] = []
    admins: list[int] = []


class ChatsSettings(_Section):
    call_takers: int | None = None
    supervisors: int | None = None


class AgencySettings(_Section):
    chat_id: int | None = None
    mumble_channel: str | None = None
    phone: str | None = None  # shown in the "phone this agency" notice when its group cannot be reached


class MumbleSettings(_Section):
    enabled: bool = True
    embedded: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=64738, ge=1, le=65535)
    username: str = "Dispatch112"
    password: SecretStr = SecretStr("")  # server password; the embedded murmurd gets it or makes one
    superuser_password: SecretStr = SecretStr("")
    certfile: str | None = None
    keyfile: str | None = None
    dispatch_channel: str = "Dispatch"
    data_dir: str = "var/murmur"
    stale_after: int = Field(default=600, ge=0)
    users: dict[str, str] = {}  # registered Mumble name, or certificate SHA-1 hash -> agency code


class RadioVoiceSettings(_Section):
    """Voice over the radio bridge (issue 10): field transmissions to Telegram, voice notes to Mumble."""

    voice: bool = True
    voice_dir: str = ""  # voice log audio (0600 in a 0700 folder); "" = voice/ beside the database
    voice_retention_days: int = Field(default=30, ge=1)
    silence_cut: float = Field(default=0.8, gt=0.1, le=5.0)  # a transmission ends after this much quiet
    min_seconds: float = Field(default=0.5, ge=0)  # shorter transmissions are blips, not forwarded
    max_seconds: float = Field(default=60.0, ge=5, le=300)  # longer ones are split into several notes
    max_download_mb: float = Field(default=20.0, gt=0, le=20.0)  # getFile's limit


class RoutingSettings(_Section):
    path: str | None = None


class PrivacySettings(_Section):
    phone_retention_days: int = Field(default=90, ge=1)


class EscalationSettings(_Section):
    """Seconds per priority (P1, P2, P3), all measured from the card being sent, except arrive_*.
    ack_*: not acknowledged yet, the card is re-posted (ULANG) and re-announced on the radio;
    alert_*: still not acknowledged, the supervisors and the call taker are alerted;
    arrive_*: en_route without on_scene that long (from en_route) alerts them too; unset = off."""

    enabled: bool = True
    ack_p1: float = Field(default=60, gt=0)
    ack_p2: float = Field(default=300, gt=0)
    ack_p3: float = Field(default=1800, gt=0)
    alert_p1: float = Field(default=180, gt=0)
    alert_p2: float = Field(default=900, gt=0)
    alert_p3: float = Field(default=7200, gt=0)
    arrive_p1: float | None = Field(default=None, gt=0)
    arrive_p2: float | None = Field(default=None, gt=0)
    arrive_p3: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _alert_after_ack(self) -> EscalationSettings:
        for p in (1, 2, 3):
            if self.alert(p) <= self.ack(p):
                raise ValueError(f"alert_p{p} harus lebih lama dari ack_p{p} (keduanya sejak kartu dikirim)")
        return self

    def ack(self, priority: int) -> float:
        return float(getattr(self, f"ack_p{priority}"))

    def alert(self, priority: int) -> float:
        return float(getattr(self, f"alert_p{priority}"))

    def arrive(self, priority: int) -> float | None:
        value: float | None = getattr(self, f"arrive_p{priority}")
        return value


class DigestSettings(_Section):
    """Daily digest to the supervisors' chat at `time` (WIB) for the day before; monthly report on the 1st."""

    enabled: bool = True
    time: str = "07:00"
    monthly: bool = True
    open_overdue_hours: float = Field(default=12, gt=0)

    @field_validator("time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        return clock_time(value)

    @property
    def hour_minute(self) -> tuple[int, int]:
        return hour_minute(self.time)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DISPATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    timezone: str = "Asia/Jakarta"
    telegram: TelegramSettings = TelegramSettings()
    storage: StorageSettings = StorageSettings()
    access: AccessSettings = AccessSettings()
    chats: ChatsSettings = ChatsSettings()
    agencies: dict[str, AgencySettings] = {}
    mumble: MumbleSettings = MumbleSettings()
    radio: RadioVoiceSettings = RadioVoiceSettings()
    routing: RoutingSettings = RoutingSettings()
    privacy: PrivacySettings = PrivacySettings()
    escalation: EscalationSettings = EscalationSettings()
    digest: DigestSettings = DigestSettings()
    backup: BackupSettings = BackupSettings()
    http: HttpSettings = HttpSettings()
    panic: PanicSettings = PanicSettings()
    prank: PrankSettings = PrankSettings()
    handoff: HandoffSettings = HandoffSettings()
    report: ReportSettings = ReportSettings()
    groups: GroupsSettings = GroupsSettings()
    rollcall: RollcallSettings = RollcallSettings()
    watchdog: WatchdogSettings = WatchdogSettings()
    sandbox: SandboxSettings = SandboxSettings()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"zona waktu tidak dikenal: {value}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=settings_file())
        return (init_settings, env_settings, toml)


def settings_file() -> Path:
    return Path(os.environ.get("DISPATCH_SETTINGS") or DEFAULT_FILE)


def load_settings() -> Settings:
    """Read and validate; every problem becomes a SettingsError naming its key."""
    path = settings_file()
    if not path.is_file():
        raise SettingsError("DISPATCH_SETTINGS", f"berkas pengaturan tidak ditemukan: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(str(path), f"TOML tidak valid: {exc}") from None
    _refuse_secrets_in_file(raw)
    _refuse_panic_tokens_in_file(raw)
    try:
        return Settings()
    except PydanticSettingsError as exc:  # an env value that should be JSON and is not
        raise SettingsError(_env_key(str(exc)), f"nilai env bukan JSON yang valid ({exc})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "settings"
        message = error["msg"].removeprefix("Value error, ")
        raise SettingsError(key, message) from None


def _refuse_secrets_in_file(raw: dict[str, Any]) -> None:
    secrets = (("telegram", "token"), ("mumble", "password"), ("mumble", "superuser_password"))
    for section, key in secrets:
        if str(raw.get(section, {}).get(key, "")):
            env = f"DISPATCH_{section.upper()}__{key.upper()}"
            raise SettingsError(f"{section}.{key}", f"rahasia tidak boleh di berkas; isi lewat env {env}")


def _refuse_panic_tokens_in_file(raw: dict[str, Any]) -> None:
    panic = raw.get("panic", {})
    if isinstance(panic, dict) and "tokens" in panic:
        raise SettingsError(
            "panic.tokens",
            "token aplikasi tidak boleh di berkas; isi lewat env DISPATCH_PANIC__TOKENS (JSON)",
        )


def _env_key(message: str) -> str:
    """'error parsing value for field "panic" from source ...' -> 'panic' (the section at fault)."""
    _, _, rest = message.partition('field "')
    return rest.partition('"')[0] or "env"
