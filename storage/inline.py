"""The SQLite connection the product runs on: aiosqlite's, with short statements run inline.

aiosqlite runs every statement on its own thread; each one is a hop there and back, and the answer
waits for the event loop and the GIL. A dispatch is some 30 statements of 10-50 µs each, so the hops
were most of its database time, and more under load. Here a statement runs on the event loop's
thread on the very same sqlite3 connection, which is safe because the store's lock lets only one
coroutine at a time use it, and aiosqlite's thread is idle meanwhile (it only ever runs what a lock
holder awaits). What can wait on something else still goes to aiosqlite's thread, so the loop is
never blocked on it: BEGIN IMMEDIATE while another process holds the write lock (busy_timeout), COMMIT
on a disk whose fsync is slow, and `threaded()` for a long read."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Generator, Iterable, Sequence
from typing import Any

import aiosqlite

# Statements that may wait (a checkpoint, a long PRAGMA): on aiosqlite's thread. BEGIN and COMMIT
# are decided one by one (_begin, _commit); PRAGMA synchronous only sets a flag.
_WAITING = ("ROLLBACK", "PRAGMA", "VACUUM")
_INLINE_PRAGMA = "PRAGMA SYNCHRONOUS"
# A COMMIT (its fsync) runs inline while commits take less than this on average: on this machine one
# takes 0.25 ms, and the hop to aiosqlite's thread and back costs ~0.9 ms more. On a disk that fsyncs
# slower the loop must not stop for it: COMMIT goes to the thread, and is tried inline again every
# COMMIT_RETRY commits in case the disk was only busy.
INLINE_COMMIT_MAX = 0.002
COMMIT_RETRY = 200


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchmany(self, size: int) -> list[Any]:
        return self._cursor.fetchmany(size)

    def __aiter__(self) -> InlineCursor:
        return self

    async def __anext__(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        self._cursor.close()


class _Pending:
    """Awaitable (`cur = await db.execute(...)`) and an async context manager, as aiosqlite's is."""

    def __init__(self, db: InlineConnection, sql: str, params: Sequence[Any] | dict[str, Any]) -> None:
        self._db, self._sql, self._params = db, sql, params

    def __await__(self) -> Generator[Any, None, Any]:
        return self._db._run(self._sql, self._params).__await__()

    async def __aenter__(self) -> Any:
        self._cursor = await self._db._run(self._sql, self._params)
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class InlineConnection:
    dialect = "sqlite"

    def __init__(self, threaded: aiosqlite.Connection) -> None:
        self.threaded = threaded  # for what may wait, and for a long read (reports)
        self._raw: sqlite3.Connection = threaded._connection  # type: ignore[assignment]
        self._busy_ms = int(self._raw.execute("PRAGMA busy_timeout").fetchone()[0])
        self.commit_cost = 0.0  # seconds, a moving average of inline COMMITs
        self.commit_inline = True
        self._commits_on_thread = 0
        self._closing = False

    @property
    def _connection(self) -> sqlite3.Connection:  # the sqlite3 connection, as aiosqlite names it
        return self._raw

    @property
    def total_changes(self) -> int:
        return self._raw.total_changes

    @property
    def row_factory(self) -> Any:
        return self._raw.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._raw.row_factory = factory

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> _Pending:
        return _Pending(self, sql, params)

    def _open(self) -> sqlite3.Connection:
        # Closing happens on aiosqlite's thread: a statement run inline meanwhile would use the
        # connection from two threads at once (seen: a segfault), so none may start once it began.
        if self._closing:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._raw

    async def _run(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> Any:
        self._open()
        head = sql.lstrip()[:18].upper()
        if head.startswith("BEGIN"):
            return await self._begin(sql, params)
        if head.startswith("COMMIT"):
            return await self._commit(sql, params)
        if head.startswith(_WAITING) and not head.startswith(_INLINE_PRAGMA):
            return await self.threaded.execute(sql, params)
        return InlineCursor(self._raw.execute(sql, params))

    async def _begin(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> Any:
        """Inline when no other process holds the write lock (the usual case): asked with no busy
        wait, SQLite answers at once. Held (an import-calls, a backup): waited for on the thread."""
        self._raw.execute("PRAGMA busy_timeout = 0")
        try:
            return InlineCursor(self._raw.execute(sql, params))
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
        finally:
            self._raw.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        return await self.threaded.execute(sql, params)

    async def _commit(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> Any:
        if not self.commit_inline:
            self._commits_on_thread += 1
            self.commit_inline = self._commits_on_thread % COMMIT_RETRY == 0
            return await self.threaded.execute(sql, params)
        began = time.perf_counter()
        try:
            return InlineCursor(self._raw.execute(sql, params))
        finally:
            # Averaged from 0, so one slow commit (the first, creating the WAL; one under a burst of
            # load) does not send the next COMMIT_RETRY commits to the thread: a slow disk still does.
            self.commit_cost = 0.7 * self.commit_cost + 0.3 * (time.perf_counter() - began)
            self.commit_inline = self.commit_cost < INLINE_COMMIT_MAX

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        return InlineCursor(self._open().executemany(sql, rows))

    async def executescript(self, script: str) -> Any:
        return await self.threaded.executescript(script)

    async def close(self) -> None:
        self._closing = True
        await self.threaded.close()

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.threaded._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
