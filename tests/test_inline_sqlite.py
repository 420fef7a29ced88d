"""storage/inline.py: BEGIN and COMMIT run inline on the event loop when they cannot wait long, and on
aiosqlite's thread when they could (another process's write lock, a disk that fsyncs slowly)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import storage.inline
from storage.db import connect, write
from storage.inline import COMMIT_RETRY, InlineConnection

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InlineConnection]:
    conn = await connect(tmp_path / "dispatch.sqlite3")
    assert isinstance(conn, InlineConnection)
    yield conn
    await conn.close()


def on_thread(conn: InlineConnection) -> list[str]:
    """The statements that went to aiosqlite's thread."""
    seen: list[str] = []
    threaded = conn.threaded.execute

    def noted(sql: str, params: Any = ()) -> Any:
        seen.append(sql.split()[0].upper())
        return threaded(sql, params)

    conn.threaded.execute = noted  # type: ignore[method-assign]
    return seen


async def one_write(conn: InlineConnection) -> None:
    async with write(conn):
        await conn.execute("INSERT INTO events (at, kind, channel, data) VALUES (1, 'x', 'system', '{}')")


class Stopwatch:
    """storage.inline's clock: each COMMIT takes the next of `takes` seconds (the disk is not timed:
    on a loaded machine a real fsync may take any time)."""

    def __init__(self, *takes: float) -> None:
        self.takes = list(takes)
        self.now = 0.0
        self.began = True

    def perf_counter(self) -> float:
        self.began = not self.began
        if self.began:  # the second reading of a commit
            self.now += self.takes.pop(0) if self.takes else 0.0001
        return self.now


async def writes_timed(db: InlineConnection, monkeypatch: pytest.MonkeyPatch, *takes: float) -> list[bool]:
    """One write per commit time in `takes`; whether COMMIT stayed inline after each."""
    monkeypatch.setattr(storage.inline, "time", Stopwatch(*takes))
    inline = []
    for _ in takes:
        await one_write(db)
        inline.append(db.commit_inline)
    return inline


async def test_begin_and_commit_run_inline_on_a_quick_disk(
    db: InlineConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = on_thread(db)
    assert all(await writes_timed(db, monkeypatch, 0.0003, 0.0002, 0.0004, 0.0003, 0.0002))
    assert "BEGIN" not in seen and "COMMIT" not in seen, seen


async def test_one_slow_commit_among_quick_ones_keeps_them_inline(
    db: InlineConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first commit (creating the WAL) or one under a burst of load: not a slow disk."""
    seen = on_thread(db)
    assert all(await writes_timed(db, monkeypatch, 0.005, 0.0003, 0.0003, 0.004, 0.0003)), db.commit_cost
    assert "COMMIT" not in seen, seen


async def test_a_disk_that_stays_slow_sends_commits_to_the_thread(
    db: InlineConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = on_thread(db)
    assert await writes_timed(db, monkeypatch, 0.004, 0.004, 0.004, 0.004, 0.004) == [True] + [False] * 4
    assert seen.count("COMMIT") == 3, seen  # the 2nd commit, inline, made the average slow


async def test_a_write_lock_held_by_another_process_is_waited_for_on_the_thread(
    db: InlineConnection, tmp_path: Path
) -> None:
    seen = on_thread(db)
    other = sqlite3.connect(tmp_path / "dispatch.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # an import-calls holding the lock
    writing = asyncio.create_task(one_write(db))
    await asyncio.sleep(0)  # its first step: the inline attempt is refused at once, the thread waits
    assert seen == ["BEGIN"] and not writing.done()
    other.execute("COMMIT")
    await asyncio.wait_for(writing, 5)
    other.close()
    async with db.execute("PRAGMA busy_timeout") as cur:
        assert (await cur.fetchone())[0] == 5000  # the inline attempt's 0 did not stay
    assert [r[0] for r in await (await db.execute("SELECT kind FROM events")).fetchall()] == ["x"]


async def test_commits_go_to_the_thread_on_a_slow_disk_and_are_tried_inline_again(
    db: InlineConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.inline, "INLINE_COMMIT_MAX", 0.0)  # every fsync counts as slow
    seen = on_thread(db)
    await one_write(db)  # inline, measured slow
    assert not db.commit_inline and seen.count("COMMIT") == 0
    for _ in range(COMMIT_RETRY):
        await one_write(db)
    assert seen.count("COMMIT") == COMMIT_RETRY and db.commit_inline  # the next one measures again
