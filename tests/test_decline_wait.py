"""A Tolak waiting for its reason, at the service level: any later step (a radio one too) ends it, and a
late reason never declines from a state other than the one shown when Tolak was tapped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.common import Actor, Refused
from bot.services.status import Origin, report_status
from routing.model import AssignmentState
from tests.test_escalation_support import DAMKAR, World, make_world, wib

RESPONDER = Actor(501, "Budi", DAMKAR)
FIELD = Actor(0, "Damkar-1", 0, channel="radio")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, wib("2024-03-04 14:00")):
        yield w


async def _waiting_tolak(world: World) -> int:
    await world.dispatch()
    (assignment_id,) = (await world.rows("SELECT id FROM assignments WHERE agency = 'damkar'"))[0]
    async with world.app.store.transaction(world.clock()) as tx:
        await tx.drafts.put(RESPONDER.id, DAMKAR, "decline", "reason",
                            {"assignment_id": assignment_id, "from": "notified"})  # fmt: skip
        await tx.drafts.put(502, DAMKAR, "decline", "reason", {"assignment_id": assignment_id + 1})
    return int(assignment_id)


async def test_a_radio_step_ends_the_waiting_tolak(world: World) -> None:
    assignment_id = await _waiting_tolak(world)
    await report_status(world.app, assignment_id, AssignmentState.EN_ROUTE, FIELD, Origin(agency="damkar"),
                        update_id=None)  # fmt: skip
    # Only this assignment's wait ends; another assignment's Tolak still waits.
    assert await world.rows("SELECT user_id FROM drafts") == [(502,)]


async def test_a_late_reason_does_not_decline_from_another_state(world: World) -> None:
    assignment_id = await _waiting_tolak(world)
    origin = Origin(chat_id=DAMKAR)
    await report_status(
        world.app, assignment_id, AssignmentState.ACKNOWLEDGED, RESPONDER, origin, update_id=None
    )
    with pytest.raises(Refused) as refused:
        await report_status(world.app, assignment_id, AssignmentState.DECLINED, RESPONDER, origin,
                            reason="armada habis", update_id=None, only_from="notified")  # fmt: skip
    assert refused.value.reason == "stale_decline"
    assert await world.rows("SELECT state FROM assignments WHERE id = ?", assignment_id) == [
        ("acknowledged",)
    ]
