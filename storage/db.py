"""Opening the one SQLite file: pragmas, numbered migrations, write transactions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import aiosqlite

from storage.files import prepare_private

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


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open (and create) the database, apply pending migrations, return the connection."""
    prepare_private(Path(path))
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so writers queue instead of deadlocking.
    db = await aiosqlite.connect(str(path), isolation_level=None)
    db.row_factory = aiosqlite.Row
    for pragma in PRAGMAS:
        await db.execute(pragma)
    await _migrate(db)
    return db


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


def _split(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


async def checkpoint(db: aiosqlite.Connection) -> None:
    """Copy the WAL into the database and truncate it, so old page images (with what was just
    deleted) do not stay in the -wal file."""
    async with db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
        await cur.fetchall()


@contextlib.asynccontextmanager
async def write(db: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """One write = one transaction: BEGIN IMMEDIATE, commit on success, roll back on any error."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    else:
        await db.execute("COMMIT")
