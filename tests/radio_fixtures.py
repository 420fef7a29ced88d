"""Pytest plugin for radio tests: a real murmurd per test and a field-user client.

Start-up cost measured on this machine: creating a fresh murmurd database takes
~1 s (murmurd benchmarks PBKDF2 on first use), a restart on an existing database
~0.3 s. So one template database with the channels is built once per session
and copied into each test's folder; each test then gets its own server and
port (~0.5 s) and may kill it freely.

The servers have a server password and murmur's default text limits, as in
production. Field users are registered: ``Listener`` connects with a
self-signed certificate per name (made once per session with ``openssl``) and
self-registers on first connect, as a field team does with a Mumble client;
``impostor()`` makes an unregistered client (it knows the server password).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from radio_bridge.admin import connect, wait_channel
from radio_bridge.client import BridgeMumble, C
from radio_bridge.murmur import MURMURD, EmbeddedMurmur, free_port
from sandbox.radio import field_cert as make_field_cert

CHANNELS = ["Dispatch", "Damkar", "Polres"]
SUPERUSER_PASSWORD = "rahasia-uji"
SERVER_PASSWORD = "sandi-server-uji"
HOST = "127.0.0.1"
# A server as an operator might have configured it: text limits raised far above murmur's default.
GENEROUS_TEXT_LIMITS = {"messageburst": "200", "messagelimit": "100"}
_CERTS: list[Path] = []  # made on first use, removed at exit


def _cert_dir() -> Path:
    if not _CERTS:
        _CERTS.append(Path(tempfile.mkdtemp(prefix="radio-certs-", dir="/tmp")))
        atexit.register(shutil.rmtree, _CERTS[0], True)
    return _CERTS[0]


def field_cert(name: str) -> tuple[str, str]:
    """A self-signed client certificate for ``name`` (certfile, keyfile), made once per test session,
    as the sandbox makes one per demo field team."""
    return make_field_cert(_cert_dir(), name)


def _workdir() -> Path:
    # Not tmp_path: murmurd runs as mumble-server and cannot traverse /tmp/pytest-of-root.
    path = Path(tempfile.mkdtemp(prefix="radio-murmur-", dir="/tmp"))
    path.chmod(0o755)
    return path


@dataclass
class MurmurHandle:
    server: EmbeddedMurmur
    host: str
    port: int
    superuser_password: str
    server_password: str = SERVER_PASSWORD
    startup_seconds: float = 0.0

    async def listener(self, name: str, channel: str) -> Listener:
        """A registered field user sitting in ``channel``."""
        return await Listener(self.host, self.port, name, channel).start()

    async def impostor(self, name: str, channel: str) -> Listener:
        """An unregistered client that knows the server password (anyone a field team told it to)."""
        return await Listener(self.host, self.port, name, channel, registered=False).start()

    async def kill(self) -> None:
        await self.server.kill()

    async def restart(self) -> None:
        await self.server.start()

    def freeze(self) -> None:
        """A hung server: the process stops answering but keeps its sockets open."""
        self.server.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.server.signal(signal.SIGCONT)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "murmur_ini(keys): extra murmur.ini keys for the murmur_server fixture"
    )


@pytest.fixture(scope="session")
def murmur_template() -> Iterator[Path]:
    if not os.path.exists(MURMURD):
        pytest.fail(f"murmurd not installed at {MURMURD}: apt-get install mumble-server")
    workdir = _workdir()

    async def build() -> None:
        server = EmbeddedMurmur(
            workdir, free_port(), SUPERUSER_PASSWORD, host=HOST, server_password=SERVER_PASSWORD
        )
        await server.start()
        try:
            await server.ensure_channels(CHANNELS)
        finally:
            await server.stop()

    # A session fixture runs outside the tests' loops: build on a private loop.
    asyncio.run(build())
    yield workdir / "murmur.sqlite"
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def murmur_server(murmur_template: Path, request: pytest.FixtureRequest) -> AsyncIterator[MurmurHandle]:
    """A fresh server per test; ``@pytest.mark.murmur_ini({...})`` adds ini keys (e.g. raised limits)."""
    marker = request.node.get_closest_marker("murmur_ini")
    extra = dict(marker.args[0]) if marker else {}
    workdir = _workdir()
    shutil.copy(murmur_template, workdir / "murmur.sqlite")
    started = time.monotonic()
    server = EmbeddedMurmur(workdir, free_port(), SUPERUSER_PASSWORD, host=HOST, server_password=SERVER_PASSWORD,
                            extra_ini=extra)  # fmt: skip
    await server.start()
    await server.ensure_channels(CHANNELS)  # a no-op on the template, proves the server answers
    handle = MurmurHandle(
        server, HOST, server.port, SUPERUSER_PASSWORD, startup_seconds=time.monotonic() - started
    )
    print(f"murmur_server fixture start-up: {handle.startup_seconds * 1000:.0f} ms")
    try:
        yield handle
    finally:
        await server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass(frozen=True)
class Heard:
    sender: str
    text: str
    private: bool


@dataclass
class Listener:
    """A field user on a real pymumble connection, sitting in one channel."""

    host: str
    port: int
    name: str
    channel: str
    registered: bool = True  # connect with this name's certificate and self-register
    password: str = SERVER_PASSWORD
    texts: asyncio.Queue[Heard] = field(default_factory=asyncio.Queue)
    audio_bytes: int = 0
    first_audio_at: float | None = None
    _audio: asyncio.Event = field(default_factory=asyncio.Event)
    _client: Any = None

    async def start(self) -> Listener:
        loop = asyncio.get_running_loop()
        certfile, keyfile = field_cert(self.name) if self.registered else (None, None)
        client = BridgeMumble(self.host, self.name, port=self.port, password=self.password,
                              certfile=certfile, keyfile=keyfile)  # fmt: skip
        client.set_receive_sound(True)
        lock = threading.Lock()

        def on_text(mess: Any) -> None:  # pymumble thread
            user = client.users.get(mess.actor)
            heard = Heard(str(user["name"]) if user else "?", str(mess.message), not mess.channel_id)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.texts.put_nowait, heard)

        def on_sound(_user: Any, chunk: Any) -> None:  # pymumble thread
            with lock:
                if self.first_audio_at is None:
                    self.first_audio_at = time.monotonic()
                self.audio_bytes += len(chunk.pcm)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._audio.set)

        client.on_text = on_text
        client.callbacks.add_callback(C.PYMUMBLE_CLBK_SOUNDRECEIVED, on_sound)
        self._client = client
        await connect(client, 10.0)
        joined = asyncio.Event()

        def on_update(user: Any, _changes: Any) -> None:
            if user["session"] == client.users.myself_session:
                loop.call_soon_threadsafe(joined.set)

        client.callbacks.add_callback(C.PYMUMBLE_CLBK_USERUPDATED, on_update)

        async def until(done: Any) -> None:
            async with asyncio.timeout(5.0):
                while not done():
                    joined.clear()
                    if done():
                        break
                    await joined.wait()

        if self.registered and self.user_id is None:
            # What a Mumble client's "Self-Register" does; needs the certificate.
            await asyncio.to_thread(client.users.myself.register)
            await until(lambda: self.user_id is not None)
        await wait_channel(client, self.channel, 10.0)  # a bot starting up may still be creating it
        target = client.channels.find_by_name(self.channel)
        await asyncio.to_thread(target.move_in)
        await until(lambda: client.users.myself["channel_id"] == target["channel_id"])
        return self

    @property
    def user_id(self) -> int | None:
        """The server's id for this user: set only once registered."""
        me = self._client.users.myself if self._client is not None else None
        return None if me is None or me.get("user_id") is None else int(me["user_id"])

    @property
    def cert_hash(self) -> str | None:
        me = self._client.users.myself if self._client is not None else None
        return None if me is None else me.get("hash")

    def users_in(self, channel: str) -> set[str]:
        cid = self._client.channels.find_by_name(channel)["channel_id"]
        return {str(u["name"]) for u in list(self._client.users.values()) if u["channel_id"] == cid}

    async def say(self, html: str) -> None:
        """Channel text in the listener's channel, as a Mumble client sends it."""
        channel = self._client.channels.find_by_name(self.channel)
        await asyncio.wait_for(asyncio.to_thread(channel.send_text_message, html), 5.0)

    async def tell(self, user: str, html: str) -> None:
        """Private text to ``user``."""
        found = [u for u in list(self._client.users.values()) if u["name"] == user]
        assert found, f"{user} is not connected"
        await asyncio.wait_for(asyncio.to_thread(found[0].send_text_message, html), 5.0)

    async def wait_text(self, contains: str, timeout: float) -> Heard:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                heard = await self.texts.get()
                if contains in heard.text:
                    return heard

    async def wait_audio(self, seconds: float, timeout: float) -> float:  # noqa: ASYNC109
        """Wait until ``seconds`` of 48 kHz mono audio arrived; return the seconds received."""
        async with asyncio.timeout(timeout):
            while True:
                self._audio.clear()  # clear before checking, so a frame arriving now still wakes us
                if self.audio_bytes >= seconds * 48_000 * 2:
                    break
                await self._audio.wait()
        return self.audio_bytes / 96_000

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
            await asyncio.to_thread(client.join, 2.0)
