"""FOR TESTS ONLY: a wall clock that end-to-end tests can step without touching the machine's clock.

When DISPATCH_TESTONLY_WALL_OFFSET_FILE names a file, the bot's wall clock is time.time() plus the
seconds written in that file (re-read at most every 50 ms). Unset, as in production, it is time.time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.app import Clock

ENV = "DISPATCH_TESTONLY_WALL_OFFSET_FILE"


def wall_clock() -> Clock:
    name = os.environ.get(ENV)
    if not name:
        return time.time
    path = Path(name)
    cached = [0.0, -1.0]  # offset, monotonic time read

    def clock() -> float:
        now = time.monotonic()
        if now - cached[1] > 0.05:
            try:
                cached[0] = float(path.read_text().strip() or 0)
            except (OSError, ValueError):
                cached[0] = 0.0
            cached[1] = now
        return time.time() + cached[0]

    return clock
