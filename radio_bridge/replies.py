"""Replies to field users, sent in order by one task so that nobody waits for them.

A reply can wait for the text budget (seat.py / pacing.py: announcements go
first), and a handler that awaited it would hold up the next command. The queue
is bounded: when it is full the reply is dropped and logged (the change it
answers is already committed; a lost reply is a lost courtesy, not lost data).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable

from radio_bridge.message import RadioMessage

log = logging.getLogger(__name__)
MAX_REPLIES = 20


class ReplyQueue:
    def __init__(
        self, send: Callable[[RadioMessage, str], Awaitable[None]], limit: int = MAX_REPLIES
    ) -> None:
        self._send = send
        self._limit = limit
        self._items: collections.deque[tuple[RadioMessage, str]] = collections.deque()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="radio-replies")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def put(self, to: RadioMessage, text: str) -> bool:
        if len(self._items) >= self._limit:
            log.warning(
                "radio: balasan untuk %s dibuang: %d balasan masih antre", to.sender, len(self._items)
            )
            return False
        self._items.append((to, text))
        self._ready.set()
        return True

    async def _run(self) -> None:
        while True:
            while not self._items:
                self._ready.clear()
                await self._ready.wait()
            to, text = self._items.popleft()
            try:
                await self._send(to, text)
            except Exception as exc:
                log.warning("radio reply to %s failed: %s", to.sender, exc)
