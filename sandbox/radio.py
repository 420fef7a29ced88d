"""The radio side of the console: a listener per Mumble channel that records the channel's text and
the audio it hears (one WAV per announcement under var/), and field users who type as a mapped
Mumble user. All of them are real pymumble clients of the real murmurd, like a field team's phone."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import subprocess
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radio_bridge.admin import connect
from radio_bridge.client import BridgeMumble, C
from radio_bridge.errors import RadioError

log = logging.getLogger(__name__)
RATE = 48000  # pymumble hands over 16-bit mono PCM at 48 kHz
CLIP_GAP = 1.0  # seconds of silence that end one announcement
_TAGS = re.compile(r"<(?!/?b>|br ?/?>)[^>]*>")


def _clean(text: str) -> str:
    """Mumble text is HTML; keep bold and line breaks, drop the rest."""
    return _TAGS.sub("", text)


@dataclass
class Post:
    channel: str
    sender: str
    html: str
    at: float
    audio: str | None = None
    seconds: float = 0.0
    private: bool = False


@dataclass
class _Clip:
    started: float
    last: float
    pcm: bytearray = field(default_factory=bytearray)


class RadioSide:
    def __init__(self, host: str, port: int, channels: list[str], users: dict[str, str], folder: Path,
                 on_change: Callable[[], None]) -> None:  # fmt: skip
        self.host = host
        self.port = port
        self.channels = channels
        self.users = users  # Mumble name -> agency
        self.folder = folder
        self.on_change = on_change
        self.posts: list[Post] = []
        self._listeners: dict[str, BridgeMumble] = {}
        self._speakers: dict[str, BridgeMumble] = {}
        self._clips: dict[str, _Clip] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._count = 0

    @property
    def connected(self) -> bool:
        return any(c.is_connected for c in self._listeners.values())

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.folder.mkdir(parents=True, exist_ok=True)
        for channel in self.channels:
            try:
                self._listeners[channel] = await self._listen(channel)
            except (RadioError, OSError, TimeoutError) as exc:
                log.warning("sandbox radio: pendengar %s gagal (%s)", channel, exc)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_clips())

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        self._finish_clips(force=True)
        for client in [*self._listeners.values(), *self._speakers.values()]:
            with contextlib.suppress(Exception):
                client.close()
        self._listeners.clear()
        self._speakers.clear()

    async def _client(self, name: str, channel: str) -> BridgeMumble:
        """A demo field team's radio: connected with its own certificate and registered on the server,
        as a real field team is (the bot takes ! commands only from registered, mapped users)."""
        certfile, keyfile = await asyncio.to_thread(field_cert, self.folder / "certs", name)
        client = BridgeMumble(self.host, name, port=self.port, certfile=certfile, keyfile=keyfile)
        client.set_receive_sound(True)
        registered = asyncio.Event()

        def on_update(user: Any, _changes: Any) -> None:  # pymumble thread
            if user["session"] == client.users.myself_session and user.get("user_id") is not None:
                self._threadsafe(registered.set)

        client.callbacks.add_callback(C.PYMUMBLE_CLBK_USERUPDATED, on_update)
        await connect(client, 10.0)
        if client.users.myself.get("user_id") is None:
            await asyncio.to_thread(client.users.myself.register)  # what a client's Self-Register does
            await asyncio.wait_for(registered.wait(), 5.0)
        target = client.channels.find_by_name(channel)
        await asyncio.to_thread(target.move_in)
        return client

    async def _listen(self, channel: str) -> BridgeMumble:
        name = f"Rekam-{channel}"[:30]
        client = BridgeMumble(self.host, name, port=self.port)
        client.set_receive_sound(True)

        def on_text(mess: Any) -> None:  # pymumble thread
            user = client.users.get(mess.actor)
            sender = str(user["name"]) if user else "?"
            self._threadsafe(self._add, Post(channel, sender, _clean(str(mess.message)), time.time()))

        def on_sound(_user: Any, chunk: Any) -> None:  # pymumble thread
            now = time.monotonic()
            with self._lock:
                clip = self._clips.get(channel)
                if clip is None or now - clip.last > CLIP_GAP:
                    clip = self._clips[channel] = _Clip(now, now)
                clip.pcm += chunk.pcm
                clip.last = now

        client.on_text = on_text
        client.callbacks.add_callback(C.PYMUMBLE_CLBK_SOUNDRECEIVED, on_sound)
        await connect(client, 10.0)
        await asyncio.to_thread(client.channels.find_by_name(channel).move_in)
        return client

    def _threadsafe(self, fn: Callable[..., None], *args: Any) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(fn, *args)

    def _add(self, post: Post) -> None:
        self.posts.append(post)
        self.on_change()

    async def _flush_clips(self) -> None:
        while True:
            await asyncio.sleep(0.3)
            self._finish_clips()

    def _finish_clips(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            done = {c: clip for c, clip in self._clips.items() if force or now - clip.last > CLIP_GAP}
            for channel in done:
                del self._clips[channel]
        for channel, clip in done.items():
            if len(clip.pcm) < RATE // 5:  # under 0.1 s: a click, not speech
                continue
            self._count += 1
            path = self.folder / f"siaran-{self._count:04d}.wav"
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                with wave.open(str(path), "wb") as out:
                    out.setnchannels(1)
                    out.setsampwidth(2)
                    out.setframerate(RATE)
                    out.writeframes(bytes(clip.pcm))
            except OSError as exc:  # a full disk loses one recording, never the console
                log.warning("sandbox radio: rekaman %s gagal disimpan (%s)", path, exc)
                continue
            seconds = len(clip.pcm) / 2 / RATE
            self._add(Post(channel, "Dispatch112", "🔊 pengumuman suara", time.time(), path.name, seconds))

    async def say(self, user: str, channel: str, text: str) -> None:
        """Channel text as the mapped field user, through a real client in that channel."""
        if user not in self.users:
            raise ValueError(f"pengguna Mumble {user!r} tidak dipetakan ke instansi")
        if channel not in self.channels:
            raise ValueError(f"kanal {channel!r} tidak dikenal")
        client = self._speakers.get(user)
        if client is None or not client.is_connected:
            client = await self._client(user, channel)
            self._speakers[user] = client

            def on_private(mess: Any) -> None:  # replies the bot sends privately
                if not mess.channel_id:
                    sender = client.users.get(mess.actor)
                    post = Post(f"→ {user}", str(sender["name"]) if sender else "?",
                                _clean(str(mess.message)), time.time(), private=True)  # fmt: skip
                    self._threadsafe(self._add, post)

            client.on_text = on_private
        target = client.channels.find_by_name(channel)
        if client.users.myself["channel_id"] != target["channel_id"]:
            await asyncio.to_thread(target.move_in)
        await asyncio.wait_for(asyncio.to_thread(target.send_text_message, html.escape(text)), 5.0)

    def feed(self) -> list[dict[str, Any]]:
        return [
            {"channel": p.channel, "sender": p.sender, "html": p.html, "at": p.at, "private": p.private,
             "audio": f"/api/radio/audio/{p.audio}" if p.audio else None, "seconds": round(p.seconds, 2)}
            for p in self.posts
        ]  # fmt: skip


def field_cert(folder: Path, name: str) -> tuple[str, str]:
    """A self-signed client certificate per demo user (certfile, keyfile), made once and kept 0600."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    slug = "".join(c if c.isalnum() else "_" for c in name)
    cert, key = folder / f"{slug}.crt", folder / f"{slug}.key"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "3650", "-subj", f"/CN={name}"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        key.chmod(0o600)
    return str(cert), str(key)
