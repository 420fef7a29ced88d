"""The update inbox is committed without an fsync of its own (one fewer on every dispatch's path);
the next getUpdates, which confirms the batch to Telegram, still waits until the batch is on disk:
carried there by the handling's durable commit, or by an fsync of the WAL if none comes. In process,
with a stand-in for the Bot API's getUpdates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Update

import storage.uow
from bot import intake
from bot.intake import DurableIntake
from tests.test_escalation_support import World, make_world

START = 1_700_000_000.0
# SQLite's WAL only: on PostgreSQL every commit is durable (synchronous_commit), the inbox's too.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, START):
        yield w


def update(update_id: int) -> Update:
    user = {"id": 5, "is_bot": False, "first_name": "Penelepon"}
    message = {"message_id": update_id, "date": int(START), "chat": {"id": 5, "type": "private"},
               "from": user, "text": "halo"}  # fmt: skip
    return Update.de_json({"update_id": update_id, "message": message}, None)


class Telegram:
    """getUpdates: each batch once, then a long poll that never answers. Every call notes the log."""

    def __init__(self, log: list[str], *batches: tuple[Update, ...]) -> None:
        self.log = log
        self.batches = list(batches)
        self.polled = asyncio.Event()

    async def get_updates(self, offset: int | None, **_options: Any) -> tuple[Update, ...]:
        self.log.append(f"getUpdates {offset}")
        self.polled.set()
        if self.batches:
            return self.batches.pop(0)
        await asyncio.Event().wait()
        raise AssertionError


class Log(list[str]):
    def __init__(self) -> None:
        super().__init__()
        self.stored = asyncio.Event()


def watch(world: World, monkeypatch: pytest.MonkeyPatch) -> Log:
    """The order of what reaches the disk: the batch stored, durable commits, fsyncs of the WAL."""
    log = Log()
    store = world.app.store
    durable = store._durable_commit

    def noted() -> None:
        log.append("durable commit")
        durable()

    monkeypatch.setattr(store, "_durable_commit", noted)
    sync = storage.uow.sync_wal

    def synced(path: str) -> None:
        log.append("fsync")
        sync(path)

    monkeypatch.setattr(storage.uow, "sync_wal", synced)
    stored = intake.DurableIntake._store_staged

    async def storing(self: DurableIntake) -> int:
        mark = await stored(self)
        log.append("stored")
        log.stored.set()
        return mark

    monkeypatch.setattr(intake.DurableIntake, "_store_staged", storing)
    transaction = store.transaction

    @contextlib.asynccontextmanager
    async def noted_transaction(now: float, *args: Any, durable: bool = True) -> AsyncIterator[Any]:
        log.append("transaction" if durable else "volatile transaction")
        async with transaction(now, *args, durable=durable) as tx:
            yield tx

    monkeypatch.setattr(store, "transaction", noted_transaction)
    return log


class Seen(list[Update]):
    """The updates the handler was given."""

    def __init__(self) -> None:
        super().__init__()
        self.handled = asyncio.Event()


async def until_polls(telegram: Telegram, log: list[str], count: int) -> None:
    while sum(entry.startswith("getUpdates") for entry in log) < count:
        telegram.polled.clear()
        await telegram.polled.wait()


@contextlib.asynccontextmanager
async def intake_running(world: World, telegram: Telegram, *, handle: bool, held: tuple[int, ...] = (),
                         seen: Seen | None = None) -> AsyncIterator[None]:  # fmt: skip
    """The poller (and, with handle, the handler) running until the block ends: then cut, as a kill."""

    async def process_update(update: Update) -> None:
        if seen is not None:
            seen.append(update)
            seen.handled.set()
        if update.update_id in held:
            await asyncio.Event().wait()  # a handling that never ends (killed with the rest)

    application = SimpleNamespace(bot=telegram, process_update=process_update)
    intake_ = DurableIntake(world.app, application, poll_timeout=30)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(intake_.poll())]
    if handle:
        tasks.append(asyncio.create_task(intake_.process()))
    try:
        async with asyncio.timeout(10):
            yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_the_batch_is_confirmed_after_the_handlings_durable_commit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = watch(world, monkeypatch)
    telegram = Telegram(log, (update(1),))
    async with intake_running(world, telegram, handle=True):
        await until_polls(telegram, log, 2)
    # One transaction stored the batch and handled its update, durably, before the batch was confirmed.
    assert log[:5] == ["getUpdates None", "transaction", "durable commit", "stored", "getUpdates 2"], log
    assert "fsync" not in log and "volatile transaction" not in log, log
    assert await world.rows("SELECT update_id, handled_at IS NOT NULL FROM inbox") == [(1, 1)]


async def test_with_nothing_handled_the_poller_fsyncs_the_wal_before_it_confirms(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = watch(world, monkeypatch)
    telegram = Telegram(log, (update(1), update(2)))
    async with intake_running(world, telegram, handle=False):  # the handler is busy elsewhere
        await until_polls(telegram, log, 2)
    assert log == ["getUpdates None", "volatile transaction", "stored", "fsync", "getUpdates 3"], log
    assert await world.rows("SELECT update_id FROM inbox WHERE handled_at IS NULL") == [(1,), (2,)]


async def test_a_stored_batch_survives_a_restart_unhandled(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not fsynced is not uncommitted: a kill -9 (the page cache stays) keeps the batch, handled after."""
    log = watch(world, monkeypatch)
    telegram = Telegram(log, (update(7),))
    async with intake_running(world, telegram, handle=False):
        await log.stored.wait()
    assert "fsync" not in log and "durable commit" not in log  # killed before anything made it durable
    await world.reopen()
    assert await world.rows("SELECT update_id, handled_at FROM inbox") == [(7, None)]


async def test_the_first_handling_stores_the_whole_batch_with_its_own_change(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Update 2's handling never ends; the kill comes after update 1's commit: update 2 was stored
    by that commit (a restart finds it unhandled and the offset stays before it) and nothing else."""
    log = watch(world, monkeypatch)
    telegram = Telegram(log, (update(1), update(2)))
    async with intake_running(world, telegram, handle=True, held=(2,)):
        await until_polls(telegram, log, 2)
    assert log[:5] == ["getUpdates None", "transaction", "durable commit", "stored", "getUpdates 3"], log
    await world.reopen()
    assert await world.rows("SELECT update_id, handled_at IS NOT NULL FROM inbox") == [(1, 1), (2, 0)]


async def test_a_polled_update_is_handled_as_parsed_and_a_stored_one_from_its_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hand-off carries the Update that getUpdates' answer was parsed into: the live path parses
    an update once. After a restart the inbox's row is parsed again, into the same update."""
    log = watch(world, monkeypatch)
    polled = update(1)
    seen = Seen()
    async with intake_running(world, Telegram(log, (polled,)), handle=True, seen=seen):
        await seen.handled.wait()
    assert seen == [polled] and seen[0] is polled
    stored = update(7)
    log.stored.clear()
    async with intake_running(world, Telegram(log, (stored,)), handle=False):
        await log.stored.wait()
    await world.reopen()
    seen = Seen()
    async with intake_running(world, Telegram(log), handle=True, seen=seen):
        await seen.handled.wait()
    assert [u.update_id for u in seen] == [7] and seen[0] is not stored
    assert seen[0] == stored and seen[0].message is not None and seen[0].message.text == "halo"
