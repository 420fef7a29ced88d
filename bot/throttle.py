"""Per-user flood control for incoming updates: one person cannot starve everyone else."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any


class Throttle:
    def __init__(
        self, limit: int = 30, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._warned_at: dict[int, float] = {}

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        seen = self._seen[user_id]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True

    def should_warn(self, user_id: int) -> bool:
        """Warn (and audit) once per window, not once per dropped message."""
        now = self.clock()
        if now - self._warned_at.get(user_id, -1e9) < self.window:
            return False
        self._warned_at[user_id] = now
        return True


def sender_of(payload: dict[str, Any]) -> tuple[int | None, int | None]:
    """(user id, chat id) of a raw update, for the kinds people send."""
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        item = payload.get(key)
        if isinstance(item, dict):
            user = item.get("from") or {}
            chat = item.get("chat") or (item.get("message") or {}).get("chat") or {}
            return user.get("id"), chat.get("id")
    return None, None
