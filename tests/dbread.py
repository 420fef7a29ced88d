"""The database a test runs on, whichever backend `DISPATCH_TEST_BACKEND` names (sqlite, the default, or
postgresql), and a plain way to read it from a test: `rows(target, sql, *args)` with SQLite's SQL text."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import asyncpg

from storage.pg_sql import translate
from storage.targets import is_postgres
from tests.pgserver import PgCluster, start_cluster

_CLUSTER: list[PgCluster] = []
_LOCK = threading.Lock()


def backend() -> str:
    return os.environ.get("DISPATCH_TEST_BACKEND", "sqlite")


def on_postgres() -> bool:
    return backend() == "postgresql"


def cluster() -> PgCluster:
    with _LOCK:
        if not _CLUSTER:
            _CLUSTER.append(start_cluster())
        return _CLUSTER[0]


def stop_cluster() -> None:
    """At the end of the test session (pytest_sessionfinish): an xdist worker may exit without
    running atexit handlers, which left its cluster running."""
    with _LOCK:
        while _CLUSTER:
            _CLUSTER.pop().stop()


def new_target(folder: Path, name: str = "dispatch.sqlite3") -> str:
    """A fresh, empty database for one test: a file in `folder`, or a new PostgreSQL database."""
    return cluster().create_database() if on_postgres() else str(folder / name)


is_url = is_postgres  # the name the tests use: the target is a PostgreSQL URL, not a file


def storage_toml(target: str | Path, folder: Path) -> str:
    """The [storage] lines for settings.toml (the data folder beside it either way)."""
    if is_url(target):
        return f'url = "{target}"\npath = "{folder / "dispatch.sqlite3"}"'
    return f'path = "{target}"'


async def _pg(target: str, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(target)
    try:
        statement = translate(sql, {})
        if statement.rows:
            return [tuple(r) for r in await conn.fetch(statement.text, *args)]
        await conn.execute(statement.text, *args)
        return []
    finally:
        await conn.close()


def rows(target: str | Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one statement (committed at once) and return its rows as tuples; callable from async tests."""
    if not is_url(target):
        with sqlite3.connect(str(target)) as db:
            return db.execute(sql, args).fetchall()
    result: list[list[tuple[Any, ...]]] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(_pg(str(target), sql, args)))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
