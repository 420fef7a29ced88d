"""Roster jobs on PTB's JobQueue: the roll-calls at [rollcall] times, and one check that sends due
roll-call summaries and leaves unbound groups whose time is up. State lives in SQLite, so a restart
neither loses nor repeats either."""

from __future__ import annotations

import logging
from datetime import time

from telegram.ext import ContextTypes, JobQueue

from bot.app import DispatchApp
from bot.services.common import Refused
from bot.services.rollcall import start_rollcall, summarize_due
from bot.services.unbound import leave_unbound_due
from bot.settings import DigestSettings

log = logging.getLogger(__name__)


def check_interval(app: DispatchApp) -> float:
    """Often enough for the shortest window configured, at most every 30 s."""
    shortest = min(app.settings.rollcall.window, app.settings.groups.unbound_leave_hours * 3600)
    return max(0.5, min(30.0, shortest / 4))


def schedule_roster_jobs(job_queue: JobQueue, app: DispatchApp) -> None:  # type: ignore[type-arg]
    async def check(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await summarize_due(app)
        await leave_unbound_due(app)

    async def rollcall(_context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await start_rollcall(app, None, update_id=None)
        except Refused as refusal:
            log.info("apel siaga otomatis dilewati: %s", refusal.message)

    job_queue.run_repeating(check, interval=check_interval(app), first=1.0, name="roster-check")
    if app.settings.rollcall.enabled:
        for at in app.settings.rollcall.times:
            hour, minute = DigestSettings(time=at).hour_minute
            job_queue.run_daily(rollcall, time=time(hour, minute, tzinfo=app.tz), name=f"apel-{at}")
