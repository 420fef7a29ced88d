"""The SQLite connection the product runs on: aiosqlite's, with short statements run inline.

aiosqlite runs every statement on its own thread; each one is a hop there and back, and the answer
waits for the event loop and the GIL. A dispatch is some 30 statements of 10-50 µs each, so the hops
were most of its database time, and more under load. Here a statement runs on the event loop's
thread on the very same sqlite3 connection, which is safe because the store's lock lets only one
coroutine at a time use it, and aiosqlite's thread is idle meanwhile (it only ever runs what a lock
holder awaits). What can wait on something else still goes to aiosqlite's thread, so the loop is
never blocked on it: BEGIN IMMEDIATE (another process's write lock: busy_timeout), COMMIT (its fsync),
and `threaded()` for a long read."""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Sequence
from typing import Any

import aiosqlite

# Statements that may wait (a lock held by another process, an fsync, a checkpoint at COMMIT): on
# aiosqlite's thread.
_WAITING = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "VACUUM")


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

    async def _run(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> Any:
        if sql.lstrip()[:8].upper().startswith(_WAITING):
            return await self.threaded.execute(sql, params)
        return InlineCursor(self._raw.execute(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        return InlineCursor(self._raw.executemany(sql, rows))

    async def executescript(self, script: str) -> Any:
        return await self.threaded.executescript(script)

    async def close(self) -> None:
        await self.threaded.close()

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.threaded._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
