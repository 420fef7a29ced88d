"""Per-user flood control for incoming updates: one person cannot starve everyone else.

Messages are counted by the time Telegram says they were sent, not when they reach us: after the bot
was down, a call taker's backlog of commands arrives in one batch and is not a flood. An edit counts
when it was edited; a tap, which carries no time, when it was received (stored in the inbox), so a
backlog of taps handled in one pass after a restart is not a flood either. A live location moving is
the client's doing, not the person's: it is never counted."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any


class Throttle:
    def __init__(self, limit: int = 30, window: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[int, list[float]] = defaultdict(list)
        self._warned_at: dict[int, float] = {}

    def allow(self, user_id: int, sent_at: float | None = None) -> bool:
        at = self.clock() if sent_at is None else sent_at
        seen = self._seen[user_id]
        newest = max([at, *seen[-1:]])
        seen[:] = [t for t in seen if t > newest - 2 * self.window]
        if sum(1 for t in seen if at - self.window < t <= at) >= self.limit:
            return False
        seen.append(at)
        return True

    def should_warn(self, user_id: int) -> bool:
        """Warn (and audit) once per window, not once per dropped message."""
        now = self.clock()
        if now - self._warned_at.get(user_id, -1e9) < self.window:
            return False
        self._warned_at[user_id] = now
        return True


# The update types the handlers know: getUpdates asks for these only (allowed_updates).
HANDLED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


def sender_of(
    payload: dict[str, Any], received_at: float | None = None
) -> tuple[int | None, int | None, float | None]:
    """(user id, chat id, when it happened) of a raw update: a message's send date, an edit's edit
    date, a tap's time of receipt (a tap carries no time of its own)."""
    for key in HANDLED_UPDATES:
        item = payload.get(key)
        if isinstance(item, dict):
            user = item.get("from") or {}
            chat = item.get("chat") or (item.get("message") or {}).get("chat") or {}
            if key == "callback_query":
                sent = received_at
            elif key == "edited_message":
                sent = item.get("edit_date") or item.get("date")  # date stays the original message's
            else:
                sent = item.get("date")
            return user.get("id"), chat.get("id"), float(sent) if sent else None
    return None, None, None


def counted(payload: dict[str, Any]) -> bool:
    """False for a live location moving: dozens of edits a minute that nobody typed."""
    edited = payload.get("edited_message")
    return not (isinstance(edited, dict) and "location" in edited)
