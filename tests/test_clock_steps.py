"""Wall clock steps, with both clocks injected: waits keep their length, nothing fires or folds early,
the step is logged and audited. The wall clock still stamps what people read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.clockwatch import ClockWatch
from bot.escalation import escalate_due
from bot.pacing import Pacer
from bot.ports import DeliveryError
from radio_bridge.delivery import RadioDelivery
from tests.test_delivery_marks import FlakyPort
from tests.test_delivery_pacing import enqueue, make
from tests.test_escalation_support import SUPERVISORS_GROUP, World, make_world, wib

T0 = wib("2024-03-04 14:00")


class Mono:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, Mono]]:
    async for w in make_world(tmp_path, T0):
        mono = Mono()
        w.app.clock_watch = ClockWatch(w.app, tolerance=5.0, mono=mono)
        yield w, mono


def tick(world: World, mono: Mono, seconds: float) -> None:
    """Real time passes: both clocks move."""
    world.clock.advance(seconds)
    mono.now += seconds


async def steps(world: World) -> list[dict[str, Any]]:
    rows = await world.rows("SELECT data FROM events WHERE kind = 'clock_step' ORDER BY id")
    return [json.loads(r[0]) for r in rows]


async def test_a_step_back_does_not_stretch_a_p1_deadline(world: tuple[World, Mono]) -> None:
    w, mono = world
    await escalate_due(w.app)  # the watch takes its reference
    await w.dispatch()
    tick(w, mono, 10)
    w.clock.advance(-600)  # the wall clock is stepped back 10 minutes
    await escalate_due(w.app)
    assert (await steps(w))[0]["step"] == pytest.approx(-600)
    tick(w, mono, 49)
    await escalate_due(w.app)
    assert await w.outbox("card_repeat") == []
    tick(w, mono, 1)  # 60 s of real time since the dispatch
    await escalate_due(w.app)
    assert len(await w.outbox("card_repeat")) == 2
    tick(w, mono, 120)  # 180 s: the supervisors are alerted, with the real time waited
    await escalate_due(w.app)
    (alert,) = await w.texts_to(SUPERVISORS_GROUP)
    assert "sejak 14:00 WIB (3 mnt)" in alert  # the wall time people read is the recorded one


async def test_a_step_forward_fires_nothing_early(world: tuple[World, Mono]) -> None:
    w, mono = world
    await escalate_due(w.app)
    await w.dispatch()
    tick(w, mono, 10)
    w.clock.advance(3600)  # an hour forward at once
    await escalate_due(w.app)
    assert await w.outbox("card_repeat") == [] and await w.texts_to(SUPERVISORS_GROUP) == []
    tick(w, mono, 50)
    await escalate_due(w.app)
    assert len(await w.outbox("card_repeat")) == 2
    assert await w.texts_to(SUPERVISORS_GROUP) == []
    assert (await steps(w))[0]["step"] == pytest.approx(3600)


async def test_small_jitter_is_not_a_step(world: tuple[World, Mono]) -> None:
    w, mono = world
    await escalate_due(w.app)
    tick(w, mono, 30)
    w.clock.advance(2.0)  # under the 5 s tolerance
    await escalate_due(w.app)
    assert await steps(w) == []


async def test_a_retry_is_not_stalled_by_a_step_back(tmp_path: Path) -> None:
    app, delivery, _port, now = await make(tmp_path)
    mono = [0.0]
    app.clock_watch = ClockWatch(app, tolerance=5.0, mono=lambda: mono[0])
    port = FlakyPort([DeliveryError("network: Bad Gateway")])
    delivery.port = port
    delivery.pacer = Pacer(clock=lambda: mono[0])
    await enqueue(app, 111, "balasan", 0)
    await delivery._dispatch_due()
    await delivery.drain()  # failed: due again in about a second
    now[0] -= 600  # the wall clock is stepped back 10 minutes
    for _ in range(10):  # 5 s of real time
        now[0] += 0.5
        mono[0] += 0.5
        await delivery._dispatch_due()
        await delivery.drain()
    assert [html for _, _, html in port.sent] == ["balasan"]
    await app.store.close()


class FakeLink:
    connected = True

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []

    async def post(self, channel: str, html_text: str) -> None:
        self.posts.append((channel, html_text))

    async def speak(self, channel: str, pcm: bytes) -> float:
        self.posts.append((channel, "<speech>"))
        return 0.0


async def _no_speech(text: str) -> bytes:
    return b""


async def test_a_step_forward_does_not_fold_pending_announcements(world: tuple[World, Mono]) -> None:
    w, _mono = world
    w.app.radio_enabled = True
    await escalate_due(w.app)
    await w.dispatch()  # radio posts and speech are pending in the outbox
    link = FakeLink()
    radio = RadioDelivery(w.app, link, _no_speech)  # type: ignore[arg-type]
    w.clock.advance(3600)  # the wall clock jumps an hour: stale_after (600 s) would fold them all
    for _ in range(10):
        await radio._pass()
    assert link.posts and not any("Ringkasan" in text for _, text in link.posts)
    assert not await w.rows("SELECT id FROM outbox WHERE state = 'superseded'")


async def test_a_step_back_while_down_is_caught_at_start(world: tuple[World, Mono]) -> None:
    w, mono = world
    await w.dispatch()  # written at T0 by the previous run
    w.clock.advance(-600)  # the new process starts with the wall clock 10 minutes behind
    await w.reopen()
    w.app.clock_watch = ClockWatch(w.app, tolerance=5.0, mono=mono)
    await escalate_due(w.app)
    (step,) = await steps(w)
    assert step["step"] == pytest.approx(-600)
    tick(w, mono, 60)  # a minute after start: the P1 deadline (60 s) is due, not 11 minutes late
    await escalate_due(w.app)
    assert len(await w.outbox("card_repeat")) == 2
