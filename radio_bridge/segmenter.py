"""Cutting a speaker's audio into transmissions: pure, time injected (tests move it by hand).

pymumble never reports Mumble's end-of-transmission flag, so a transmission ends when a speaker
has been quiet for ``silence`` seconds: no frames (voice activation, released push-to-talk) or
frames under ``quiet_dbfs`` (push-to-talk held through a pause). Arrival times, not the frames'
own sequence numbers, decide: audio arrives over TCP in bursts, but a 0.8 s cut is far longer
than a burst. A transmission shorter than ``min_seconds`` of audio is a blip and is dropped; one
longer than ``max_seconds`` is split, so every note stays small enough to be a voice note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BYTES_PER_SECOND = 48_000 * 2


@dataclass(frozen=True)
class Segment:
    channel: str
    speaker: str
    pcm: bytes
    started_at: float  # the clock given to feed(): when the first frame arrived
    ended_at: float  # when the last voiced frame arrived
    part: int  # 1 for a whole transmission, 2.. for the pieces after a split

    @property
    def seconds(self) -> float:
        return len(self.pcm) / BYTES_PER_SECOND


@dataclass
class _Open:
    started_at: float
    last_loud: float
    part: int = 1
    pcm: bytearray = field(default_factory=bytearray)
    voiced_end: int = 0  # bytes up to the end of the last loud frame


def loudness_dbfs(pcm: bytes) -> float:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32)
    if not len(samples):
        return -120.0
    return 20 * float(np.log10(max(float(np.sqrt(np.mean(samples**2))) / 32768, 1e-6)))


class Segmenter:
    def __init__(self, *, silence: float = 0.8, min_seconds: float = 0.5, max_seconds: float = 60.0,
                 quiet_dbfs: float = -50.0, tail: float = 0.15) -> None:  # fmt: skip
        self.silence, self.min_seconds, self.max_seconds = silence, min_seconds, max_seconds
        self.quiet_dbfs = quiet_dbfs
        self.tail_bytes = int(tail * 48_000) * 2  # keep a breath after the last word
        self._open: dict[tuple[str, str], _Open] = {}
        self.dropped_blips = 0

    def feed(self, channel: str, speaker: str, pcm: bytes, now: float) -> list[Segment]:
        """Add one frame; returns a piece when the transmission reached max_seconds."""
        key = (channel, speaker)
        current = self._open.get(key)
        loud = loudness_dbfs(pcm) >= self.quiet_dbfs
        if current is None:
            if not loud:
                return []  # silence before anyone speaks is not a transmission
            current = self._open[key] = _Open(started_at=now, last_loud=now)
        current.pcm += pcm
        if loud:
            current.last_loud = now
            current.voiced_end = len(current.pcm)
        if len(current.pcm) >= self.max_seconds * BYTES_PER_SECOND:
            piece = self._close(key, current, keep_all=True)
            self._open[key] = _Open(started_at=now, last_loud=now, part=current.part + 1)
            return [piece] if piece is not None else []
        return []

    def due(self, now: float) -> list[Segment]:
        """Transmissions whose speaker has been quiet for ``silence`` seconds (blips dropped)."""
        done: list[Segment] = []
        for key, current in list(self._open.items()):
            if now - current.last_loud >= self.silence:
                del self._open[key]
                piece = self._close(key, current, keep_all=False)
                if piece is not None:
                    done.append(piece)
        return done

    def flush(self) -> list[Segment]:
        """Close everything open now (shutdown): what was said is kept, blips still dropped."""
        return self.due(float("inf"))

    def next_deadline(self) -> float | None:
        return min((c.last_loud + self.silence for c in self._open.values()), default=None)

    def speaking(self, channel: str) -> bool:
        return any(key[0] == channel for key in self._open)

    def discard_channel(self, channel: str) -> None:
        """Forget what is open in ``channel`` (the bot plays a note there: half duplex)."""
        for key in [k for k in self._open if k[0] == channel]:
            del self._open[key]

    def _close(self, key: tuple[str, str], current: _Open, *, keep_all: bool) -> Segment | None:
        end = len(current.pcm) if keep_all else min(len(current.pcm), current.voiced_end + self.tail_bytes)
        pcm = bytes(current.pcm[:end])
        if current.part == 1 and len(pcm) < self.min_seconds * BYTES_PER_SECOND:
            self.dropped_blips += 1
            return None
        if not pcm:
            return None
        return Segment(key[0], key[1], pcm, current.started_at, current.last_loud, current.part)
