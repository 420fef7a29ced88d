"""Telegram's flood limits, held on our side: ~1 message/s per chat, 20/min per group, 30/s overall.

Times are taken when a request starts, and Telegram counts them when they arrive; the small margins
(1.1 s, a 62 s window) absorb the jitter between the two so the limits hold where they are counted."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        per_chat_gap: float = 1.1,
        group_per_minute: int = 20,
        group_window: float = 62.0,
        overall_per_second: int = 30,
    ) -> None:
        self.clock = clock
        self.per_chat_gap = per_chat_gap
        self.group_per_minute = group_per_minute
        self.group_window = group_window
        self.overall_per_second = overall_per_second
        self._chat: dict[str, deque[float]] = defaultdict(deque)
        self._overall: deque[float] = deque()
        self._held_until: dict[str, float] = {}

    def wait(self, target: str, reserve: int = 0) -> float:
        """Seconds until one more message may go to `target` (0 when it may go now). In a group,
        `reserve` of its 20 a minute are kept back: for new cards, when an edit asks."""
        now = self.clock()
        waits = [self._held_until.get(target, 0.0) - now]
        sent = self._chat[target]
        while sent and now - sent[0] >= self.group_window:
            sent.popleft()
        if sent:
            waits.append(sent[-1] + self.per_chat_gap - now)
        allowed = self.group_per_minute - reserve
        if target.startswith("-") and len(sent) >= allowed:
            waits.append(sent[-allowed] + self.group_window - now)
        while self._overall and now - self._overall[0] >= 1:
            self._overall.popleft()
        if len(self._overall) >= self.overall_per_second:
            waits.append(self._overall[0] + 1 - now)
        return max(0.0, *waits)

    def record(self, target: str) -> None:
        now = self.clock()
        self._chat[target].append(now)
        self._overall.append(now)

    def hold(self, target: str, seconds: float) -> None:
        """Telegram said retry_after: nothing more to this chat until then."""
        self._held_until[target] = max(self._held_until.get(target, 0.0), self.clock() + seconds)
