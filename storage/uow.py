"""Unit of work: one asyncio-serialised SQLite connection, one transaction per change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from storage.blocks import BlockRepo
from storage.connection import Connection
from storage.db import checkpoint, connect, sync_wal, volatile_supported, write
from storage.handoffs import HandoffRepo
from storage.incidents import AssignmentRepo, IncidentRepo
from storage.inline import InlineConnection
from storage.intake import CallRepo, DraftRepo, InboxRepo
from storage.journal import EventRepo, OutboxRepo
from storage.roster import RosterRepo
from storage.voice import VoiceRepo

# (the transaction, the rows it opened) -> what starts their sends once it committed
Launcher = Callable[["Tx", list[int]], Awaitable[Callable[[], None]]]


class AlreadyHandled(Exception):
    """The Telegram update was already applied before a restart: applying it again would double it."""


class Tx:
    def __init__(self, db: Connection, now: float, opens: bool = False) -> None:
        self.db = db
        self.now = now
        # Outbox rows whose send attempt this transaction opened (Store.launcher); None: not allowed here.
        self.opened: list[int] | None = [] if opens else None
        self.mark = -1  # once committed: what Store.until_durable waits for the durable count to pass
        self.incidents = IncidentRepo(db)
        self.assignments = AssignmentRepo(db)
        self.events = EventRepo(db, now)
        self.outbox = OutboxRepo(db, now)
        self.inbox = InboxRepo(db, now)
        self.drafts = DraftRepo(db, now)
        self.calls = CallRepo(db, now)
        self.blocks = BlockRepo(db, now)
        self.handoffs = HandoffRepo(db, now)
        self.roster = RosterRepo(db, now)
        self.voice = VoiceRepo(db, now)


class Store:
    def __init__(self, db: Connection, path: str | None = None) -> None:
        self.db = db
        self.path = path  # the file, for a long read on a connection of its own (the report document)
        # One connection, so transactions must not interleave between coroutines.
        self._lock = asyncio.Lock()
        self.marked: set[int] = set()  # updates whose handler's own transaction marked them handled
        # Set by a Telegram delivery worker of this process: for the outbox rows whose send attempt a
        # transaction opened (tx.opened), it reads what it needs inside that transaction and returns
        # what starts the sends, called once the transaction committed (none if it rolled back).
        # None where no such worker runs (a CLI command): nothing is opened early there.
        self.launcher: Launcher | None = None
        # Durable commits so far (a volatile commit is on disk once a durable one follows it).
        self._durable = 0
        self._durable_done = asyncio.Event()
        # Telegram updates just polled and not yet in the inbox: the next write transaction, whichever
        # it is (usually the first update's own handling), stores them at its start. An update's effects
        # thus never commit without it and every update polled before it.
        self._staged: list[tuple[int, dict[str, Any]]] = []
        self._staged_mark = -1
        self._staged_done = asyncio.Event()

    @classmethod
    async def open(cls, path: str | Path, *, application_name: str = "dispatch") -> Store:
        """`path`: the SQLite file, or a postgresql:// URL."""
        return cls(await connect(path, application_name=application_name), str(path))

    async def close(self) -> None:
        async with self._lock:  # not in the middle of another coroutine's transaction or read
            await self.db.close()

    @contextlib.asynccontextmanager
    async def transaction(self, now: float, update_id: int | None = None, *,
                          durable: bool = True) -> AsyncIterator[Tx]:  # fmt: skip
        """Everything inside commits together, and marks the Telegram update (if any) as handled.
        durable=False: not fsynced (storage/db.py write); `tx.mark` then goes to `until_durable`."""
        volatile = not durable and volatile_supported(self.db) and self.path is not None
        launch: Callable[[], None] | None = None
        async with self._lock:
            async with write(self.db, durable=not volatile):
                tx = Tx(self.db, now, opens=self.launcher is not None)
                staged = len(self._staged)
                if staged:
                    await tx.inbox.store(self._staged[:staged])
                if update_id is not None and await tx.inbox.is_handled(update_id):
                    raise AlreadyHandled(update_id)
                yield tx
                if update_id is not None:
                    await tx.inbox.mark_handled(update_id)
                launch = await self.launcher(tx, tx.opened) if tx.opened and self.launcher else None
            if launch is not None:  # only once committed: the sends go with no commit of their own first
                launch()  # (first: the cards' tasks run before the poller that the commit wakes)
            if not volatile:
                self._durable_commit()
            # until_durable(mark) returns once the durable count passes it: at once for a durable commit.
            tx.mark = self._durable if volatile else self._durable - 1
            if staged:
                del self._staged[:staged]
                self._staged_mark = tx.mark
                if not self._staged:
                    self._staged_done.set()
        if update_id is not None:
            self.marked.add(update_id)
        if launch is not None:
            # The launched sends take their first steps (their views, their requests built and
            # written) before the caller goes on with the rest of its handling: that one waits.
            await asyncio.sleep(0)

    def _durable_commit(self) -> None:
        self._durable += 1
        done, self._durable_done = self._durable_done, asyncio.Event()
        done.set()

    def stage(self, updates: list[tuple[int, dict[str, Any]]]) -> None:
        """Updates just polled, for the next write transaction to store (see _staged)."""
        if updates:
            self._staged.extend(updates)
            self._staged_done = asyncio.Event()

    async def store_staged(self, now: float, wait: float) -> int:
        """Returns once the staged updates are in the inbox (committed, perhaps not yet durable: the mark
        for until_durable). Waits up to `wait` seconds for another transaction to carry them, then
        stores them in one of its own, not fsynced."""
        if self._staged:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._staged_done.wait()
        if self._staged:
            async with self.transaction(now, durable=False):
                pass  # its start stores them
        return self._staged_mark

    async def until_durable(self, mark: int, wait: float) -> None:
        """Returns once every commit up to the one that gave `mark` is on disk: a durable commit
        after it flushed the WAL with them, or, none within `wait` seconds, an fsync of the WAL here."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                while self._durable <= mark:
                    await self._durable_done.wait()
                return
        if self._durable <= mark and self.path is not None:
            await asyncio.to_thread(sync_wal, self.path)

    async def checkpoint(self) -> None:
        """Outside any transaction: fold the WAL into the file and truncate it (after a purge)."""
        async with self._lock:
            await checkpoint(self.db)

    @contextlib.asynccontextmanager
    async def reading(self, now: float, *, slow: bool = False) -> AsyncIterator[Tx]:
        """slow: a read that may take long (a month's or a year's figures) runs on aiosqlite's
        thread, not inline on the event loop (storage/inline.py)."""
        async with self._lock:
            yield Tx(self.db.threaded if slow and isinstance(self.db, InlineConnection) else self.db, now)
