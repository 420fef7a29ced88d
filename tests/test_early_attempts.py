"""A new incident's first cards open their send attempt in the incident's own transaction and leave
the moment it commits: no pass of the delivery worker, no commit of its own first. A kill before the
results still marks the resends; a card that could not go at once (the pacer, a backlog in its
chat) opens nothing early and waits its turn. In process, clocks by hand."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import CARDS_AHEAD, REPEAT_MARK, TelegramDelivery
from bot.pacing import Pacer
from tests.test_card_coalescing import GatedPort, delivery_for, run_for
from tests.test_escalation_support import DAMKAR, World, make_world

START = 1_700_000_000.0


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, START):
        yield w


def count_commits(world: World) -> list[int]:
    """The list's one item counts the durable commits, each as it is made."""
    store = world.app.store
    inner = store._durable_commit
    commits = [0]

    def counted() -> None:
        commits[0] += 1
        inner()

    store._durable_commit = counted  # type: ignore[method-assign]
    return commits


def watch_open_attempts(world: World) -> list[list[tuple[Any, ...]]]:
    """After every commit: the chats with more than one send attempt open. A kill at that instant
    would mark each of them as a possible repeat, where the worker's rule allows one a chat."""
    store = world.app.store
    inner = store.transaction
    seen: list[list[tuple[Any, ...]]] = []

    @contextlib.asynccontextmanager
    async def checked(now: float, update_id: int | None = None, **kw: Any) -> AsyncIterator[Any]:
        async with inner(now, update_id, **kw) as tx:
            yield tx
        doubled = await world.rows(
            "SELECT target, COUNT(*) FROM outbox WHERE attempt_open = 1 GROUP BY target HAVING COUNT(*) > 1"
        )
        if doubled:
            seen.append(doubled)

    store.transaction = checked  # type: ignore[method-assign]
    return seen


class CountingPort(GatedPort):
    def __init__(self, world: World, commits: list[int]) -> None:
        super().__init__(world)
        self.commits = commits
        self.commits_at_send: list[tuple[int, int]] = []  # (chat, commits before its send)

    async def send_text(
        self, chat_id: int, html: str, buttons: Any = None, *, force_reply: bool = False
    ) -> int:
        self.commits_at_send.append((chat_id, self.commits[0]))
        await asyncio.sleep(0)  # the request on its way: other tasks run meanwhile
        return await super().send_text(chat_id, html, buttons, force_reply=force_reply)


class HangingPort(GatedPort):
    """Telegram took the request and the process dies before the answer: sends never return."""

    async def send_text(
        self, chat_id: int, html: str, buttons: Any = None, *, force_reply: bool = False
    ) -> int:
        await super().send_text(chat_id, html, buttons, force_reply=force_reply)
        await asyncio.Event().wait()
        raise AssertionError


async def card_rows(world: World) -> list[tuple[Any, ...]]:
    return await world.rows(
        "SELECT attempts, attempt_open, maybe_sent, state FROM outbox WHERE kind = 'card'"
    )


async def test_first_cards_leave_when_the_incident_commits_with_no_pass_and_no_commit_first(
    world: World,
) -> None:
    commits = count_commits(world)
    port = CountingPort(world, commits)
    delivery = TelegramDelivery(world.app, port, Pacer(clock=world.clock))
    dispatched = await world.dispatch()
    await asyncio.sleep(0)  # the cards' tasks take their first step: nothing else ran in between
    groups = [(chat, n) for chat, n in port.commits_at_send if chat < 0]
    assert len(groups) == len(dispatched.reached) == 2
    assert all(n == 1 for _, n in groups)  # the incident's commit, and none after it
    await delivery.drain()
    assert all(REPEAT_MARK not in html for _, _, _, html in port.sent)
    assert await card_rows(world) == [(1, 0, 0, "sent")] * 2


async def test_a_kill_before_the_results_marks_the_resend(world: World) -> None:
    """The attempt was open when the process died: the card may have gone out, so it is marked."""
    hanging = HangingPort(world)
    dead = TelegramDelivery(world.app, hanging, Pacer(clock=world.clock))
    await world.dispatch()
    await asyncio.sleep(0)
    assert len([c for _, _, c, _ in hanging.sent if c < 0]) == 2  # on their way when it died
    for task in list(dead._in_flight.values()):
        task.cancel()  # kill -9: nothing after the requests ran
    await asyncio.gather(*dead._in_flight.values(), return_exceptions=True)
    assert all(r[1] == 1 for r in await card_rows(world))
    await world.reopen()
    delivery, port = delivery_for(world)
    await run_for(world, delivery, 3)
    cards = [html for _, what, chat, html in port.sent if chat < 0 and what == "send"]
    assert len(cards) == 2 and all(REPEAT_MARK in html for html in cards)
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


async def test_one_early_attempt_a_group_at_a_time(world: World) -> None:
    """Two incidents for the same groups at once: the second's cards would wait the pacer's gap, so
    they open nothing early and go in a later pass (a kill leaves at most one card a chat in doubt)."""
    delivery, port = delivery_for(world)
    doubled = watch_open_attempts(world)
    await world.dispatch()
    await world.dispatch()
    rows = await world.rows(
        "SELECT attempts, attempt_open FROM outbox WHERE kind = 'card' AND target = ? ORDER BY id", DAMKAR
    )
    assert rows[0][0] == 1 and rows[1] == (0, 0)
    await run_for(world, delivery, 4)
    assert len(port.to(DAMKAR, "send")) == 2
    assert all(REPEAT_MARK not in html for _, _, _, html in port.sent)
    assert doubled == []


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


async def test_a_rolled_back_transaction_launches_nothing(world: World) -> None:
    store = world.app.store
    launched: list[list[int]] = []

    async def launcher(_tx: Any, rows: list[int]) -> Any:
        return lambda: launched.append(list(rows))

    store.launcher = launcher
    with pytest.raises(RuntimeError):
        async with store.transaction(world.clock()) as tx:
            row = await tx.outbox.add("telegram", "text", DAMKAR, 1, {"html": "x"})
            assert tx.opened is not None
            tx.opened.append(row)
            raise RuntimeError("the handler failed")
    assert launched == [] and await world.rows("SELECT COUNT(*) FROM outbox") == [(0,)]
    async with store.transaction(world.clock()) as tx:
        row = await tx.outbox.add("telegram", "text", DAMKAR, 1, {"html": "x"})
        assert tx.opened is not None
        tx.opened.append(row)
    assert launched == [[row]]


class LoopTimedPort(GatedPort):
    """Notes the event loop's time of each send: the ordering in real time, not the test's clock."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.at: list[tuple[float, int]] = []  # (loop time, chat)

    async def send_text(
        self, chat_id: int, html: str, buttons: Any = None, *, force_reply: bool = False
    ) -> int:
        self.at.append((asyncio.get_running_loop().time(), chat_id))
        return await super().send_text(chat_id, html, buttons, force_reply=force_reply)


async def test_the_cards_go_ahead_of_the_confirmation_and_of_the_next_poll(world: World) -> None:
    """Each Bot API request costs CPU before its bytes leave: the call taker's confirmation and the
    poller's next getUpdates leave the new cards CARDS_AHEAD to be written first."""
    port = LoopTimedPort(world)
    delivery = TelegramDelivery(world.app, port, Pacer(clock=world.clock))
    loop = asyncio.get_running_loop()
    await world.dispatch()
    await world.app.behind_new_cards()  # what the poller awaits before its next getUpdates
    polled = loop.time()
    await delivery.drain()
    cards = [at for at, chat in port.at if chat < 0]
    confirmation = [at for at, chat in port.at if chat == world.actor.id]
    assert len(cards) == 2 and len(confirmation) == 1, port.at
    launched = min(cards)  # the cards' first steps, at once after the commit
    assert confirmation[0] - launched >= CARDS_AHEAD * 0.9 and polled - launched >= CARDS_AHEAD * 0.9
    assert await world.rows("SELECT state, attempt_open FROM outbox") == [("sent", 0)] * 3
