"""A message can be on a screen, and answered, before the bot has committed the send's result (its
message id): a Tolak reason sent as a quick reply to its prompt, a bot under load. A handler asking
for that id waits for the delivery worker's record, but only while the request is out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.common import sent_message_id
from tests.test_escalation_support import DAMKAR, World, make_world

START = 1_700_000_000.0


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, START):
        yield w


async def a_prompt(world: World, *, sending: bool) -> int:
    async with world.app.store.transaction(world.clock()) as tx:
        row = await tx.outbox.add("telegram", "text", DAMKAR, 7, {"html": "tulis alasan"})
        if sending:
            assert await tx.outbox.begin_attempt_if_alone(row)
    return row


async def test_a_send_in_flight_is_waited_for_until_its_result_is_recorded(world: World) -> None:
    row = await a_prompt(world, sending=True)
    asking = asyncio.create_task(sent_message_id(world.app, row))
    await asyncio.sleep(0.05)  # the handler has read the row and waits: nothing recorded yet
    assert not asking.done()
    async with world.app.store.transaction(world.clock()) as tx:  # what the delivery worker does
        await tx.outbox.sent(row, 4321)
    world.app.sent_recorded()
    assert await asyncio.wait_for(asking, 1) == 4321


async def test_a_queued_row_is_not_waited_for(world: World) -> None:
    """Nobody can be answering a message that has not gone: no wait, so the intake is not held up."""
    row = await a_prompt(world, sending=False)
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await sent_message_id(world.app, row, wait=5.0) is None
    assert loop.time() - began < 1.0


async def test_a_result_that_never_comes_gives_up_after_the_wait(world: World) -> None:
    row = await a_prompt(world, sending=True)
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await sent_message_id(world.app, row, wait=0.2) is None
    assert loop.time() - began >= 0.2
