"""The loop every background worker shares: do a pass, then sleep until woken or until the pass's delay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable

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
            except sqlite3.OperationalError as exc:  # a busy database is waited out
                log.warning("%s: database busy (%s)", self.name, exc)
                delay = BUSY_RETRY
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races a wake-up,
            # and the worker would then never stop on SIGTERM.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(delay, 0.01)):
                    await self._wake.wait()
