"""Wake-ups for anything waiting on the fake server's state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChangeSignal:
    """Like asyncio.Condition.notify_all, but callable from plain (non-async) code.

    The test-side helpers (send_text, tap, ...) are synchronous, so they cannot take a
    Condition's lock; swapping a fresh Event on every change gives the same wake-all.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.version = 0

    def notify(self) -> None:
        self.version += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(
        self,
        predicate: Callable[[], T],
        timeout: float,  # noqa: ASYNC109 - the tests' API takes a plain timeout
        recheck: float | None = None,
    ) -> T | None:
        """Return the first truthy predicate value, or None once timeout seconds have passed.

        recheck bounds each wait, for predicates on state this server does not see (a database).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), min(remaining, recheck or remaining))
            except TimeoutError:
                pass
