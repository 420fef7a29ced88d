"""A new incident's first cards open their send attempt in the incident's own transaction, so the
delivery worker sends them with no commit of its own first; a kill in between still marks the
resend, and a card the worker holds back has its early attempt undone. In process, clocks by hand."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import REPEAT_MARK, TelegramDelivery
from bot.pacing import Pacer
from tests.test_card_coalescing import GatedPort, delivery_for, run_for
from tests.test_escalation_support import DAMKAR, World, make_world

START = 1_700_000_000.0


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, START):
        yield w


def count_commits(world: World) -> list[int]:
    """Wraps the store's transaction: the list's one item counts the transactions committed."""
    store = world.app.store
    inner = store.transaction
    commits = [0]

    @contextlib.asynccontextmanager
    async def counted(now: float, update_id: int | None = None) -> AsyncIterator[Any]:
        async with inner(now, update_id) as tx:
            yield tx
        commits[0] += 1

    store.transaction = counted  # type: ignore[method-assign]
    return commits


class CountingPort(GatedPort):
    def __init__(self, world: World, commits: list[int]) -> None:
        super().__init__(world)
        self.commits = commits
        self.commits_at_send: list[tuple[int, int]] = []  # (chat, commits before its send)

    async def send_text(
        self, chat_id: int, html: str, buttons: Any = None, *, force_reply: bool = False
    ) -> int:
        self.commits_at_send.append((chat_id, self.commits[0]))
        return await super().send_text(chat_id, html, buttons, force_reply=force_reply)


async def card_rows(world: World) -> list[tuple[Any, ...]]:
    return await world.rows(
        "SELECT attempts, attempt_open, maybe_sent, state FROM outbox WHERE kind = 'card'"
    )


async def test_first_cards_go_with_no_commit_before_them(world: World) -> None:
    commits = count_commits(world)
    port = CountingPort(world, commits)
    delivery = TelegramDelivery(world.app, port, Pacer(clock=world.clock))
    await world.dispatch()
    cards = await card_rows(world)
    assert cards and all(r[:3] == (1, 1, 0) for r in cards)  # opened by the incident's transaction
    commits[0] = 0
    await delivery._dispatch_due()
    await delivery.drain()
    groups = [(chat, n) for chat, n in port.commits_at_send if chat < 0]
    assert len(groups) == len(cards) and all(n == 0 for _, n in groups)  # no commit before any card
    assert all(REPEAT_MARK not in html for _, _, _, html in port.sent)
    assert all(r == (1, 0, 0, "sent") for r in await card_rows(world))


async def test_a_kill_after_the_incident_commit_marks_the_resend(world: World) -> None:
    """The attempt was open when the process died: the card may have gone out, so it is marked."""
    delivery_for(world)  # the process that died had a delivery worker
    await world.dispatch()
    await world.reopen()  # kill -9 before the delivery pass
    delivery, port = delivery_for(world)
    await run_for(world, delivery, 3)
    cards = [html for _, what, chat, html in port.sent if chat < 0 and what == "send"]
    assert cards and all(REPEAT_MARK in html for html in cards)
    assert all(r[3] == "sent" and r[1] == 0 for r in await card_rows(world))


async def test_a_card_the_pacer_holds_opens_no_attempt_early(world: World) -> None:
    delivery, port = delivery_for(world)
    delivery.pacer.record(str(DAMKAR))  # the group just had a message: its card must wait 1.1 s
    await world.dispatch()
    rows = await world.rows(
        "SELECT attempts, attempt_open FROM outbox WHERE kind = 'card' AND target = ?", DAMKAR
    )
    assert rows == [(0, 0)]
    await run_for(world, delivery, 3)
    assert [c for _, w, c, _ in port.sent if w == "send"].count(DAMKAR) == 1
    assert all(REPEAT_MARK not in html for _, _, _, html in port.sent)


async def test_an_early_attempt_not_sent_after_all_is_undone(world: World) -> None:
    """Opened, but another row took the group's turn first: the attempt is closed in that pass, so a
    kill afterwards leaves no false "may have gone out" on a card that never went."""
    delivery, first = delivery_for(world)
    await world.dispatch()
    async with world.app.store.transaction(world.clock()) as tx:  # ahead of the card in its group
        await tx.outbox.add("telegram", "text", DAMKAR, 0, {"html": "lebih dulu"})
    await delivery._dispatch_due()
    await delivery.drain()
    rows = await world.rows(
        "SELECT attempts, attempt_open, state FROM outbox WHERE kind = 'card' AND target = ?", DAMKAR
    )
    assert rows == [(0, 0, "pending")]
    await world.reopen()  # a kill now
    fresh, port = delivery_for(world)
    await run_for(world, fresh, 3)
    assert first.to(DAMKAR, "send") == ["lebih dulu"]
    damkar = port.to(DAMKAR, "send")
    assert len(damkar) == 1 and "#1" in damkar[0] and REPEAT_MARK not in damkar[0]


async def test_one_early_attempt_a_group_at_a_time(world: World) -> None:
    """Two incidents for the same groups at once: the second's cards would wait the pacer's gap, so
    only the first's open early (a kill then leaves at most one card a chat in doubt, as before)."""
    delivery, port = delivery_for(world)
    await world.dispatch()
    await world.dispatch()
    rows = await world.rows(
        "SELECT attempts, attempt_open FROM outbox WHERE kind = 'card' AND target = ?", DAMKAR
    )
    assert rows == [(1, 1), (0, 0)]
    await run_for(world, delivery, 4)
    assert len(port.to(DAMKAR, "send")) == 2
    assert all(REPEAT_MARK not in html for _, _, _, html in port.sent)


def watch_open_attempts(world: World) -> list[list[tuple[Any, ...]]]:
    """After every commit: the chats with more than one send attempt open. A kill at that instant
    would mark each of them as a possible repeat, where the worker's rule allows one a chat."""
    store = world.app.store
    inner = store.transaction
    seen: list[list[tuple[Any, ...]]] = []

    @contextlib.asynccontextmanager
    async def checked(now: float, update_id: int | None = None) -> AsyncIterator[Any]:
        async with inner(now, update_id) as tx:
            yield tx
        doubled = await world.rows(
            "SELECT target, COUNT(*) FROM outbox WHERE attempt_open = 1 GROUP BY target HAVING COUNT(*) > 1"
        )
        if doubled:
            seen.append(doubled)

    store.transaction = checked  # type: ignore[method-assign]
    return seen


async def test_a_card_behind_a_backlog_opens_no_attempt_early(world: World) -> None:
    """A process that just took over (its pacer knows nothing) finds the group's queue left by the
    one before: the new card goes behind it, so it must not open its attempt early."""
    async with world.app.store.transaction(world.clock()) as tx:  # left queued by the process before
        await tx.outbox.add("telegram", "text", DAMKAR, 1, {"html": "antre dari proses sebelumnya"})
    delivery, port = delivery_for(world)
    doubled = watch_open_attempts(world)
    await world.dispatch()
    rows = await world.rows(
        "SELECT attempts, attempt_open FROM outbox WHERE kind = 'card' AND target = ?", DAMKAR
    )
    assert rows == [(0, 0)]
    await run_for(world, delivery, 3)
    assert port.to(DAMKAR, "send")[0] == "antre dari proses sebelumnya"
    assert len(port.to(DAMKAR, "send")) == 2 and doubled == []


async def test_an_early_attempt_is_undone_in_the_commit_that_opens_the_chats_other_row(
    world: World,
) -> None:
    """The early card lost its group's turn to a row that came after it: closing its attempt and
    opening the other's is one commit, so no instant has two attempts open in one chat."""
    delivery, port = delivery_for(world)
    doubled = watch_open_attempts(world)
    await world.dispatch()
    async with world.app.store.transaction(world.clock()) as tx:  # ranks ahead of the card
        await tx.outbox.add("telegram", "text", DAMKAR, 0, {"html": "lebih dulu"})
    await run_for(world, delivery, 3)
    assert port.to(DAMKAR, "send")[0] == "lebih dulu" and len(port.to(DAMKAR, "send")) == 2
    assert doubled == []
