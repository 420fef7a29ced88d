"""Supervised workers and alarms, in process: one worker failing never stops the others."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from bot.app import DispatchApp
from bot.settings import Settings
from bot.watchdog import Alarms, supervise
from routing.table import load_routing
from storage.uow import Store
from tests.dbread import new_target

ADMIN = 333


async def make(tmp_path: Path) -> tuple[DispatchApp, list[float]]:
    mono = [0.0]
    store = await Store.open(new_target(tmp_path))
    settings = Settings(access={"admins": [ADMIN]})  # type: ignore[arg-type]
    app = DispatchApp(settings=settings, store=store, routing=load_routing(), clock=lambda: 1_700_000_000.0)
    app.alarms = Alarms(app, alert_after=60.0, mono=lambda: mono[0])
    return app, mono


async def admin_texts(app: DispatchApp) -> list[str]:
    async with app.store.reading(app.clock()) as tx:
        rows = await tx.outbox.pending("telegram")
    return [r.payload["html"] for r in rows if r.target == str(ADMIN)]


async def test_a_crashing_worker_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    app, _mono = await make(tmp_path)
    assert app.alarms is not None
    runs = 0
    ticks = 0
    fourth_run = asyncio.Event()

    async def crashing() -> None:
        nonlocal runs
        runs += 1
        if runs <= 3:
            raise RuntimeError(f"bug {runs}")
        fourth_run.set()
        await asyncio.Event().wait()

    async def steady() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    tasks = [
        asyncio.create_task(supervise("crashing", crashing, app.alarms, first_pause=0.01, restart_max=0.02)),
        asyncio.create_task(supervise("steady", steady, app.alarms, first_pause=0.01)),
    ]
    async with asyncio.timeout(5):
        await fourth_run.wait()
    before = ticks
    await asyncio.sleep(0.05)  # let the steady worker run a little (real time, nothing waits on it)
    assert ticks > before  # the steady worker never stopped
    assert all(not t.done() for t in tasks)
    for t in tasks:
        t.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await t
    await app.store.close()


async def test_trouble_that_persists_alerts_the_admins_once_then_recovery(tmp_path: Path) -> None:
    app, mono = await make(tmp_path)
    alarms = app.alarms
    assert alarms is not None
    for _ in range(5):
        await alarms.failing("getUpdates", "InvalidToken: Unauthorized")
        mono[0] += 10.0
    assert await admin_texts(app) == []  # 40 s: not yet
    for _ in range(5):
        await alarms.failing("getUpdates", "InvalidToken: Unauthorized")
        mono[0] += 10.0
    (alert,) = await admin_texts(app)
    assert "Gangguan" in alert and "getUpdates" in alert and "Unauthorized" in alert
    await alarms.ok("getUpdates")
    texts = await admin_texts(app)
    assert len(texts) == 2 and "Pulih" in texts[1]
    await alarms.ok("getUpdates")  # nothing open: nothing more to say
    assert len(await admin_texts(app)) == 2
    await app.store.close()


async def test_a_short_blip_tells_nobody(tmp_path: Path) -> None:
    app, mono = await make(tmp_path)
    assert app.alarms is not None
    await app.alarms.failing("getUpdates", "NetworkError: Bad Gateway")
    mono[0] += 5
    await app.alarms.ok("getUpdates")
    mono[0] += 100
    await app.alarms.failing("getUpdates", "NetworkError: Bad Gateway")  # a new problem, a new clock
    assert await admin_texts(app) == []
    await app.store.close()
