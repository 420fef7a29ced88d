"""The settings sections of the product's later parts (backups, HTTP, panic, prank callers, hand-off,
the report document, groups, roll-call, watchdog, sandbox). bot/settings.py assembles them with the
core sections into the one Settings contract; import them from there."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from bot.settings_base import clock_time, hour_minute


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BackupSettings(_Section):
    """A daily online copy of the database into `dir` (default: `backups/` beside the database) at `time`
    (WIB); the newest `keep` copies are kept."""

    enabled: bool = True
    dir: str = ""
    keep: int = Field(default=7, ge=1)
    time: str = "02:30"

    @field_validator("time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        return clock_time(value)

    @property
    def hour_minute(self) -> tuple[int, int]:
        return hour_minute(self.time)


class HttpSettings(_Section):
    """The product's one HTTP server (web/): the panic API now; console, /healthz, /metrics later."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8081, ge=1, le=65535)


class PanicSettings(_Section):
    """POST /api/v1/panic. tokens: client app name -> bearer token, from env only, as JSON:
    DISPATCH_PANIC__TOKENS='{"blitar_in_hand": "..."}'. Limits: accepted requests per window."""

    tokens: dict[str, SecretStr] = {}
    per_phone: int = Field(default=3, ge=1)
    per_phone_window: float = Field(default=600, gt=0)
    per_app: int = Field(default=30, ge=1)
    per_app_window: float = Field(default=60, gt=0)

    @field_validator("tokens")
    @classmethod
    def _usable_tokens(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, token in value.items():
            if len(token.get_secret_value()) < 16:
                raise ValueError(f"token aplikasi {name!r} terlalu pendek (minimal 16 karakter)")
        return value


class PrankSettings(_Section):
    """Prank and ghost callers: the history shown to the call taker, the block proposal, the ladder."""

    history_days: int = Field(default=30, ge=1)
    threshold: int = Field(default=3, ge=1)  # prank + ghost calls from one number in threshold_days
    threshold_days: int = Field(default=7, ge=1)
    first_block_hours: float = Field(default=24, gt=0)
    second_block_hours: float = Field(default=72, gt=0)
    ladder_days: int = Field(default=90, ge=1)  # earlier blocks within this many days set the next step


class HandoffSettings(_Section):
    """The Telegram group shared with Kabupaten Blitar 112; unset chat_id = hand-offs only recorded.
    repeat_after: an unanswered card is re-posted (ULANG); alert_after: the supervisors and the call
    taker are alerted (both seconds from the first card)."""

    chat_id: int | None = None
    mumble_channel: str | None = None
    repeat_after: float = Field(default=300, gt=0)
    alert_after: float = Field(default=900, gt=0)

    @model_validator(mode="after")
    def _alert_after_repeat(self) -> HandoffSettings:
        if self.alert_after <= self.repeat_after:
            raise ValueError("alert_after harus lebih lama dari repeat_after")
        return self


class ReportSettings(_Section):
    """The report document (`report --format docx`, `/laporan ... docx`): its title block and the
    service-level standard its sentence compares the period's figure with (the seed: 95%, Kominfo RI)."""

    name: str = Field(default="Call Center 112 Kota Blitar", min_length=1)
    organisation: str = "Dinas Komunikasi, Informatika dan Statistik Kota Blitar"
    area: str = Field(default="Kota Blitar", min_length=1)  # "... ditangani di Kota Blitar"
    sla_target: float = Field(default=95, ge=0, le=100)


class GroupsSettings(_Section):
    """A group the bot was added to but nobody bound: it leaves after this many hours."""

    unbound_leave_hours: float = Field(default=24, gt=0)


class RollcallSettings(_Section):
    """Readiness roll-call (apel siaga) at these WIB times; the supervisors get one summary after `window` s."""

    enabled: bool = True
    times: list[str] = ["07:00", "15:00", "23:00"]
    window: float = Field(default=600, gt=0)

    @field_validator("times")
    @classmethod
    def _clock_times(cls, value: list[str]) -> list[str]:
        for item in value:
            clock_time(item)
        return value


class WatchdogSettings(_Section):
    """Staying up: a problem lasting longer than alert_after (seconds) is raised to the admins; a failed
    worker is restarted after at most restart_max seconds; a wall clock jump over clock_step is a step."""

    alert_after: float = Field(default=60.0, gt=0)
    restart_max: float = Field(default=60.0, gt=0)
    clock_step: float = Field(default=5.0, gt=0)


class SandboxSettings(_Section):
    """The sandbox (`make run` without a token, `run.py --sandbox`): its console's address, and
    `training`, set only by the sandbox, which marks every card and radio post LATIHAN."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    training: bool = False
