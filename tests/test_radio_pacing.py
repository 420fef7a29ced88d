"""TextBudget against a model of murmur 1.3's LeakyBucket, with time moved by hand."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from radio_bridge.pacing import CONNECT_COST, TextBudget


class MurmurBucket:
    """murmur 1.3.4's LeakyBucket::ratelimit, in Python (messageburst 5, messagelimit 1)."""

    def __init__(self, now: float, burst: int = 5, limit: int = 1) -> None:
        self.burst, self.limit = burst, limit
        self.tokens, self.last = 0, now

    def limited(self, now: float) -> bool:
        ms = int((now - self.last) * 1000)
        drain = ms * self.limit // 1000
        if drain > 0:
            self.last = now
            self.tokens = max(0, self.tokens - drain)
        if self.tokens > self.burst - 1:
            return True
        self.tokens += 1
        return False


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def budget(t: FakeTime) -> TextBudget:
    b = TextBudget(clock=t.clock, sleep=t.sleep)
    b.connected()
    return b


@pytest.mark.parametrize("seed", range(20))
async def test_no_message_is_ever_over_murmurs_limit(seed: int) -> None:
    rng = random.Random(seed)
    t = FakeTime()
    server = MurmurBucket(t.now)
    for _ in range(CONNECT_COST):  # Version and the move into the channel
        assert not server.limited(t.now)
    b = budget(t)
    dropped = 0
    for _ in range(200):
        t.now += rng.choice([0.0, 0.0, 0.01, 0.3, 0.9, 0.99, 1.0, 1.5, 1.9, 2.5, 7.0])
        await b.take(urgent=rng.random() < 0.7)
        # Arrival at the server: up to 50 ms late (network, pymumble's thread).
        dropped += server.limited(t.now + rng.uniform(0.0, 0.05))
    assert dropped == 0


async def test_a_burst_then_about_one_a_second() -> None:
    t = FakeTime()
    b = budget(t)
    start = t.now
    sent = []
    for _ in range(10):
        await b.take()
        sent.append(t.now - start)
    assert sent[:2] == [0.0, 0.0]  # 2 of the 4 tokens were spent on connecting
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(sent[1:])]
    assert all(1.0 <= g <= 1.3 for g in gaps), gaps


async def test_replies_leave_a_token_for_posts_and_never_pass_a_waiting_post() -> None:
    t = FakeTime()
    b = budget(t)
    order: list[str] = []

    async def reply(i: int) -> None:
        await b.take(urgent=False)
        order.append(f"reply{i}")

    async def post() -> None:
        await b.take(urgent=True)
        order.append("post")

    replies = [asyncio.create_task(reply(i)) for i in range(6)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["reply0"]  # 2 spent connecting, 1 reply; the last token is kept for a post
    start = t.now
    await post()
    assert t.now == start and order == ["reply0", "post"]  # the post went at once
    late_post = asyncio.create_task(post())
    await asyncio.sleep(0)
    await asyncio.gather(*replies, late_post)
    assert order.index("post", 2) < order.index("reply1")  # the waiting post went before the next reply
