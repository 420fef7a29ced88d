"""Sliding-window limits with the wait a refused caller is told (HTTP Retry-After)."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable


class WindowLimit:
    """At most `limit` hits per `window` seconds per key. Memory is bounded by the keys seen within a
    window: a key's deque never holds more than `limit` times, and idle keys are dropped."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._last_sweep = 0.0

    def hit(self, key: str) -> int:
        """0 when allowed (and counted); else the whole seconds to wait before the next one is."""
        now = self.clock()
        self._sweep(now)
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return 0

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]


class AuditBudget:
    """Refusals are all logged, but a flood writes at most `limit` audit events per key and window;
    the next audited one carries how many were left out meanwhile."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self._limit = WindowLimit(limit, window, clock)
        self._skipped: dict[str, int] = defaultdict(int)

    def take(self, key: str) -> int | None:
        """None: do not audit this one; else audit it, with the count of those skipped before it."""
        if self._limit.hit(key):
            self._skipped[key] += 1
            return None
        return self._skipped.pop(key, 0)
