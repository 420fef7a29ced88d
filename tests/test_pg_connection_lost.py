"""A PostgreSQL session that the server ends is noticed, idle or in the middle of a statement: the
standby loop fences the process on it (bot/standby.py)."""

from __future__ import annotations

import asyncio

import pytest

from storage.pg import PgConnection
from tests import dbread

pytestmark = pytest.mark.skipif(not dbread.on_postgres(), reason="about a PostgreSQL database")


async def _terminate(name: str) -> None:
    sql = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
    await asyncio.to_thread(dbread.cluster().psql, sql)


@pytest.mark.parametrize("busy", [False, True])
async def test_a_session_ended_by_the_server_is_lost_once(db_target: str, busy: bool) -> None:
    name = f"victim-{'busy' if busy else 'idle'}"
    db = await PgConnection.open(db_target, application_name=name)
    told: list[str] = []
    db.on_lost(lambda: told.append("lost"))
    running = asyncio.ensure_future(db.execute("SELECT pg_sleep(5)")) if busy else None
    await asyncio.sleep(0.2)
    await _terminate(name)
    if running is not None:
        with pytest.raises(Exception, match=r"connection|terminat"):
            await running
    await asyncio.wait_for(db.lost.wait(), 3)
    with pytest.raises(Exception, match="closed"):
        await db.execute("SELECT 1")
    await asyncio.sleep(0.05)  # a late listener call would show as a second entry
    assert told == ["lost"]
