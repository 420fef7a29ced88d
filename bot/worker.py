"""The loop every background worker shares: do a pass, then sleep until woken or until the pass's delay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage.db import TRANSIENT_ERRORS

log = logging.getLogger(__name__)
BUSY_RETRY = 0.5


class WakeableLoop:
    def __init__(self, name: str) -> None:
        self.name = name
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, one_pass: Callable[[], Awaitable[float]]) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await one_pass()
            except TRANSIENT_ERRORS as exc:  # a busy database is waited out
                log.warning("%s: database busy (%s)", self.name, exc)
                delay = BUSY_RETRY
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races a wake-up,
            # and the worker would then never stop on SIGTERM.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(delay, 0.01)):
                    await self._wake.wait()


class DeadlineScanner:
    """A worker that sleeps until the next deadline its scan returns (None: nothing is waiting), at most
    `max_sleep` so the database is re-read whatever happens to the wake-ups, or until woken. A failing
    scan (a locked database, a bug) is logged and retried shortly: it must never stop dispatch."""

    def __init__(self, name: str, scan: Callable[[], Awaitable[float | None]], clock: Callable[[], float],
                 *, max_sleep: float = 30.0, retry_after_error: float = 5.0) -> None:  # fmt: skip
        self.name = name
        self._scan_once = scan
        self._clock = clock
        self.max_sleep = max_sleep
        self.retry_after_error = retry_after_error
        self._loop = WakeableLoop(name)

    def wake(self) -> None:
        self._loop.wake()

    async def run(self) -> None:
        await self._loop.run(self._scan)

    async def _scan(self) -> float:
        try:
            next_due = await self._scan_once()
        except Exception:
            log.exception("%s scan failed", self.name)
            return self.retry_after_error
        delay = self.max_sleep if next_due is None else next_due - self._clock()
        return min(self.max_sleep, max(delay, 0.02))
