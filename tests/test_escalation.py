"""Escalation ladders with an injected clock: each step once, across restarts, and never after an answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.escalation import escalate_due
from bot.services.common import Actor
from bot.services.manage import add_agency, end_incident
from bot.services.status import Origin, report_status
from routing.model import AssignmentState, IncidentState
from tests.test_escalation_support import (
    CALL_TAKER,
    DAMKAR,
    PJU,
    POLRES,
    SUPERVISORS_GROUP,
    World,
    make_settings,
    make_world,
    wib,
)

T0 = wib("2024-03-04 14:00")
RESPONDER = Actor(501, "Budi", DAMKAR)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, T0):
        yield w


async def levels(world: World) -> dict[str, int]:
    return dict(await world.rows("SELECT agency, escalation_level FROM assignments"))


async def escalated(world: World) -> list[tuple[str, int]]:
    rows = await world.rows(
        "SELECT json_extract(data, '$.agency'), json_extract(data, '$.level') FROM events"
        " WHERE kind = 'escalated' ORDER BY id"
    )
    return [(str(a), int(n)) for a, n in rows]


async def ack(world: World, agency: str, state: AssignmentState = AssignmentState.ACKNOWLEDGED) -> None:
    (aid,) = (await world.rows("SELECT id FROM assignments WHERE agency = ?", agency))[0]
    await report_status(world.app, aid, state, RESPONDER, Origin(), update_id=None)


async def test_p1_ladder_repeat_at_60s_alert_at_180s(world: World) -> None:
    world.app.radio_enabled = True
    await world.dispatch()  # kebakaran: damkar, polres (groups); bpbd, satpolpp, pln (phoned)
    world.clock.advance(59.9)
    assert await escalate_due(world.app) == pytest.approx(T0 + 60)
    assert await escalated(world) == []

    world.clock.advance(0.1)
    assert await escalate_due(world.app) == pytest.approx(T0 + 180)
    repeats = await world.outbox("card_repeat")
    assert sorted(t for _, t, _ in repeats) == sorted([str(DAMKAR), str(POLRES)])
    radio = [p for k, _, p in await world.outbox() if k in ("radio_post", "radio_speak") and p["repeat"]]
    assert radio and all(p["number"] == 1 for p in radio)
    phoned = [t for t in await world.texts_to(CALL_TAKER) if "telepon lagi" in t]
    assert len(phoned) == 1 and "#1" in phoned[0] and "PLN" in phoned[0] and "Damkar" not in phoned[0]
    assert set((await levels(world)).values()) == {1}
    assert await world.texts_to(SUPERVISORS_GROUP) == []

    world.clock.advance(119)  # T0 + 179
    assert await escalate_due(world.app) == pytest.approx(T0 + 180)
    world.clock.advance(1)
    assert await escalate_due(world.app) is None  # the ladder is complete
    (alert,) = await world.texts_to(SUPERVISORS_GROUP)
    assert "#1" in alert and "Damkar" in alert and "Polres" in alert and "PLN" in alert and "3 mnt" in alert
    assert any("🚨" in t and "#1" in t for t in await world.texts_to(CALL_TAKER))
    assert len(await world.outbox("card_repeat")) == 2  # step 2 does not re-post cards
    assert [n for _, n in await escalated(world)] == [1] * 5 + [2] * 5


async def test_acknowledged_before_the_deadline_escalates_nothing(world: World) -> None:
    await world.dispatch(PJU)  # P3, dishub only (phoned): 30 min, then 2 h
    await ack(world, "dishub")
    world.clock.advance(3 * 3600)
    assert await escalate_due(world.app) is None
    assert await escalated(world) == [] and await world.texts_to(SUPERVISORS_GROUP) == []


async def test_only_the_silent_agencies_escalate(world: World) -> None:
    await world.dispatch()
    world.clock.advance(30)
    await ack(world, "damkar")
    await ack(world, "polres", AssignmentState.ON_SCENE)  # skipping ahead is an answer too
    world.clock.advance(200)
    await escalate_due(world.app)
    assert await world.outbox("card_repeat") == []
    agencies = {a for a, _ in await escalated(world)}
    assert agencies == {"bpbd", "satpolpp", "pln"}
    (alert,) = await world.texts_to(SUPERVISORS_GROUP)
    assert "Damkar" not in alert and "Satpol PP" in alert


async def test_closed_incident_does_not_escalate(world: World) -> None:
    await world.dispatch()
    await end_incident(world.app, 1, IncidentState.CANCELLED, "salah sambung", world.actor, update_id=None)
    world.clock.advance(3600)
    assert await escalate_due(world.app) is None
    assert await escalated(world) == []


async def test_restart_in_the_middle_of_a_ladder_doubles_nothing(world: World) -> None:
    await world.dispatch()
    world.clock.advance(61)
    await escalate_due(world.app)
    before = await world.outbox()
    await world.reopen()
    assert await escalate_due(world.app) == pytest.approx(T0 + 180)
    assert await world.outbox() == before
    world.clock.advance(120)
    await escalate_due(world.app)
    await world.reopen()
    assert await escalate_due(world.app) is None
    assert len(await world.texts_to(SUPERVISORS_GROUP)) == 1
    assert [n for _, n in await escalated(world)] == [1] * 5 + [2] * 5


async def test_escalation_due_while_down_fires_on_the_first_scan(world: World) -> None:
    await world.dispatch()
    world.clock.advance(3600)  # down for an hour: both steps are overdue
    await world.reopen()
    assert await escalate_due(world.app) is None
    assert len(await world.outbox("card_repeat")) == 2
    assert len(await world.texts_to(SUPERVISORS_GROUP)) == 1
    assert await escalate_due(world.app) is None
    assert len(await escalated(world)) == 10


async def test_a_late_added_agency_has_its_own_clock(world: World) -> None:
    await world.dispatch(PJU)
    world.clock.advance(1700)
    await add_agency(world.app, 1, "damkar", world.actor, update_id=None)
    world.clock.advance(100)  # dishub is due (30 min), damkar is not
    await escalate_due(world.app)
    assert await levels(world) == {"dishub": 1, "damkar": 0}


async def test_arrival_deadline_is_off_by_default_and_fires_once_when_set(tmp_path: Path) -> None:
    settings = make_settings(escalation={"arrive_p1": 600})
    async for world in make_world(tmp_path, T0, settings):
        await world.dispatch()
        await ack(world, "damkar", AssignmentState.EN_ROUTE)
        world.clock.advance(599)
        await escalate_due(world.app)
        assert not [t for t in await world.texts_to(SUPERVISORS_GROUP) if "belum tiba" in t]
        world.clock.advance(1)
        await escalate_due(world.app)
        await escalate_due(world.app)
        late = [t for t in await world.texts_to(SUPERVISORS_GROUP) if "belum tiba" in t]
        assert len(late) == 1 and "Damkar berangkat 14:00 WIB" in late[0]


def test_alert_must_come_after_repeat() -> None:
    with pytest.raises(ValidationError, match="alert_p2 harus lebih lama dari ack_p2"):
        make_settings(escalation={"ack_p2": 600, "alert_p2": 600})
