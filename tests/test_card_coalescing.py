"""Queued edits of one card go out as one carrying the latest state; an edit waiting behind new cards is
not starved. In process, clocks moved by hand (as tests/test_delivery_pacing.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery import CARD_RESERVE, EDIT_PROMOTE_AFTER, TelegramDelivery
from bot.pacing import Pacer
from bot.ports import Buttons
from bot.services.common import Actor
from bot.services.status import Origin, report_status
from routing.model import AssignmentState
from tests.test_escalation_support import DAMKAR, World, make_world

START = 1_700_000_000.0
MEMBER = Actor(501, "Budi", DAMKAR)


class GatedPort:
    """Records sends and edits; an edit can be held at the port until the test lets it go."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sent: list[tuple[float, str, int, str]] = []  # (when, "send"/"edit", chat, html)
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def send_text(
        self, chat_id: int, html: str, buttons: Buttons | None = None, *, force_reply: bool = False
    ) -> int:
        self.sent.append((self.world.clock(), "send", chat_id, html))
        return len(self.sent)

    async def edit_text(self, chat_id: int, message_id: int, html: str, buttons: Buttons | None) -> None:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append((self.world.clock(), "edit", chat_id, html))

    async def send_photo(self, chat_id: int, png: bytes, caption_html: str) -> int:
        return await self.send_text(chat_id, caption_html)

    async def leave_chat(self, chat_id: int) -> None:
        return None

    def to(self, chat: int, what: str) -> list[str]:
        return [h for _, w, c, h in self.sent if c == chat and w == what]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, START):
        yield w


def delivery_for(world: World) -> tuple[TelegramDelivery, GatedPort]:
    port = GatedPort(world)
    return TelegramDelivery(world.app, port, Pacer(clock=world.clock)), port


async def run_for(world: World, delivery: TelegramDelivery, seconds: float, step: float = 0.5) -> None:
    for _ in range(int(seconds / step)):
        while True:  # as many passes as the worker would make at this instant
            before = len(delivery.port.sent)  # type: ignore[attr-defined]
            await delivery._dispatch_due()
            await delivery.drain()
            if len(delivery.port.sent) == before:  # type: ignore[attr-defined]
                break
        world.clock.advance(step)


async def tap(world: World, assignment_id: int, state: AssignmentState) -> None:
    await report_status(world.app, assignment_id, state, MEMBER, Origin(chat_id=DAMKAR), update_id=None)


async def damkar_assignment(world: World) -> int:
    rows = await world.rows("SELECT id FROM assignments WHERE chat_id = ?", DAMKAR)
    return int(rows[0][0])


async def test_edits_queued_for_one_card_go_as_one_with_the_latest_state(world: World) -> None:
    delivery, port = delivery_for(world)
    await world.dispatch()
    await run_for(world, delivery, 2)
    assert len(port.to(DAMKAR, "send")) == 1
    assignment = await damkar_assignment(world)
    for state in (AssignmentState.ACKNOWLEDGED, AssignmentState.EN_ROUTE, AssignmentState.ON_SCENE):
        await tap(world, assignment, state)  # three taps while the card waits its turn
    await run_for(world, delivery, 5)
    edits = port.to(DAMKAR, "edit")
    assert len(edits) == 1  # three taps, one edit
    assert "Diterima" in edits[0] and "Berangkat" in edits[0] and "Tiba di lokasi" in edits[0]
    coalesced = await world.rows(
        "SELECT COUNT(*) FROM outbox WHERE assignment_id = ? AND state = 'superseded'", assignment
    )
    assert coalesced == [(2,)]
    pending = await world.rows("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
    assert pending == [(0,)]


async def test_a_change_made_while_the_edit_is_on_its_way_gets_its_own_edit(world: World) -> None:
    """The edit picked and rendered before the last tap cannot show it: that tap's row must survive
    the coalescing and go out after, so the card ends showing the final state."""
    delivery, port = delivery_for(world)
    await world.dispatch()
    await run_for(world, delivery, 2)
    assignment = await damkar_assignment(world)
    await tap(world, assignment, AssignmentState.ACKNOWLEDGED)
    world.clock.advance(1.5)
    port.gate = asyncio.Event()
    await delivery._dispatch_due()  # picks the edit; its render reads the state, then waits at the port
    await asyncio.wait_for(port.entered.wait(), 5)
    await tap(world, assignment, AssignmentState.CLEARED)  # committed after that render
    port.gate.set()
    await delivery.drain()
    port.gate = None
    await run_for(world, delivery, 5)
    edits = port.to(DAMKAR, "edit")
    assert len(edits) == 2
    assert "Selesai" not in edits[0] and "Selesai" in edits[1]


async def test_an_edit_waits_behind_new_cards_but_not_for_ever(world: World) -> None:
    delivery, port = delivery_for(world)
    await world.dispatch()
    await run_for(world, delivery, 2)
    assignment = await damkar_assignment(world)
    await tap(world, assignment, AssignmentState.ACKNOWLEDGED)
    tapped = world.clock()
    # The group is kept busy by a stream of new P1 messages, queued after the tap.
    async with world.app.store.transaction(world.clock()) as tx:
        for i in range(60):
            await tx.outbox.add("telegram", "text", DAMKAR, 1, {"html": f"kartu baru {i}"})
    await run_for(world, delivery, 40)
    edit_at = [t for t, what, chat, _ in port.sent if chat == DAMKAR and what == "edit"]
    assert len(edit_at) == 1
    waited = edit_at[0] - tapped
    # New cards first while the edit is fresh; once it has waited EDIT_PROMOTE_AFTER, its turn.
    assert EDIT_PROMOTE_AFTER - 1 <= waited <= EDIT_PROMOTE_AFTER + 3
    before_edit = [h for t, w, c, h in port.sent if c == DAMKAR and w == "send" and t < edit_at[0]]
    assert len(before_edit) >= EDIT_PROMOTE_AFTER // 1.1 - 1  # the card and the new ones sent while it waited


async def test_ordering_without_age_is_unchanged(world: World) -> None:
    """heads_aging with nothing old enough picks exactly what heads picks."""
    await world.dispatch()
    async with world.app.store.transaction(world.clock()) as tx:
        await tx.outbox.add("telegram", "text", DAMKAR, 7, {"html": "rendah"})
    async with world.app.store.reading(world.clock()) as tx:
        plain = [r.id for r in await tx.outbox.heads("telegram")]
        aged = [r.id for r in await tx.outbox.heads_aging("telegram", world.clock() - 15, 3)]
        late = [r.id for r in await tx.outbox.heads_aging("telegram", world.clock() + 100, 3)]
    assert plain == aged
    assert plain == late  # a first card or a low-priority text is never promoted, only edits


async def test_edits_leave_room_in_a_group_for_a_new_card(world: World) -> None:
    """Messages ranked below new cards use at most 15 of a group's 20 a minute: a new card that
    comes while they queue goes at once, not after the minute's window has freed."""
    delivery, port = delivery_for(world)
    async with world.app.store.transaction(world.clock()) as tx:
        for i in range(40):
            await tx.outbox.add("telegram", "text", DAMKAR, 4 + i % 3, {"html": f"ubah {i}"})
    await run_for(world, delivery, 40)
    assert len(port.to(DAMKAR, "send")) == 20 - CARD_RESERVE
    async with world.app.store.transaction(world.clock()) as tx:
        await tx.outbox.add("telegram", "text", DAMKAR, 1, {"html": "kartu baru"})
    queued = world.clock()
    await run_for(world, delivery, 5)
    new = [t for t, w, c, h in port.sent if h == "kartu baru"]
    assert new and new[0] - queued <= 1.0
    assert len(port.to(DAMKAR, "send")) == 20 - CARD_RESERVE + 1  # and nothing else yet


def test_a_reserve_only_narrows_a_groups_window() -> None:
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    for _ in range(15):
        pacer.record("-1001")
        pacer.record("111")
        now[0] += 1.2
    assert pacer.wait("-1001", reserve=5) > 40  # 15 in the window: edits wait for it to move
    assert pacer.wait("-1001") == 0  # a new card does not
    assert pacer.wait("111", reserve=5) == 0  # a private chat has no minute limit


async def test_a_new_card_goes_before_an_edit_promoted_for_its_age(world: World) -> None:
    """Promotion keeps an edit from starving behind new cards, but a new incident's first card
    waiting for the same group still goes first (an overload of taps must not hold new cards)."""
    delivery, port = delivery_for(world)
    await world.dispatch()
    await run_for(world, delivery, 2)
    await tap(world, await damkar_assignment(world), AssignmentState.ACKNOWLEDGED)
    world.clock.advance(EDIT_PROMOTE_AFTER + 1)  # the edit is promoted: it ranks as a P1 card
    await world.dispatch()  # a new P1 incident: its card is queued after the edit
    await delivery._dispatch_due()
    await delivery.drain()
    damkar = [(w, h) for _, w, c, h in port.sent if c == DAMKAR]
    assert damkar[-1][0] == "send" and "#2" in damkar[-1][1]
    await run_for(world, delivery, 3)
    assert len(port.to(DAMKAR, "edit")) == 1  # and the edit right after
