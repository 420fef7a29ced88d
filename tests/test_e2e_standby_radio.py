"""Active and standby with the radio: only the active sits on Mumble, and the radio queue carries over a
kill -9 (two `python run.py` against the test PostgreSQL, a real murmurd, a real field client)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest

from tests import dbread, pgserver
from tests.radio_fixtures import SUPERUSER_PASSWORD, MurmurHandle
from tests.test_e2e_radio import radio_section
from tests.test_e2e_standby import TAKEOVER_LIMIT, pair
from tests.test_faults import dispatch_line

pytestmark = [
    pytest.mark.radio,
    pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL server binaries not installed"),
]


@pytest.fixture(scope="module")
def cluster() -> pgserver.PgCluster:
    return dbread.cluster()


def bots_on(listener_users: set[str]) -> set[str]:
    return {name for name in listener_users if name.startswith("Dispatch112")}


def tcp_connections(pid: int, port: int) -> int:
    """How many TCP connections process `pid` has open to `port` (its sockets' inodes in /proc/net/tcp)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                    count += 1
    return count


async def test_only_the_active_is_on_mumble_and_the_radio_queue_survives_a_kill_9(
    tmp_path: Path, cluster: pgserver.PgCluster, murmur_server: MurmurHandle
) -> None:
    env = {
        "DISPATCH_MUMBLE__SUPERUSER_PASSWORD": SUPERUSER_PASSWORD,
        "DISPATCH_MUMBLE__PASSWORD": murmur_server.server_password,
    }
    async with pair(tmp_path, cluster, mumble=radio_section(murmur_server), env=env) as p:
        world, api = p.world, p.world.api
        dispatch = await murmur_server.listener("Operator-Lapangan", "Dispatch")
        try:
            api.send_text(world.call_taker, world.call_taker, dispatch_line(1))
            await dispatch.wait_text("#1", timeout=20)
            seats = bots_on(dispatch.users_in("Dispatch"))
            assert seats, dispatch.users_in("Dispatch")  # the active's dispatch seat
            assert p.a.bot.proc is not None and p.b.bot.proc is not None
            assert tcp_connections(p.a.bot.proc.pid, murmur_server.port) >= 1
            assert tcp_connections(p.b.bot.proc.pid, murmur_server.port) == 0  # the standby is not on Mumble
            killed_at = time.time()
            await p.a.bot.kill()
            # Queued while nobody is active: the new active announces it once it holds the lease.
            api.send_text(world.call_taker, world.call_taker, dispatch_line(2))
            heard = await dispatch.wait_text("#2", timeout=TAKEOVER_LIMIT + 15)
            print(f"radio: #2 heard {time.time() - killed_at:.2f} s after the kill -9 of the active")
            assert p.b.first_poll_after(killed_at) is not None
            assert tcp_connections(p.b.bot.proc.pid, murmur_server.port) >= 1
            assert bots_on(dispatch.users_in("Dispatch")) == seats  # one bot seat, the new active's
            assert heard.sender in seats
        finally:
            await dispatch.stop()
