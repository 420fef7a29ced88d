"""One bot connection sitting in one Mumble channel, kept alive by an asyncio task.

A ``Seat`` owns at most one ``BridgeMumble`` at a time. Its supervisor builds a
client, joins (or has created) its channel, then watches it: the client thread
ends on EOF within milliseconds, and a cheap check every 0.5 s also catches a
link gone silent. After any loss the client is thrown away (a pymumble object
whose thread ended blocks forever) and a fresh one is built with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from radio_bridge import admin
from radio_bridge.client import (
    SILENCE_LIMIT,
    BridgeMumble,
    C,
    move_to,
    text_to_channel,
    text_to_user,
    threadsafe,
)
from radio_bridge.commands import strip_html
from radio_bridge.errors import RadioUnavailable
from radio_bridge.message import RadioMessage
from radio_bridge.pacing import TextBudget

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 5.0
WATCH_INTERVAL = 0.2
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 5.0
# A channel we may not create will not appear by itself soon; retrying every 5 s
# would also count as ~24 connections per 2 minutes towards murmur's autoban.
CONFIG_RETRY = 60.0


class ChannelMissing(RadioUnavailable):
    """The seat's channel does not exist and could not be created."""


class Seat:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        certfile: str | None,
        keyfile: str | None,
        channel: str,
        primary: bool,
        ensure_channel: Callable[[BridgeMumble, str], Awaitable[None]],
        on_message: Callable[[RadioMessage], None],
        on_change: Callable[[], None],
        is_own_name: Callable[[str], bool],
        budget: TextBudget,
        on_sound: Callable[[str, str, bytes, int | None, str | None], None] | None = None,
        fence: Callable[[], None] = lambda: None,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        # The lease's fence (bot/standby.py): called before anything is handed to pymumble; it raises
        # once this process is no longer sure it is the active one.
        self._fence = fence
        self.certfile, self.keyfile = certfile, keyfile
        self.channel = channel
        self.primary = primary  # the dispatch seat: also takes tree messages from above
        self._ensure_channel = ensure_channel
        self._on_message = on_message
        self._on_change = on_change
        self._is_own_name = is_own_name
        # (channel, speaker, pcm, registered user id, certificate hash), called on the pymumble thread
        self._on_sound = on_sound
        self.client: BridgeMumble | None = None
        self.channel_id: int | None = None
        self.up = False
        self.last_error: str | None = None
        self.connect_seconds: float | None = None  # last measured connect+join time
        self._exited = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # murmur drops text over its per-user limit silently: every text of this seat is paced.
        self.budget = budget

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"radio-seat-{self.channel}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop_client()

    async def _supervise(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            try:
                await self._connect_once()
            except Exception as exc:
                # Anything pymumble throws (a channel removed mid-join, a rejected login)
                # is one failed attempt; the supervisor itself must never die.
                self.last_error = str(exc) or type(exc).__name__
                log.warning("radio seat %s: %s", self.channel, exc)
                await self._drop_client()
                self.up = False
                self._on_change()  # even if we were never up: "unreachable" is news too
                await asyncio.sleep(CONFIG_RETRY if isinstance(exc, ChannelMissing) else delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            delay = BACKOFF_FIRST
            self.last_error = None
            self._set_up(True)
            await self._watch()
            self.last_error = "Sambungan ke server Mumble terputus"
            self._set_up(False)
            await self._drop_client()
            await asyncio.sleep(delay)

    async def _connect_once(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        self._exited = asyncio.Event()
        exited = self._exited
        client = BridgeMumble(
            self.host,
            self.username,
            port=self.port,
            password=self.password,
            certfile=self.certfile,
            keyfile=self.keyfile,
            on_exit=lambda: threadsafe(loop, exited.set),
        )
        client.on_text = lambda mess: self._on_text(client, mess)
        if self._on_sound is not None:
            client.set_receive_sound(True)
            client.callbacks.add_callback(C.PYMUMBLE_CLBK_SOUNDRECEIVED, self._sound)
        self.client = client
        await admin.connect(client, CONNECT_TIMEOUT)
        if self.channel not in admin.channel_names(client):
            await self._ensure_channel(client, self.channel)
        channel_id = int(client.channels.find_by_name(self.channel)["channel_id"])
        joined = asyncio.Event()

        def on_moved(user: Any, _changes: Any) -> None:
            if user["session"] == client.users.myself_session and user["channel_id"] == channel_id:
                threadsafe(loop, joined.set)

        client.callbacks.add_callback(C.PYMUMBLE_CLBK_USERUPDATED, on_moved)
        if client.users.myself["channel_id"] != channel_id:
            if not await self._command(move_to(client.users.myself_session, channel_id)):
                raise RadioUnavailable(f"Bot gagal masuk ke kanal radio '{self.channel}'")
            try:
                # Text for this channel reaches us only once the server has moved us in.
                await asyncio.wait_for(joined.wait(), COMMAND_TIMEOUT)
            except TimeoutError:
                msg = f"Server tidak memindahkan bot ke kanal radio '{self.channel}'"
                raise RadioUnavailable(msg) from None
        client.callbacks.remove_callback(C.PYMUMBLE_CLBK_USERUPDATED, on_moved)
        # A new connection is a new bucket on the server, already charged for Version and the move.
        self.budget.connected()
        self.channel_id = channel_id
        self.connect_seconds = loop.time() - started

    async def _watch(self) -> None:
        client = self.client
        assert client is not None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH_INTERVAL):  # not wait_for: it can swallow a cancel on 3.11
                    await self._exited.wait()
            if not client.is_connected:
                return
            if time.monotonic() - client.last_heard > SILENCE_LIMIT:
                log.warning("radio seat %s: server silent, reconnecting", self.channel)
                return

    async def _drop_client(self) -> None:
        client, self.client = self.client, None
        self.channel_id = None
        if client is None:
            return
        client.close()
        if client.is_alive():
            await asyncio.to_thread(client.join, 2.0)

    def _set_up(self, up: bool) -> None:
        if up != self.up:
            self.up = up
            self._on_change()

    # -- incoming text (runs on the pymumble thread) -----------------------
    def _on_text(self, client: BridgeMumble, mess: Any) -> None:
        actor = client.users.get(mess.actor)
        sender = str(actor["name"]) if actor is not None else f"sesi {mess.actor}"
        user_id = actor.get("user_id") if actor is not None else None
        cert_hash = actor.get("hash") if actor is not None else None
        if self._is_own_name(sender):
            return
        channel_ids, tree_ids = list(mess.channel_id), list(mess.tree_id)
        if not channel_ids and not tree_ids:
            channel: str | None = None  # private message to this seat
        elif self.channel_id in channel_ids or self.channel_id in tree_ids or (tree_ids and self.primary):
            # A tree message from above reaches every seat; only the dispatch seat takes it.
            channel = self.channel
        else:
            return
        self._on_message(
            RadioMessage(
                sender=sender,
                channel=channel,
                text=strip_html(mess.message),
                user_id=None if user_id is None else int(user_id),
                cert_hash=str(cert_hash).lower() if cert_hash else None,
            )
        )

    def _sound(self, user: Any, chunk: Any) -> None:
        # pymumble thread: only hand the frame on. Our own seats never count as speakers.
        name = str(user["name"]) if user is not None else ""
        if self._on_sound is not None and name and not self._is_own_name(name):
            user_id, cert_hash = user.get("user_id"), user.get("hash")
            self._on_sound(self.channel, name, bytes(chunk.pcm), None if user_id is None else int(user_id),
                           str(cert_hash).lower() if cert_hash else None)  # fmt: skip

    # -- outgoing ----------------------------------------------------------
    def require(self) -> BridgeMumble:
        self._fence()  # every text and every audio chunk asks for the client here first
        client = self.client
        if client is None or not self.up or not client.is_connected:
            reason = self.last_error or "belum tersambung"
            raise RadioUnavailable(f"Radio kanal '{self.channel}' tidak tersedia: {reason}")
        return client

    async def _command(self, cmd: Any) -> bool:
        self._fence()  # the last step before a text, a move or a new channel leaves for murmur
        client = self.client
        if client is None:
            return False
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(client.run_command, cmd, COMMAND_TIMEOUT), COMMAND_TIMEOUT + 1
            )
        except TimeoutError:
            return False

    async def send_channel_text(
        self, html: str, channel_id: int | None = None, *, urgent: bool = True
    ) -> None:
        """Post to our own channel, or (primary seat) to ``channel_id`` where no seat sits.

        ``urgent`` (announcements) goes ahead of replies in this seat's text budget."""
        self._check_length(self.require(), html)
        await self.budget.take(urgent=urgent)
        client = self.require()  # the wait may have outlived the connection
        channel_id = self.channel_id if channel_id is None else channel_id
        assert channel_id is not None
        if not await self._command(text_to_channel(client, channel_id, html)):
            raise RadioUnavailable(f"Pesan ke kanal radio '{self.channel}' gagal terkirim")

    async def send_private(self, user: str, text: str, *, urgent: bool = True) -> None:
        self._check_length(self.require(), text)
        self._session_of(user)  # do not spend a token on someone who left
        await self.budget.take(urgent=urgent)
        session = self._session_of(user)
        if not await self._command(text_to_user(session, text)):
            raise RadioUnavailable(f"Pesan pribadi ke '{user}' gagal terkirim")

    def _session_of(self, user: str) -> int:
        found = [u for u in list(self.require().users.values()) if u.get("name") == user]
        if not found:
            raise RadioUnavailable(f"Pengguna radio '{user}' tidak sedang tersambung")
        return int(found[0]["session"])

    @staticmethod
    def _check_length(client: BridgeMumble, text: str) -> None:
        limit = client.get_max_message_length()
        if limit and len(text) > limit:
            raise RadioUnavailable(f"Pesan radio terlalu panjang ({len(text)} > {limit} karakter)")

    def speak(self, pcm: bytes) -> None:
        self.require().sound_output.add_sound(pcm)

    def unsent_audio(self) -> float:
        client = self.client
        return float(client.sound_output.get_buffer_size()) if client is not None and self.up else 0.0
