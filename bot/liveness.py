"""The Telegram loop's heartbeat, written by the intake's poll loop and read by /healthz."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class LoopState:
    """Monotonic times: a step of the wall clock is not an outage."""

    started: float = field(default_factory=time.monotonic)
    last_poll_ok: float | None = None
    last_error: str | None = None
    failing_since: float | None = None  # the first failed getUpdates after the last good one

    def polling(self) -> None:
        """The poll loop starts (at start-up, or when a standby becomes active)."""
        self.started = time.monotonic()

    def polled(self) -> None:
        self.last_poll_ok = time.monotonic()
        self.last_error = None
        self.failing_since = None

    def failed(self, error: str) -> None:
        self.last_error = error[:200]
        if self.failing_since is None:
            self.failing_since = time.monotonic()
