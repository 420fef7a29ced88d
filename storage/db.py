"""Opening the database (the SQLite file, or PostgreSQL by URL): pragmas, numbered migrations, write
transactions. The migrations are written once, in SQLite's dialect; PostgreSQL reads them translated
(`pg_sql.translate_ddl`), so both backends always have the same tables."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import aiosqlite

from storage.connection import Connection
from storage.files import prepare_private
from storage.inline import InlineConnection
from storage.pg import CONNECTION_ERRORS, PgConnection
from storage.pg_sql import translate_ddl
from storage.targets import is_postgres

# Database trouble a worker waits out (a busy SQLite file, a PostgreSQL connection that dropped).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (aiosqlite.OperationalError, *CONNECTION_ERRORS)


PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    # Deleted and overwritten content (a purged phone number, a stripped update) is zeroed in the
    # file instead of lingering in free space.
    "PRAGMA secure_delete=ON",
)


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def connect(path: str | Path, *, application_name: str = "dispatch") -> Connection:
    """Open (and create) the database, apply pending migrations, return the connection."""
    if is_postgres(path):
        pg = await PgConnection.open(str(path), application_name=application_name)
        await _migrate_pg(pg)
        return pg
    prepare_private(Path(path))
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so writers queue instead of deadlocking.
    # check_same_thread=False: storage/inline.py runs short statements on the loop's thread too.
    db = await aiosqlite.connect(str(path), isolation_level=None, check_same_thread=False)
    db.row_factory = aiosqlite.Row
    for pragma in PRAGMAS:
        await db.execute(pragma)
    await _migrate(db)
    return InlineConnection(db)


async def _migrate(db: aiosqlite.Connection) -> None:
    await db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT)")
    async with db.execute("SELECT version FROM schema_migrations") as cur:
        applied = {row[0] for row in await cur.fetchall()}
    for version, name, sql in _migrations():
        if version in applied:
            continue
        async with write(db):
            for statement in _split(sql):
                await db.execute(statement)
            await db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, name))


# Two processes starting at once against one PostgreSQL apply the migrations one after the other.
_MIGRATION_LOCK = 0x112_0001


async def _migrate_pg(db: PgConnection) -> None:
    conn = db.conn
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT)"
        )
        applied = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        for version, name, sql in _migrations():
            if version in applied:
                continue
            async with conn.transaction():
                for statement in _split(sql):
                    await conn.execute(translate_ddl(statement))
                await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2)", version, name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    await db.load_keys()


def _split(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


async def checkpoint(db: Connection) -> None:
    """Copy the WAL into the database and truncate it, so old page images (with what was just
    deleted) do not stay in the -wal file. (PostgreSQL's own vacuum does this for it.)"""
    if isinstance(db, PgConnection):
        return
    async with db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
        await cur.fetchall()


def volatile_supported(db: Connection) -> bool:
    """Can a commit skip its fsync (SQLite's WAL), to be made durable by a later one?"""
    return not isinstance(db, PgConnection)


@contextlib.asynccontextmanager
async def write(db: Connection, *, durable: bool = True) -> AsyncIterator[Connection]:
    """One write = one transaction: BEGIN IMMEDIATE, commit on success, roll back on any error.
    durable=False (SQLite): the commit is not fsynced. It survives a kill -9 (the page cache keeps
    it) but not a power cut until a later durable commit or `sync_wal` flushes the WAL, which holds
    every frame before it: the caller must not rely on it (confirm anything to anyone) before then."""
    volatile = not durable and volatile_supported(db)
    if volatile:
        await db.execute("PRAGMA synchronous=NORMAL")
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        else:
            await db.execute("COMMIT")
    finally:
        if volatile:
            await db.execute("PRAGMA synchronous=FULL")


def sync_wal(path: str) -> None:
    """fsync the SQLite file's WAL (blocking: run it in a thread): every commit before, durable."""
    fd = os.open(f"{path}-wal", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
