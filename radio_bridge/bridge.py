"""Building the radio side from settings: an embedded murmurd when asked, the link, its workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app import DispatchApp
from bot.services.radio_state import radio_changed
from bot.settings import Settings
from radio_bridge.errors import RadioError
from radio_bridge.secret_files import private_dir, stored_secret

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
    voice: Any = None  # radio_bridge.voice.VoiceBridge when [radio] voice is on

    async def stop(self) -> None:
        await self.link.stop()
        if self.voice is not None:
            await self.voice.stop()  # transmissions still open are stored, not lost
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


@dataclass(frozen=True)
class EmbeddedSecrets:
    data_dir: Path
    superuser: str
    server: str
    server_file: Path | None  # where the generated server password is kept (None: given in the environment)


def _embedded_secret(settings: Settings) -> EmbeddedSecrets:
    """The embedded murmurd's SuperUser and server passwords: from the environment, else generated
    once into 0600 files in the (0700) data folder."""
    data_dir = private_dir(Path(settings.mumble.data_dir).absolute())
    superuser = settings.mumble.superuser_password.get_secret_value()
    if not superuser:
        superuser = stored_secret(data_dir / "superuser.secret")
    server = settings.mumble.password.get_secret_value()
    server_file = None
    if not server:
        server_file = data_dir / "server.secret"
        server = stored_secret(server_file)
    return EmbeddedSecrets(data_dir, superuser, server, server_file)


def _murmurd_installed() -> bool:
    return shutil.which("murmurd") is not None or Path("/usr/sbin/murmurd").exists()


def _tell_where_the_password_is(secrets: EmbeddedSecrets, host: str, port: int) -> None:
    # The password itself never goes to the log; whoever may read the file may hand it out.
    where = f"berkas {secrets.server_file} (cat {secrets.server_file})" if secrets.server_file \
        else "DISPATCH_MUMBLE__PASSWORD"  # fmt: skip
    log.info(
        "radio: server Mumble lokal %s:%d memakai kata sandi server dari %s. Tim lapangan: sambung dengan "
        "kata sandi itu, lalu Self-Register (dengan sertifikat) dan minta nama Anda dipetakan di [mumble.users]",
        host, port, where,
    )  # fmt: skip


async def start_radio(app: DispatchApp, settings: Settings) -> RadioRuntime | None:
    mumble = settings.mumble
    if not mumble.enabled:
        return None
    from radio_bridge.delivery import RadioDelivery
    from radio_bridge.field import FieldCommands
    from radio_bridge.link import RadioLink
    from radio_bridge.murmur import EmbeddedMurmur
    from radio_bridge.voice import start_voice

    murmur: EmbeddedMurmur | None = None
    superuser = mumble.superuser_password.get_secret_value() or None
    password = mumble.password.get_secret_value()
    if mumble.embedded:
        if not _murmurd_installed():
            log.error("radio: murmurd tidak terpasang (apt-get install mumble-server); radio dimatikan")
            return None
        secrets = await asyncio.to_thread(_embedded_secret, settings)
        superuser, password = secrets.superuser, secrets.server
        murmur = EmbeddedMurmur(secrets.data_dir / "server", mumble.port, superuser, host=mumble.host,
                                server_password=password)  # fmt: skip
        _tell_where_the_password_is(secrets, mumble.host, mumble.port)
        try:
            await murmur.start()
        except (RadioError, OSError) as exc:
            log.error("radio: murmurd lokal gagal dijalankan (%s); Telegram tetap berjalan", exc)
            murmur = None
    channels = [mumble.dispatch_channel] + [
        g.mumble_channel for g in app.roster.groups.values() if g.mumble_channel
    ]
    holder: dict[str, Any] = {}

    async def on_message(message: Any) -> None:
        await holder["field"].on_message(message)

    async def on_state(connected: bool) -> None:
        await holder["watch"].changed(connected)

    async def on_dropped(dropped: dict[str, int]) -> None:
        await holder["field"].on_dropped(dropped)

    voice = start_voice(app, settings)
    link = RadioLink(
        host=mumble.host, port=mumble.port, username=mumble.username, password=password,
        certfile=mumble.certfile, keyfile=mumble.keyfile, channels=channels, on_message=on_message,
        on_state=on_state, superuser_password=superuser, on_dropped=on_dropped,
        on_sound=voice.frame if voice else None, fence=lambda: app.fence(),
    )  # fmt: skip
    delivery = RadioDelivery(app, link)
    holder["field"] = FieldCommands(app, link)
    holder["watch"] = _StateWatch(app, delivery)
    app.radio_enabled = True
    app.wake_radio = delivery.wake
    await link.start()
    # Callables, so the watchdog can restart a worker that failed; voice's run as they are.
    workers: list[Any] = [delivery.run]
    if voice is not None:
        workers += voice.attach(link)
    return RadioRuntime(link, delivery, murmur, workers, voice)


async def stop_radio(runtime: RadioRuntime | None) -> None:
    if runtime is not None:
        with contextlib.suppress(Exception):
            await runtime.stop()
