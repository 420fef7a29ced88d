"""Unit of work: one asyncio-serialised SQLite connection, one transaction per change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from storage.blocks import BlockRepo
from storage.connection import Connection
from storage.db import checkpoint, connect, write
from storage.handoffs import HandoffRepo
from storage.incidents import AssignmentRepo, IncidentRepo
from storage.intake import CallRepo, DraftRepo, InboxRepo
from storage.journal import EventRepo, OutboxRepo
from storage.roster import RosterRepo
from storage.voice import VoiceRepo


class AlreadyHandled(Exception):
    """The Telegram update was already applied before a restart: applying it again would double it."""


class Tx:
    def __init__(self, db: Connection, now: float, opens: bool = False) -> None:
        self.db = db
        self.now = now
        # Outbox rows whose send attempt this transaction opened (Store.opened); None: not allowed here.
        self.opened: list[int] | None = [] if opens else None
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
        # Set by a Telegram delivery worker of this process: outbox rows whose send attempt a committed
        # transaction already opened for it (so it sends them without a commit of its own first).
        # None where no such worker runs (a CLI command): nothing is opened early there.
        self.opened: set[int] | None = None

    @classmethod
    async def open(cls, path: str | Path, *, application_name: str = "dispatch") -> Store:
        """`path`: the SQLite file, or a postgresql:// URL."""
        return cls(await connect(path, application_name=application_name), str(path))

    async def close(self) -> None:
        await self.db.close()

    @contextlib.asynccontextmanager
    async def transaction(self, now: float, update_id: int | None = None) -> AsyncIterator[Tx]:
        """Everything inside commits together, and marks the Telegram update (if any) as handled."""
        async with self._lock, write(self.db):
            tx = Tx(self.db, now, opens=self.opened is not None)
            if update_id is not None and await tx.inbox.is_handled(update_id):
                raise AlreadyHandled(update_id)
            yield tx
            if update_id is not None:
                await tx.inbox.mark_handled(update_id)
        if update_id is not None:
            self.marked.add(update_id)
        if tx.opened and self.opened is not None:  # only once committed: a rolled-back id may be reused
            self.opened.update(tx.opened)

    async def checkpoint(self) -> None:
        """Outside any transaction: fold the WAL into the file and truncate it (after a purge)."""
        async with self._lock:
            await checkpoint(self.db)

    @contextlib.asynccontextmanager
    async def reading(self, now: float) -> AsyncIterator[Tx]:
        async with self._lock:
            yield Tx(self.db, now)
