"""Pacing one connection's text under murmur's per-user limit, posts ahead of replies.

murmur 1.3 keeps a leaky bucket per user (ServerUser.cpp, ``LeakyBucket``):
every counted message adds a token, and a message that would take the bucket
past ``messageburst`` (5) is dropped silently. It drains ``messagelimit`` (1)
tokens a second, but only in whole tokens, and the time it drained is the new
start: 1.9 s after the last drain, one token goes and 0.9 s are lost. Counted
are text messages and also the client's Version, its own UserState (moving
into a channel, registering) and channel creation, so a fresh connection has
spent 2 tokens before it says anything. Measured: a burst of 10 delivered 5;
0.97 s apart after a burst, 4 of 8 were lost; 1.0 s apart, none.

``TextBudget`` mirrors that bucket for one connection with a margin: one token
fewer than the server allows, and each drain counted ``MARGIN`` late (a message
is timed here before it crosses the socket; the server times its arrival).
Announcements of incidents are *urgent*; replies to field users are not: a
reply may only take a token while one is left over for a post, and never while
a post waits, so a flood of replies delays a post by at most one drain.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MESSAGE_BURST = 5  # murmur's default messageburst
MESSAGE_LIMIT = 1  # murmur's default messagelimit (tokens drained a second)
MARGIN = 0.15  # seconds: our clock is not the server's
CONNECT_COST = 2  # Version + moving into the channel, counted by the server before any text
REPLY_RESERVE = 1  # tokens a reply must leave for the next post
POLL = 0.05


class TextBudget:
    def __init__(
        self,
        limit: int = MESSAGE_LIMIT,
        burst: int = MESSAGE_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or burst < 2:
            raise ValueError("murmur's limits: messagelimit >= 1, messageburst >= 2")
        self.limit = limit
        self.capacity = burst - 1  # one spare token against timing differences
        self._clock, self._sleep = clock, sleep
        self.level = 0  # tokens in the server's bucket, as far as we can tell
        self._last = clock()  # when the server last drained (or the bucket was made)
        self._urgent = asyncio.Lock()  # FIFO among posts
        self._normal = asyncio.Lock()  # FIFO among replies
        self._urgent_waiting = 0

    def connected(self, used: int = CONNECT_COST) -> None:
        """A fresh connection: a new bucket on the server, ``used`` tokens already spent."""
        self.level, self._last = used, self._clock()

    def _after_drain(self, now: float) -> tuple[int, float]:
        """(level, last drain) the server will compute when our next message arrives ``now``."""
        drained = int((now - self._last - MARGIN) * self.limit) if now - self._last > MARGIN else 0
        if drained <= 0:
            return self.level, self._last
        return max(0, self.level - drained), now

    def _try(self, ceiling: int) -> float:
        """Spend a token if the bucket stays at or below ``ceiling``; else return how long to wait."""
        now = self._clock()
        level, last = self._after_drain(now)
        if level + 1 <= ceiling:
            self.level, self._last = level + 1, last
            return 0.0
        # The next whole-token drain counted from the last one.
        tokens_needed = self.level + 1 - ceiling
        ready_at = self._last + MARGIN + tokens_needed / self.limit
        return max(ready_at - now, 0.01)

    async def take(self, *, urgent: bool = True) -> None:
        """Wait until one message may be sent, then count it."""
        if urgent:
            self._urgent_waiting += 1
            try:
                async with self._urgent:
                    while (wait := self._try(self.capacity)) > 0:
                        await self._sleep(wait)
            finally:
                self._urgent_waiting -= 1
            return
        ceiling = max(1, self.capacity - REPLY_RESERVE)
        async with self._normal:
            while True:
                if self._urgent_waiting:
                    await self._sleep(POLL)
                    continue
                wait = self._try(ceiling)
                if wait <= 0:
                    return
                await self._sleep(min(wait, POLL * 4))  # re-check soon: a post may come first
