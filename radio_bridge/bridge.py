"""Building the radio side from settings: an embedded murmurd when asked, the link, its workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app import DispatchApp
from bot.services.radio_state import radio_changed
from bot.settings import Settings
from radio_bridge.errors import RadioError

if TYPE_CHECKING:  # loaded by start_radio only when the radio is on (pymumble, protobuf: slow imports)
    from radio_bridge.delivery import RadioDelivery
    from radio_bridge.link import RadioLink
    from radio_bridge.murmur import EmbeddedMurmur

log = logging.getLogger(__name__)
DOWN_GRACE = 3.0  # a blip shorter than this is not worth a message to the call takers


@dataclass
class RadioRuntime:
    link: RadioLink
    delivery: RadioDelivery
    murmur: EmbeddedMurmur | None = None
    workers: list[Any] = field(default_factory=list)

    async def stop(self) -> None:
        await self.link.stop()
        if self.murmur is not None:
            await self.murmur.stop()


class _StateWatch:
    def __init__(self, app: DispatchApp, delivery: RadioDelivery) -> None:
        self.app = app
        self.delivery = delivery
        self.told_down = False
        self._pending: asyncio.Task[None] | None = None

    async def changed(self, connected: bool) -> None:
        self.app.radio_connected = connected
        if connected:
            if self._pending is not None:
                self._pending.cancel()
                self._pending = None
            if self.told_down:
                self.told_down = False
                await radio_changed(self.app, True)
            self.delivery.wake()
        elif self._pending is None and not self.told_down:
            self._pending = asyncio.create_task(self._tell_down())

    async def _tell_down(self) -> None:
        await asyncio.sleep(DOWN_GRACE)
        self._pending = None
        if not self.app.radio_connected:
            self.told_down = True
            await radio_changed(self.app, False)


def _embedded_secret(settings: Settings) -> tuple[Path, str]:
    data_dir = Path(settings.mumble.data_dir).absolute()
    return data_dir, _superuser_password(settings, data_dir)


def _murmurd_installed() -> bool:
    return shutil.which("murmurd") is not None or Path("/usr/sbin/murmurd").exists()


def _superuser_password(settings: Settings, data_dir: Path) -> str:
    given = settings.mumble.superuser_password.get_secret_value()
    if given:
        return given
    stored = data_dir / "superuser.secret"
    if stored.exists():
        return stored.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    stored.write_text(password)
    stored.chmod(0o600)
    return password


async def start_radio(app: DispatchApp, settings: Settings) -> RadioRuntime | None:
    mumble = settings.mumble
    if not mumble.enabled:
        return None
    from radio_bridge.delivery import RadioDelivery
    from radio_bridge.field import FieldCommands
    from radio_bridge.link import RadioLink
    from radio_bridge.murmur import EmbeddedMurmur

    murmur: EmbeddedMurmur | None = None
    superuser = mumble.superuser_password.get_secret_value() or None
    if mumble.embedded:
        if not _murmurd_installed():
            log.error("radio: murmurd tidak terpasang (apt-get install mumble-server); radio dimatikan")
            return None
        data_dir, secret = await asyncio.to_thread(_embedded_secret, settings)
        superuser = secret
        murmur = EmbeddedMurmur(data_dir / "server", mumble.port, secret, host=mumble.host)
        try:
            await murmur.start()
        except (RadioError, OSError) as exc:
            log.error("radio: murmurd lokal gagal dijalankan (%s); Telegram tetap berjalan", exc)
            murmur = None
    channels = (
        [mumble.dispatch_channel]
        + [a.mumble_channel for a in settings.agencies.values() if a.mumble_channel]
        + ([settings.handoff.mumble_channel] if settings.handoff.mumble_channel else [])
    )
    holder: dict[str, Any] = {}

    async def on_message(message: Any) -> None:
        await holder["field"].on_message(message)

    async def on_state(connected: bool) -> None:
        await holder["watch"].changed(connected)

    link = RadioLink(
        host=mumble.host, port=mumble.port, username=mumble.username, password=mumble.password.get_secret_value(),
        certfile=mumble.certfile, keyfile=mumble.keyfile, channels=channels, on_message=on_message,
        on_state=on_state, superuser_password=superuser,
    )  # fmt: skip
    delivery = RadioDelivery(app, link)
    holder["field"] = FieldCommands(app, link)
    holder["watch"] = _StateWatch(app, delivery)
    app.radio_enabled = True
    app.wake_radio = delivery.wake
    await link.start()
    return RadioRuntime(link, delivery, murmur, [delivery.run()])


async def stop_radio(runtime: RadioRuntime | None) -> None:
    if runtime is not None:
        with contextlib.suppress(Exception):
            await runtime.stop()
