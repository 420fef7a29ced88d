"""Flood control for text arriving on Mumble (pure: clocks are passed in).

``Admission`` decides, on the event loop and without waiting, whether a message
may join the command queue: each sender has a small token bucket, and the queue
as a whole holds at most ``max_pending`` messages. What is refused is counted
per sender so it can be audited in one event, not one per message.
``Once`` answers "may I tell this sender again?" for refusals: at most one per
sender per interval, and a few per interval overall (an attacker can connect
under many names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SENDER_BURST = 5  # a unit typing "!terima 42" then "!status 42 berangkat" is well inside this
SENDER_RATE = 0.5  # then one command every 2 s per sender
MAX_PENDING = 50  # messages waiting to be handled, all senders together


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    pending: int = 0


@dataclass
class Admission:
    burst: int = SENDER_BURST
    rate: float = SENDER_RATE
    max_pending: int = MAX_PENDING
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _pending: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def admit(self, sender: str, now: float) -> bool:
        bucket = self._buckets.get(sender)
        if bucket is None:
            bucket = self._buckets[sender] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens < 1 or bucket.pending >= self.burst or self._pending >= self.max_pending:
            self.dropped[sender] = self.dropped.get(sender, 0) + 1
            return False
        bucket.tokens -= 1
        bucket.pending += 1
        self._pending += 1
        return True

    def done(self, sender: str, now: float) -> None:
        """A message admitted for ``sender`` has been handled."""
        bucket = self._buckets.get(sender)
        if bucket is not None and bucket.pending > 0:
            bucket.pending -= 1
        self._pending = max(0, self._pending - 1)
        self._forget_idle(now)

    def take_dropped(self) -> dict[str, int]:
        dropped, self.dropped = self.dropped, {}
        return dropped

    def _forget_idle(self, now: float) -> None:
        # A full bucket with nothing pending is the same as no bucket: keep memory bounded
        # when an attacker cycles through names.
        if len(self._buckets) < 256:
            return
        full = self.burst / self.rate
        for name in [n for n, b in self._buckets.items() if not b.pending and now - b.stamp >= full]:
            del self._buckets[name]


@dataclass
class Once:
    """At most one per key per ``interval`` seconds, and ``overall`` per interval in total."""

    interval: float = 60.0
    overall: int = 6
    _last: dict[str, float] = field(default_factory=dict)
    _recent: list[float] = field(default_factory=list)

    def allow(self, key: str, now: float) -> bool:
        self._recent = [t for t in self._recent if now - t < self.interval]
        last = self._last.get(key)
        if (last is not None and now - last < self.interval) or len(self._recent) >= self.overall:
            return False
        self._last[key] = now
        self._recent.append(now)
        if len(self._last) > 1024:
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        return True
