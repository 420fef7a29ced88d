"""Waiting through wall clock steps.

Deadlines and retries are stored as wall times (what people read and what survives a restart). When
the wall clock is stepped (NTP after a bad RTC, an operator's `date -s`), every pending wait would
stretch or collapse by the step: a P1 acknowledgement deadline of 60 s became 660 s after a step back
of 10 minutes, and a step forward fired every escalation and folded every radio announcement at once.

ClockWatch compares the wall clock's progress with a monotonic one (CLOCK_BOOTTIME, which also counts
a suspend, so real waiting time is kept) at the start of every worker pass. A difference over
[watchdog] clock_step seconds is a step: it is logged, and in one audited transaction every pending
wait is moved by the step, so each keeps the length it had left. At start-up a database that has
written records later than the wall clock's now shows a step back while the bot was down (a lower
bound of it): that is shifted the same way, and no deadline may start after now.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.app import Clock, DispatchApp
from storage.clock import ClockRepo

log = logging.getLogger(__name__)


def boot_clock() -> float:
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):  # not Linux
        return time.monotonic()


class ClockWatch:
    def __init__(self, app: DispatchApp, tolerance: float = 5.0, mono: Clock = boot_clock) -> None:
        self.app = app
        self.tolerance = tolerance
        self.mono = mono
        self._ref: tuple[float, float] | None = None
        self._lock = asyncio.Lock()  # a worker whose pass starts during a shift waits for its commit

    async def check(self) -> float:
        """The step detected since the last check (0.0 when none), with the pending waits moved by it."""
        async with self._lock:
            wall, mono = self.app.clock(), self.mono()
            ref, self._ref = self._ref, (wall, mono)
            if ref is None:
                return await self._at_start(wall)
            step = (wall - ref[0]) - (mono - ref[1])
            if abs(step) <= self.tolerance:
                return 0.0
            try:
                await self._shift(step, wall, "running")
            except BaseException:
                self._ref = ref  # not applied: the next pass sees the same step again
                raise
            return step

    async def _at_start(self, wall: float) -> float:
        async with self.app.store.reading(wall) as tx:
            latest = await ClockRepo(tx.db).latest_record()
        if latest is None or latest - wall <= self.tolerance:
            return 0.0
        step = wall - latest  # negative: at least this far back
        await self._shift(step, wall, "start")
        return step

    async def _shift(self, step: float, now: float, seen: str) -> None:
        async with self.app.store.transaction(now) as tx:
            repo = ClockRepo(tx.db)
            moved = await repo.shift(step)
            clamped = await repo.clamp_deadlines(now)
            await tx.events.add("clock_step", "system", actor_name="sistem", step=round(step, 3), seen=seen,
                                outbox=moved.outbox, deadlines=moved.deadlines, clamped=clamped)  # fmt: skip
        log.warning(
            "wall clock stepped %+.1f s (seen at %s); moved %d pending outbox rows and %d deadlines by it",
            step, seen, moved.outbox, moved.deadlines,
        )  # fmt: skip
        self.app.wake()


async def settle_clock(app: DispatchApp) -> None:
    """At the start of a worker pass: apply any wall clock step before reading what is due."""
    if app.clock_watch is not None:
        await app.clock_watch.check()
