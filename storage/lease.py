"""The active's lease: a PostgreSQL advisory lock held on a connection of its own.

Exactly one process holds ``pg_try_advisory_lock(LEASE_KEY)``; PostgreSQL frees it when that session ends
(the process killed, its connection terminated, its machine gone). The session is not the store's: a
long write on the store must not delay the heartbeat, and closing the store must not drop the lease.

How the two sides stay apart in time:
- PostgreSQL notices a dead peer by TCP: keepalive probes after IDLE s of silence, every INTERVAL s,
  COUNT of them (for a session waiting for its next query), and tcp_user_timeout (for a reply it sent that
  was never acknowledged). Either way the lock is freed about RELEASE_AFTER s after the machine went.
- A holder whose process hangs (its kernel still acknowledging) sends no heartbeat: PostgreSQL ends the
  idle session after IDLE_SESSION_MS (``idle_session_timeout``, PostgreSQL 14 and later).
- The holder sends ``SELECT 1`` every HEARTBEAT s and trusts its lease only while the last heartbeat
  that succeeded was *sent* less than MAX_AGE s ago (sent, not answered: the server saw the session alive
  at some moment after the sending). MAX_AGE < RELEASE_AFTER, so a holder cut off from the database has
  stopped itself before anyone else can get the lock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

# Fixed, shared by every process of one installation: "112 dispatch lease" in ASCII, as a signed bigint.
LEASE_KEY = int.from_bytes(b"112lease", "big", signed=True)
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 2, 1, 3  # seconds, seconds, probes
USER_TIMEOUT_MS = 5000
RELEASE_AFTER = KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT  # 5 s (tcp_user_timeout: also 5 s)
IDLE_SESSION_MS = 5000  # a holder silent this long (a hung process) loses its session, and the lock
HEARTBEAT = 1.0
HEARTBEAT_TIMEOUT = 1.5  # for the lock attempt
MAX_AGE = 3.0
CONNECT_TIMEOUT = 3.0
APPLICATION_NAME = "dispatch-lease"


def store_session_name() -> str:
    """The same for the process's store session (its reads and writes)."""
    return f"dispatch-store {os.getpid()} {socket.gethostname()}"[:63]


def session_name() -> str:
    """What pg_stat_activity shows for a lease session: which machine and process holds (or wants) it."""
    return f"{APPLICATION_NAME} {os.getpid()} {socket.gethostname()}"[:63]


class LeaseLost(BaseException):  # a signal, like CancelledError, not an error to handle
    """Raised before an outgoing call when this process can no longer be sure it holds the lease.

    A BaseException on purpose: the delivery workers catch Exception to retry a row and write about it,
    and a process that lost the lease must neither send nor record anything about a send."""


class Lease:
    def __init__(self, url: str, *, key: int = LEASE_KEY, name: str | None = None,
                 max_age: float = MAX_AGE, heartbeat: float = HEARTBEAT,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.url = url
        self.key = key
        self.name = name or session_name()
        self.max_age = max_age
        self.heartbeat = heartbeat
        self.clock = clock
        self._conn: asyncpg.Connection | None = None
        self._held = False
        self._last_ok: float | None = None  # when the last successful heartbeat was sent
        self.lost_reason: str | None = None
        self._lost = asyncio.Event()

    # -- getting it ------------------------------------------------------------------------------
    async def try_acquire(self) -> bool:
        """One attempt: True when this process now holds the lease. Never raises for a database that
        is down or refuses: the caller simply tries again."""
        if self._held:
            return True
        try:
            conn = await self._connection()
            sent = self.clock()
            got = await asyncio.wait_for(
                conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key), HEARTBEAT_TIMEOUT
            )
        except Exception as exc:  # down, refusing, a protocol in a bad state: all just a failed attempt
            log.debug("lease: attempt failed (%s)", exc)
            await self._drop()
            return False
        if not got:
            return False
        self._held, self._last_ok, self.lost_reason = True, sent, None
        self._lost.clear()
        return True

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        await self._drop()
        conn = await asyncpg.connect(
            self.url, timeout=CONNECT_TIMEOUT,
            server_settings={"application_name": self.name},
        )  # fmt: skip
        try:
            # The server side of this session: how soon PostgreSQL gives up on a machine that is gone.
            await conn.execute(
                f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE}; SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL};"
                f" SET tcp_keepalives_count = {KEEPALIVE_COUNT}; SET tcp_user_timeout = {USER_TIMEOUT_MS}"
            )
            # And a process that hangs on a machine that does not (stopped, swapping, a blocked loop): its
            # kernel still answers the keepalives, but its session falls silent between heartbeats.
            # PostgreSQL 14 and later end such a session; older ones only notice a dead machine.
            if conn.get_server_version() >= (14, 0):
                await conn.execute(f"SET idle_session_timeout = {IDLE_SESSION_MS}")
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._terminated)
        self._conn = conn
        return conn

    # -- keeping it ------------------------------------------------------------------------------
    def certain(self) -> bool:
        return (
            self._held
            and self.lost_reason is None
            and self._last_ok is not None
            and self.clock() - self._last_ok < self.max_age
        )

    def check(self) -> None:
        """The fence: call before anything leaves the process. Raises LeaseLost unless certain."""
        if self.certain():
            return
        if self.lost_reason is None and self._held:
            age = self.clock() - (self._last_ok or 0.0)
            self._lose(f"detak terakhir yang berhasil {age:.1f} dtk lalu (batas {self.max_age:.0f} dtk)")
        raise LeaseLost(self.lost_reason or "lease tidak dipegang")

    async def hold(self) -> str:
        """Heartbeat until the lease is lost; returns why. Cancel it to stop (then release()).

        A slow probe is waited for, never cancelled (a cancelled query leaves asyncpg's protocol busy, and
        the next probe would fail for no reason): only the age rule decides, so a loaded machine does not
        flap, and one that stalls past MAX_AGE has lost the lease whatever the probe later says."""
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            while self.lost_reason is None:
                conn = self._conn
                if conn is None or conn.is_closed():
                    self._lose("koneksi lease tertutup")
                    break
                sent = self.clock()
                probe = asyncio.ensure_future(conn.fetchval("SELECT 1"))
                await self._until(probe, lost)
                if probe.done():
                    if probe.cancelled() or probe.exception() is not None:
                        error = None if probe.cancelled() else probe.exception()
                        self._lose(f"detak ke PostgreSQL gagal: {type(error).__name__}: {error}"[:200])
                        break
                    self._last_ok = sent
                else:
                    probe.cancel()
                if not self.certain():
                    self._lose(f"tidak ada detak berhasil dalam {self.max_age:.0f} dtk")
                    break
                await asyncio.wait([lost], timeout=min(self.heartbeat, self._remaining()))
        finally:
            lost.cancel()
        return self.lost_reason or ""

    async def _until(self, probe: asyncio.Future[Any], lost: asyncio.Future[Any]) -> None:
        """Wait for the probe, the loss, or the end of the lease's certainty, whichever comes first."""
        while not probe.done() and not lost.done():
            remaining = self._remaining()
            if remaining <= 0:
                return
            await asyncio.wait([probe, lost], timeout=remaining, return_when=asyncio.FIRST_COMPLETED)

    def _remaining(self) -> float:
        if self._last_ok is None:
            return 0.0
        return self._last_ok + self.max_age - self.clock()

    async def wait_lost(self) -> str:
        await self._lost.wait()
        return self.lost_reason or ""

    def lose(self, reason: str) -> None:
        """Lost for a reason outside the lease's own session (the store's session ended)."""
        self._lose(reason)

    def _terminated(self, _conn: object) -> None:
        self._lose("sesi lease diputus oleh PostgreSQL")

    def _lose(self, reason: str) -> None:
        if self.lost_reason is None and self._held:
            self.lost_reason = reason
            self._lost.set()

    async def release(self) -> None:
        """Give the lease back (a clean stop): closing the session frees the lock at once."""
        self._held = False
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.remove_termination_listener(self._terminated)
        try:
            await asyncio.wait_for(conn.close(), 2.0)
        except Exception:
            conn.terminate()
