"""A PostgreSQL connection (asyncpg) with the few aiosqlite methods the repositories use.

The SQLite path stays aiosqlite itself, untouched, so it pays nothing for the second backend. Here each
SQLite text is translated once (`pg_sql.translate`) and asyncpg keeps the prepared statement.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any

import asyncpg

from storage.pg_sql import Statement, translate

_STATUS_COUNT = re.compile(r"(\d+)$")
# Every repository's statements stay prepared on the connection (asyncpg's default keeps 100).
STATEMENT_CACHE = 1000

# Each table's one-column 64-bit primary key. From pg_catalog: the same question asked of
# information_schema took 2-3 s on every connect (its views join far more than this needs).
KEYS_SQL = """
SELECT c.relname, a.attname FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indisprimary AND i.indnkeyatts = 1 AND c.relnamespace = current_schema()::regnamespace
  AND a.atttypid = 'bigint'::regtype
"""


def _to_text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(int(value))
    return str(value) if isinstance(value, int | float) else value


def _to_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(value) if isinstance(value, bool) else value


# SQLite takes any value in any column; PostgreSQL (and asyncpg) want the declared type. The parameter
# types of each prepared statement say which values to convert, so the repositories' calls stay as
# they are (a chat id compared with a JSON field, True into an INTEGER flag).
_COERCE: dict[str, Callable[[Any], Any]] = {
    "text": _to_text, "varchar": _to_text, "int8": _to_int, "int4": _to_int, "int2": _to_int,
}  # fmt: skip


def _coerced(params: Sequence[Any], coerce: tuple[Callable[[Any], Any] | None, ...]) -> list[Any]:
    return [c(v) if c is not None and v is not None else v for v, c in zip(params, coerce, strict=False)]


CONNECTION_ERRORS = (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, ConnectionError)


class PgCursor:
    def __init__(self, rows: list[asyncpg.Record] | None, rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows or []
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> asyncpg.Record | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int) -> list[asyncpg.Record]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    def __aiter__(self) -> PgCursor:
        return self

    async def __anext__(self) -> asyncpg.Record:
        if not self._rows:
            raise StopAsyncIteration
        return self._rows.pop(0)

    async def close(self) -> None:
        self._rows = []


class _Pending:
    """What `execute` returns: awaitable (`cur = await db.execute(...)`) and an async context manager
    (`async with db.execute(...) as cur`), as aiosqlite's result is."""

    def __init__(self, db: PgConnection, sql: str, params: Sequence[Any]) -> None:
        self._db, self._sql, self._params = db, sql, params

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._db._run(self._sql, self._params).__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._db._run(self._sql, self._params)

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        # Set when the server ends this session (restart, pg_terminate_backend, a cut network): the
        # process then holds nothing it can write with, and stops (see bot/standby).
        self.lost = asyncio.Event()
        self._lost_listeners: list[Callable[[], None]] = []
        conn.add_termination_listener(lambda _conn: self._gone())
        self.keys: dict[str, str] = {}
        self._texts: dict[tuple[str, bool], Statement] = {}
        self._statements: dict[str, tuple[Any, tuple[Callable[[Any], Any] | None, ...]]] = {}
        self.row_factory: object = None  # aiosqlite's attribute; records already act like sqlite3.Row

    @classmethod
    async def open(cls, url: str, *, application_name: str = "dispatch") -> PgConnection:
        conn = await asyncpg.connect(
            url, statement_cache_size=STATEMENT_CACHE, server_settings={"application_name": application_name}
        )
        return cls(conn)

    def _gone(self) -> None:
        # Once, from whichever notices first: asyncpg's termination listener does not fire on every
        # path (a session ended in the middle of a query was seen to close the connection without it).
        if self.lost.is_set():
            return
        self.lost.set()
        for listener in self._lost_listeners:
            listener()

    def on_lost(self, listener: Callable[[], None]) -> None:
        """Called when the server ends this session (the lease ends with it: bot/standby)."""
        self._lost_listeners.append(listener)
        if self.lost.is_set():
            listener()

    async def load_keys(self) -> None:
        self.keys = {row[0]: row[1] for row in await self.conn.fetch(KEYS_SQL)}
        self._texts.clear()
        self._statements.clear()

    def _text(self, sql: str, many: bool = False) -> Statement:
        found = self._texts.get((sql, many))
        if found is None:
            found = self._texts[(sql, many)] = translate(sql, self.keys, many=many)
        return found

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> _Pending:
        return _Pending(self, sql, tuple(parameters))

    async def _prepared(self, statement: Statement) -> tuple[Any, tuple[Callable[[Any], Any] | None, ...]]:
        found = self._statements.get(statement.text)
        if found is None:
            prepared = await self.conn.prepare(statement.text)
            coerce = tuple(_COERCE.get(t.name) for t in prepared.get_parameters())
            found = self._statements[statement.text] = (prepared, coerce)
        return found

    async def _run(self, sql: str, params: Sequence[Any]) -> PgCursor:
        head = sql.lstrip()[:8].upper()
        if head.startswith("PRAGMA"):
            return PgCursor([], 0, None)
        statement = self._text(sql)
        try:
            if not params and head.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                await self.conn.execute(statement.text)
                return PgCursor(None, -1, None)
            prepared, coerce = await self._prepared(statement)
            records = await prepared.fetch(*_coerced(params, coerce))
        except CONNECTION_ERRORS:
            if self.conn.is_closed():
                self._gone()
            raise
        if statement.rows:
            last = records[-1][0] if records and statement.new_key else None
            return PgCursor(records, len(records), last)
        match = _STATUS_COUNT.search(prepared.get_statusmsg() or "")
        return PgCursor(None, int(match.group(1)) if match else -1, None)

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> None:
        statement = self._text(sql, many=True)
        try:
            prepared, coerce = await self._prepared(statement)
            args = [_coerced(p, coerce) for p in seq]
            if args:
                await prepared.executemany(args)
        except CONNECTION_ERRORS:
            if self.conn.is_closed():
                self._gone()
            raise

    async def commit(self) -> None:
        return None

    async def close(self) -> None:
        await self.conn.close()

    def is_closed(self) -> bool:
        return bool(self.conn.is_closed())
