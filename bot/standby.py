"""Active and standby on PostgreSQL: the role loop around the lease (storage/lease.py).

A process starts as standby: only the HTTP server runs (/healthz says "standby", /metrics has the role
gauge), and it tries the lease every ACQUIRE_EVERY s. The one that gets it becomes active and starts
everything else. With SQLite there is no lease: the process is active from the start (run.py's file
lock keeps a second one away).

Fencing: app.fence (the lease's check) is called before every Bot API request and every Mumble send;
once the lease is not certain it raises LeaseLost, so nothing more leaves the process. The active then
stops its workers and exits with FENCED_EXIT rather than going back to standby: the Telegram library,
the radio threads and the workers' in-memory state are thrown away with the process, and systemd's
Restart=always starts a clean standby two seconds later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable

from bot.app import DispatchApp
from storage.lease import Lease, LeaseLost
from storage.pg import PgConnection

log = logging.getLogger("dispatch")

ACQUIRE_EVERY = 1.0
FENCED_EXIT = 3  # not 2 (bad settings, RestartPreventExitStatus): this one is restarted, as standby
STOP_GRACE = 10.0
Active = Callable[["asyncio.Task[str]"], Awaitable[int]]


def lost_line(reason: str) -> str:
    return f"LEASE HILANG ({reason}): berhenti mengirim, pekerja dihentikan, keluar dengan kode {FENCED_EXIT}"


async def run_with_lease(
    app: DispatchApp, lease: Lease, active: Active, grace: float | None = STOP_GRACE
) -> int:
    """Standby until the lease is ours, then `active(holder)`; holder is the heartbeat task, done (with
    the reason) when the lease is lost. SIGTERM while standby ends the process with 0."""
    app.role = "standby"
    app.fence = lease.check
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("siaga (standby): menunggu lease di PostgreSQL, dicoba tiap %.0f dtk", ACQUIRE_EVERY)
    if not await _acquire(lease, stop):
        return 0
    app.role = "active"
    log.info("lease didapat: proses ini sekarang AKTIF")
    store_db = getattr(getattr(app, "store", None), "db", None)  # (the role loop's tests run without one)
    if isinstance(store_db, PgConnection):  # without its store session this process can write nothing
        store_db.on_lost(lambda: lease.lose("sesi penyimpanan diputus oleh PostgreSQL"))
    holder = asyncio.create_task(lease.hold(), name="lease-heartbeat")
    starting = asyncio.ensure_future(active(holder))
    signalled: list[int] = []

    def stop_starting(sig: int) -> None:
        signalled.append(sig)
        starting.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):  # until the active's own loop takes the signals over
        loop.add_signal_handler(sig, stop_starting, sig)
    try:
        return await starting
    except asyncio.CancelledError:
        if not signalled:
            raise
        return 0  # SIGTERM while starting up: stopped before serving
    except LeaseLost as exc:  # lost while starting up: the fence stopped a call on its way out
        log.error(lost_line(str(exc)))
        exit_anyway_after(grace)
        return FENCED_EXIT
    finally:
        holder.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await holder
        await lease.release()


async def _acquire(lease: Lease, stop: asyncio.Event) -> bool:
    while not stop.is_set():
        if await lease.try_acquire():
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ACQUIRE_EVERY):
                await stop.wait()
    return False


async def stopped_or_lost(stop: asyncio.Event, holder: asyncio.Task[str] | None,
                          grace: float | None = STOP_GRACE) -> int:  # fmt: skip
    """For the active's main loop: 0 on SIGTERM, FENCED_EXIT (with one clear log line) on a lost lease."""
    waiting = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([waiting] + ([holder] if holder else []), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
    if holder is not None and holder.done() and not stop.is_set():
        reason = (
            holder.result() if not holder.cancelled() and holder.exception() is None else "detak berhenti"
        )
        log.error(lost_line(reason))
        exit_anyway_after(grace)
        return FENCED_EXIT
    return 0


def exit_anyway_after(seconds: float | None) -> None:
    """A database cut off mid-write can keep the orderly stop waiting forever (a store call with no
    answer). Nothing of this process is worth more than a standby's start: past the grace, exit anyway,
    from a thread, so a blocked event loop cannot hold it up either. Every change is one transaction, so
    whatever was unfinished is rolled back by PostgreSQL. None: not armed (tests in this process)."""
    if seconds is None:
        return
    timer = threading.Timer(seconds, os._exit, (FENCED_EXIT,))
    timer.daemon = True
    timer.start()
