"""RadioLink: the asyncio face of the Mumble radio for the rest of the bridge.

Channel presence: one connection per channel
--------------------------------------------
Measured against murmurd 1.3.4 with two pymumble clients:

* a channel text message is delivered only to users *in* that channel: a bot in
  "Dispatch" never saw what a field user typed in "Damkar";
* sending to a channel one is not in works (the Damkar listener received text
  sent by a bot sitting in Dispatch);
* "tree" messages go from a channel *down* to its sub-channels, so nesting the
  agency channels under Dispatch would not bring their text up to the bot, and
  channel listeners only exist from Mumble 1.4 on.

A user sits in exactly one channel, so the bridge opens one connection ("seat")
per channel: ``username`` sits in the first channel of ``channels`` (dispatch)
and ``username-<channel>`` (e.g. ``Dispatch112-damkar``) in each other one.
Each seat posts and speaks in its own channel, so the bot never hears its own
posts echoed, and each has murmur's per-user text budget. Private messages to
any seat are accepted; private replies go out from the dispatch seat.
A connection costs ~15 ms to open and one mostly idle thread.

Operators must know: murmur's default autoban counts every connection (10 per
120 s from one address), and the bridge opens one per channel at start and
after each outage. Set ``autobanSuccessfulConnections=false`` (or
``autobanAttempts=0``) on the production server. The certificate, if any, is
used by the dispatch seat only: the server would treat two connections with the
same certificate as the same registered user and kick one.

Text from field users is flood controlled before it is queued (guard.py): each
sender has a small budget, the queue holds at most ``MAX_PENDING`` messages, and
what is refused is reported through ``on_dropped`` (a few times a minute at
most, with counts), never by blocking pymumble's thread. Replies go out through
``reply_soon`` from a bounded queue of their own, behind announcements in each
seat's text budget (pacing.py), so neither a slow reply nor a flood of them
holds up the next command or post.

State: ``connected`` is true when every seat is in its channel. ``on_state`` is
called with the first definite state (False if the server is unreachable at
start-up) and then on every change; calls to ``on_state`` and ``on_message``
never overlap and keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence

from radio_bridge import admin
from radio_bridge.client import BridgeMumble, threadsafe
from radio_bridge.errors import RadioUnavailable
from radio_bridge.guard import Admission
from radio_bridge.message import RadioMessage
from radio_bridge.pacing import MESSAGE_BURST, MESSAGE_LIMIT, TextBudget
from radio_bridge.replies import ReplyQueue
from radio_bridge.seat import ChannelMissing, Seat

__all__ = ["RadioLink", "RadioMessage", "RadioUnavailable"]

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000  # pymumble sends 48 kHz, 16-bit signed mono PCM
DRAIN_CHECK = 0.05
DROP_REPORT_DELAY = 5.0  # drops are gathered this long into one report


def seat_username(username: str, channel: str, primary: bool) -> str:
    if primary:
        return username
    slug = re.sub(r"[^a-z0-9]+", "-", channel.lower()).strip("-") or "kanal"
    return f"{username}-{slug}"


class RadioLink:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        password: str = "",
        certfile: str | None = None,
        keyfile: str | None = None,
        channels: Sequence[str],
        on_message: Callable[[RadioMessage], Awaitable[None]],
        on_state: Callable[[bool], Awaitable[None]],
        create_channels: bool = True,
        superuser_password: str | None = None,
        text_limit: int = MESSAGE_LIMIT,
        text_burst: int = MESSAGE_BURST,
        on_dropped: Callable[[dict[str, int]], Awaitable[None]] | None = None,
        admission: Admission | None = None,
        on_sound: Callable[[str, str, bytes, int | None, str | None], None] | None = None,
        fence: Callable[[], None] = lambda: None,
    ) -> None:
        names = list(dict.fromkeys(channels))
        if not names:
            raise ValueError("RadioLink needs at least the dispatch channel")
        self.host, self.port = host, port
        self._on_message_cb, self._on_state_cb = on_message, on_state
        self._on_dropped_cb = on_dropped
        self.admission = admission or Admission()
        self._drop_report: asyncio.TimerHandle | None = None
        self._replies = ReplyQueue(self.reply)
        self._create_channels = create_channels
        self._superuser_password = superuser_password
        self._channel_names = names
        self._admin_lock = asyncio.Lock()
        self._seats: dict[str, Seat] = {}
        for index, name in enumerate(names):
            primary = index == 0
            self._seats[name] = Seat(
                host=host,
                port=port,
                username=seat_username(username, name, primary),
                password=password,
                certfile=certfile if primary else None,
                keyfile=keyfile if primary else None,
                channel=name,
                primary=primary,
                ensure_channel=self._ensure_channel,
                on_message=self._incoming,
                on_change=self._seat_changed,
                is_own_name=self._is_own_name,
                budget=TextBudget(text_limit, text_burst),
                on_sound=on_sound,
                fence=fence,
            )
        self._own_names = {seat.username for seat in self._seats.values()}
        self._primary = self._seats[names[0]]
        self._events: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self._reported: bool | None = None

    # -- lifecycle ---------------------------------------------------------
    async def start(self) -> None:
        """Return at once; the seats connect (and reconnect) in the background."""
        if self._dispatcher is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._dispatcher = asyncio.create_task(self._dispatch(), name="radio-dispatch")
        self._replies.start()
        for seat in self._seats.values():
            seat.start()

    async def stop(self) -> None:
        await asyncio.gather(*(seat.stop() for seat in self._seats.values()))
        if self._drop_report is not None:
            self._drop_report.cancel()
            self._drop_report = None
        await self._replies.stop()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    @property
    def connected(self) -> bool:
        return all(seat.up for seat in self._seats.values())

    @property
    def connect_seconds(self) -> float | None:
        """Slowest seat's last connect+join time (for logs and measurements)."""
        times = [s.connect_seconds for s in self._seats.values() if s.connect_seconds is not None]
        return max(times) if times else None

    async def wait_connected(self, timeout: float) -> None:  # noqa: ASYNC109 (interface contract)
        try:
            await asyncio.wait_for(self._up.wait(), timeout)
        except TimeoutError:
            seats = self._seats.values()
            problems = [f"{s.channel}: {s.last_error}" for s in seats if not s.up and s.last_error]
            detail = "; ".join(problems) or "belum tersambung"
            raise RadioUnavailable(f"Radio (Mumble) belum tersambung: {detail}") from None

    # -- outgoing ----------------------------------------------------------
    async def post(self, channel: str, html_text: str) -> None:
        """Send ``html_text`` (already escaped) to ``channel``."""
        seat = self._seats.get(channel)
        if seat is not None:
            await seat.send_channel_text(html_text)
            return
        # Not one of ours: sending needs no presence, the dispatch seat can do it.
        client = self._primary.require()
        found = [c for c in list(client.channels.values()) if c["name"] == channel]
        if not found:
            raise RadioUnavailable(f"Kanal radio '{channel}' tidak ada di server Mumble")
        await self._primary.send_channel_text(html_text, int(found[0]["channel_id"]))

    async def send_private(self, user: str, text: str) -> None:
        """Send plain ``text`` privately to the connected user named ``user``."""
        await self._primary.send_private(user, _plain_to_html(text))

    async def reply(self, to: RadioMessage, text: str) -> None:
        """Answer plain ``text`` where ``to`` was said: its channel, or privately (behind posts)."""
        if to.channel is None:
            await self._primary.send_private(to.sender, _plain_to_html(text), urgent=False)
            return
        seat = self._seats.get(to.channel)
        if seat is None:  # said in a channel we do not sit in: cannot happen, answer privately
            await self._primary.send_private(to.sender, _plain_to_html(text), urgent=False)
        else:
            await seat.send_channel_text(_plain_to_html(text), urgent=False)

    def reply_soon(self, to: RadioMessage, text: str) -> bool:
        """Queue a reply without waiting for it; False (and logged) when too many are waiting."""
        return self._replies.put(to, text)

    async def speak(self, channel: str, pcm: bytes) -> float:
        """Queue 48 kHz mono s16le ``pcm`` in ``channel``; return its duration in seconds."""
        seat = self._seats.get(channel)
        if seat is None:
            # Voice reaches only the speaker's channel; moving the dispatch seat away
            # would make it deaf to dispatch text, so only our own channels can be spoken in.
            raise RadioUnavailable(f"Bot tidak berada di kanal radio '{channel}'")
        if len(pcm) % 2:
            raise ValueError("PCM must be 16-bit samples")
        seat.speak(pcm)
        return len(pcm) / 2 / SAMPLE_RATE

    def channel_up(self, channel: str) -> bool:
        """Our seat in ``channel`` is connected and in it (voice notes play per channel)."""
        seat = self._seats.get(channel)
        return seat is not None and seat.up

    def unsent_audio(self, channel: str) -> float:
        """Audio still queued for ``channel`` (voice playback waits for announcements to finish)."""
        seat = self._seats.get(channel)
        return seat.unsent_audio() if seat is not None else 0.0

    async def wait_spoken(self, timeout: float) -> None:  # noqa: ASYNC109 (interface contract)
        """Wait until every queued announcement has been sent (audio plays at real time)."""
        async with asyncio.timeout(timeout):
            # pymumble exposes no event for an empty buffer: check it cheaply.
            while any(seat.unsent_audio() > 0 for seat in self._seats.values()):  # noqa: ASYNC110
                await asyncio.sleep(DRAIN_CHECK)

    # -- internals -----------------------------------------------------------
    def _is_own_name(self, name: str) -> bool:
        return name in self._own_names

    async def _ensure_channel(self, client: BridgeMumble, name: str) -> None:
        if not self._create_channels:
            raise ChannelMissing(f"Kanal radio '{name}' tidak ada di server Mumble")
        try:
            if self._superuser_password is not None:
                # One SuperUser login at a time: a second one would kick the first.
                async with self._admin_lock:
                    await admin.ensure_channels(
                        self.host, self.port, self._superuser_password, self._channel_names
                    )
                await admin.wait_channel(client, name, 5.0)
            else:
                await admin.create_missing(client, [name], 5.0)
        except ChannelMissing:
            raise
        except RadioUnavailable as exc:
            raise ChannelMissing(str(exc)) from exc

    def _incoming(self, message: RadioMessage) -> None:
        # Called on a pymumble thread: hand over and return at once, whatever the load.
        if self._loop is not None:
            threadsafe(self._loop, self._admit, message)

    def _admit(self, message: RadioMessage) -> None:
        if self.admission.admit(message.sender, time.monotonic()):
            self._events.put_nowait(("message", message))
        elif self._drop_report is None and self._loop is not None:
            self._drop_report = self._loop.call_later(DROP_REPORT_DELAY, self._report_drops)

    def _report_drops(self) -> None:
        self._drop_report = None
        self._events.put_nowait(("dropped", self.admission.take_dropped()))

    def _seat_changed(self) -> None:
        up = self.connected
        if up:
            self._up.set()
        else:
            self._up.clear()
        # Until every seat has had a first outcome, "down" only means "still starting".
        settled = all(s.up or s.last_error for s in self._seats.values())
        if settled and up != self._reported:
            self._reported = up
            self._events.put_nowait(("state", up))

    async def _dispatch(self) -> None:
        while True:
            kind, value = await self._events.get()
            try:
                if kind == "state":
                    assert isinstance(value, bool)
                    await self._on_state_cb(value)
                elif kind == "dropped":
                    assert isinstance(value, dict)
                    log.warning("radio: pesan dibuang karena banjir: %s", value)
                    if self._on_dropped_cb is not None and value:
                        await self._on_dropped_cb(value)
                else:
                    assert isinstance(value, RadioMessage)
                    try:
                        await self._on_message_cb(value)
                    finally:
                        self.admission.done(value.sender, time.monotonic())
            except Exception:
                # A failing handler must not stop the radio from delivering the next message.
                log.exception("radio handler failed for %s", kind)


def _plain_to_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
