"""The lease against a real PostgreSQL: one holder, freed on termination, self-fencing when cut off."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.lease import (
    IDLE_SESSION_MS,
    KEEPALIVE_IDLE,
    MAX_AGE,
    RELEASE_AFTER,
    USER_TIMEOUT_MS,
    Lease,
    LeaseLost,
)
from tests import dbread, pgserver
from tests.tcp_relay import Relay

pytestmark = pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL server binaries not installed")


@pytest.fixture(scope="module")
def cluster() -> pgserver.PgCluster:
    if not pgserver.available():
        pytest.skip("PostgreSQL server binaries not installed")
    return dbread.cluster()  # the test session's one cluster, shared with the PostgreSQL runs


@pytest.fixture
def url(cluster: pgserver.PgCluster) -> str:
    return cluster.create_database()


@contextlib.asynccontextmanager
async def leases(url: str, *names: str) -> AsyncIterator[list[Lease]]:
    made = [Lease(url, name=name) for name in names]
    try:
        yield made
    finally:
        for lease in made:
            await lease.release()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_one_holder_and_the_other_gets_it_when_released(url: str) -> None:
    async with leases(url, "lease-a", "lease-b") as (a, b):
        assert await a.try_acquire()
        assert not await b.try_acquire()
        assert a.certain() and not b.certain()
        a.check()
        with pytest.raises(LeaseLost):
            b.check()
        await a.release()
        assert await b.try_acquire()
        assert not await a.try_acquire()


async def test_the_session_is_told_to_notice_a_dead_machine_within_seconds(url: str) -> None:
    async with leases(url, "lease-a") as (a,):
        assert await a.try_acquire()
        conn = a._conn
        assert conn is not None
        assert await conn.fetchval("SHOW tcp_keepalives_idle") == str(KEEPALIVE_IDLE)
        assert await conn.fetchval("SHOW tcp_keepalives_count") == "3"
        assert await conn.fetchval("SHOW tcp_user_timeout") == str(USER_TIMEOUT_MS)
        assert await conn.fetchval("SHOW idle_session_timeout") == "5s"
    assert MAX_AGE < RELEASE_AFTER  # the holder gives up before PostgreSQL frees the lock
    assert MAX_AGE * 1000 < IDLE_SESSION_MS


async def test_terminated_session_is_noticed_at_once_and_the_other_takes_over(
    url: str, cluster: pgserver.PgCluster
) -> None:
    async with leases(url, "lease-a", "lease-b") as (a, b):
        assert await a.try_acquire()
        holding = asyncio.create_task(a.hold())
        pid = cluster.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'lease-a'")
        began = time.monotonic()
        cluster.psql(f"SELECT pg_terminate_backend({int(pid)})")
        reason = await asyncio.wait_for(holding, 5)
        noticed = time.monotonic() - began
        assert "diputus" in reason or "gagal" in reason or "tertutup" in reason
        assert noticed < 1.0, noticed
        with pytest.raises(LeaseLost):
            a.check()
        assert await b.try_acquire()


async def test_no_heartbeat_for_max_age_fences_even_before_the_heartbeat_runs(url: str) -> None:
    clock = Clock()
    lease = Lease(url, name="lease-clock", clock=clock)
    try:
        assert await lease.try_acquire()
        clock.now += MAX_AGE - 0.1
        lease.check()
        clock.now += 0.2  # a stalled loop: the check itself sees the age, no heartbeat needed
        with pytest.raises(LeaseLost, match="detak terakhir"):
            lease.check()
        assert not lease.certain()
    finally:
        await lease.release()


async def test_a_holder_cut_off_from_the_database_fences_itself_within_max_age(
    url: str, cluster: pgserver.PgCluster
) -> None:
    proxy = Relay(cluster.port)
    port = await proxy.start()
    lease = Lease(url.replace(f":{cluster.port}/", f":{port}/"), name="lease-cut")
    holding: asyncio.Task[str] | None = None
    try:
        assert await lease.try_acquire()
        holding = asyncio.create_task(lease.hold())
        await asyncio.sleep(1.5)  # a few heartbeats through the relay
        assert lease.certain()
        began = time.monotonic()
        proxy.frozen.set()
        reason = await asyncio.wait_for(asyncio.shield(holding), MAX_AGE + 3)
        fenced = time.monotonic() - began
        print(f"cut off: fenced after {fenced:.2f} s ({reason})")
        assert fenced <= MAX_AGE + 0.5, fenced
        with pytest.raises(LeaseLost):
            lease.check()
    finally:
        if holding is not None:
            holding.cancel()
        lease._conn.terminate() if lease._conn is not None else None
        lease._conn = None
        await proxy.stop()


async def test_a_database_that_is_down_is_an_attempt_that_failed_not_a_crash() -> None:
    lease = Lease("postgresql://postgres@127.0.0.1:1/none", name="lease-down")
    assert not await lease.try_acquire()
    assert not lease.certain()
    with pytest.raises(LeaseLost):
        lease.check()


async def test_release_frees_the_lock_for_a_plain_session(url: str) -> None:
    async with leases(url, "lease-a") as (a,):
        assert await a.try_acquire()
        await a.release()
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", a.key)
    finally:
        await conn.close()
