"""Staying up: trouble that persists is raised to the admins, and every worker is supervised.

A problem (getUpdates failing, a worker crashing) is logged each time; when it has lasted alert_after
seconds it is logged as an error and, where possible, sent to the admins' private chats through the
outbox (it goes out once Telegram answers again); its end is announced the same way. A worker that
fails is logged, paused (doubling up to restart_max) and restarted, while the others go on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.app import Clock, DispatchApp
from bot.reports.digest_text import duration_id
from bot.services.common import PRIORITY_NOTICE, esc, reply

log = logging.getLogger(__name__)
Worker = Callable[[], Awaitable[None]]


@dataclass
class _Problem:
    since: float  # monotonic
    wall_since: float
    failures: int = 0
    alerted: bool = False


class Alarms:
    def __init__(self, app: DispatchApp, alert_after: float, mono: Clock = time.monotonic) -> None:
        self.app = app
        self.alert_after = alert_after
        self.mono = mono
        self._open: dict[str, _Problem] = {}

    def is_alerted(self, key: str) -> bool:
        problem = self._open.get(key)
        return problem is not None and problem.alerted

    async def failing(self, key: str, detail: str) -> None:
        problem = self._open.setdefault(key, _Problem(self.mono(), self.app.clock()))
        problem.failures += 1
        if problem.alerted or self.mono() - problem.since < self.alert_after:
            return
        problem.alerted = True
        lasted = duration_id(self.mono() - problem.since)
        log.error("ALERT %s: still failing after %s (%d times): %s", key, lasted, problem.failures, detail)
        since = self.app.local(problem.wall_since).strftime("%H:%M")
        await self._tell_admins(
            f"⚠️ <b>Gangguan bot 112</b>: {esc(key)} gagal sejak {since} WIB ({problem.failures} kali).\n"
            f"<code>{esc(detail[:300])}</code>\nBot terus mencoba; dispatch lain tetap berjalan."
        )

    async def ok(self, key: str) -> None:
        problem = self._open.pop(key, None)
        if problem is None or not problem.alerted:
            return
        lasted = duration_id(self.mono() - problem.since)
        log.warning("RECOVERED %s after %s", key, lasted)
        await self._tell_admins(f"✅ <b>Pulih</b>: {esc(key)} berjalan normal lagi (gangguan {lasted}).")

    async def _tell_admins(self, html: str) -> None:
        admins = list(dict.fromkeys(self.app.settings.access.admins))
        if not admins:
            return
        try:
            async with self.app.store.transaction(self.app.clock()) as tx:
                for admin in admins:
                    await reply(tx, admin, html, priority=PRIORITY_NOTICE)
                await tx.events.add("alert", "system", actor_name="sistem", text=html[:300])
        except Exception:  # the database may be the trouble itself: the log has the alert already
            log.exception("alert to the admins not queued")
            return
        self.app.wake_telegram()


async def trouble(app: DispatchApp, key: str, detail: str) -> None:
    if app.alarms is not None:
        await app.alarms.failing(key, detail)


async def resolved(app: DispatchApp, key: str) -> None:
    if app.alarms is not None:
        await app.alarms.ok(key)


def worker_name(worker: Worker | Coroutine[Any, Any, None]) -> str:
    name = getattr(worker, "__qualname__", None) or repr(worker)
    return str(name).replace(".", " ")


async def supervise(name: str, worker: Worker | Coroutine[Any, Any, None], alarms: Alarms,
                    restart_max: float = 60.0, healthy_after: float = 60.0, first_pause: float = 1.0,
                    ) -> None:  # fmt: skip
    """Run the worker for ever: log a failure, pause, restart; tell the admins when it keeps failing."""
    key = f"worker {name}"
    pause = first_pause
    while True:
        if inspect.iscoroutine(worker):
            task: asyncio.Future[None] = asyncio.ensure_future(worker)  # a bare coroutine runs only once
        else:
            assert callable(worker)
            task = asyncio.ensure_future(worker())
        try:
            done, _ = await asyncio.wait({task}, timeout=healthy_after)
            if not done:  # ran long enough to count as healthy again
                pause = first_pause
                await alarms.ok(key)
            await task
            detail = "stopped without an error"
        except asyncio.CancelledError:
            task.cancel()
            raise
        except Exception as exc:
            log.exception("worker %s failed; restarting in %.0fs", name, pause)
            detail = f"{type(exc).__name__}: {exc}"
        else:
            log.error("worker %s %s; restarting in %.0fs", name, detail, pause)
        await alarms.failing(key, detail)
        if inspect.iscoroutine(worker):
            log.error("worker %s cannot be restarted (a coroutine, not a factory)", name)
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, restart_max)
