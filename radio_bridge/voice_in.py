"""Field voice to the centre: frames from every seat, cut per speaker, encoded, handed to the service.

pymumble's sound callback runs on its own thread; ``frame`` only stamps the arrival time and
hands the frame to the event loop (call_soon_threadsafe). Segmenting runs in one asyncio task;
encoding runs in a worker thread so neither pings nor outgoing audio wait for it.
Half duplex: while the bot plays a note in a channel, frames from that channel are dropped
(and what was open there is forgotten), so a note is never recorded back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from radio_bridge.audio import encode_ogg_opus
from radio_bridge.client import threadsafe
from radio_bridge.segmenter import Segment, Segmenter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transmission:
    channel: str
    speaker: str
    ogg: bytes
    seconds: float
    user_id: int | None  # the server's id of a registered speaker (None: the name proves nothing)
    cert_hash: str | None
    started_wall: float  # epoch seconds, for the caption and the log
    ended_monotonic: float  # when the last voiced frame arrived (benchmarks)


Sink = Callable[[Transmission], Awaitable[None]]


class VoiceReceiver:
    def __init__(self, sink: Sink, segmenter: Segmenter | None = None,
                 is_muted: Callable[[str], bool] = lambda _channel: False) -> None:  # fmt: skip
        self.sink = sink
        self.segmenter = segmenter or Segmenter()
        self.is_muted = is_muted
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._wall_offset = time.time() - time.monotonic()
        self._who: dict[str, tuple[int | None, str | None]] = {}  # last identity the server gave a name

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="radio-voice-in")

    async def stop(self) -> None:
        """After the link stopped: close what is open and wait until every note is stored."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for piece in self.segmenter.flush():
            self._hand_over(piece)
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def frame(self, channel: str, speaker: str, pcm: bytes, user_id: int | None = None,
              cert_hash: str | None = None) -> None:  # fmt: skip
        """Called on a pymumble thread: stamp and enqueue, nothing else."""
        if self._loop is not None:
            threadsafe(
                self._loop, self._on_frame, channel, speaker, pcm, time.monotonic(), (user_id, cert_hash)
            )

    def speaking(self, channel: str) -> bool:
        return self.segmenter.speaking(channel)

    def mute(self, channel: str) -> None:
        self.segmenter.discard_channel(channel)

    def _on_frame(self, channel: str, speaker: str, pcm: bytes, at: float,
                  who: tuple[int | None, str | None] = (None, None)) -> None:  # fmt: skip
        self._who[speaker] = who
        if self.is_muted(channel):
            self.segmenter.discard_channel(channel)
            return
        for piece in self.segmenter.feed(channel, speaker, pcm, at):
            self._hand_over(piece)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            deadline = self.segmenter.next_deadline()
            self._wake.clear()
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            for piece in self.segmenter.due(time.monotonic()):
                self._hand_over(piece)

    def _hand_over(self, piece: Segment) -> None:
        task = asyncio.create_task(self._encode_and_store(piece))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _encode_and_store(self, piece: Segment) -> None:
        try:
            ogg = await asyncio.to_thread(encode_ogg_opus, piece.pcm)
            user_id, cert_hash = self._who.get(piece.speaker, (None, None))
            await self.sink(Transmission(piece.channel, piece.speaker, ogg, piece.seconds, user_id, cert_hash,
                                         piece.started_at + self._wall_offset, piece.ended_at))  # fmt: skip
        except Exception:
            # One broken note must not stop the radio; the audio is lost, so say so loudly.
            log.exception("voice note from %s in %s could not be stored", piece.speaker, piece.channel)
