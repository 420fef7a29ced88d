"""Composition root: builds everything from settings and runs it. The only place in bot/ that
imports the edges (handlers/, radio_bridge/)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, JobQueue

from bot.app import DispatchApp
from bot.backups import schedule_backups
from bot.clockwatch import ClockWatch
from bot.command_menu import CommandMenu
from bot.delivery import TelegramDelivery
from bot.escalation import EscalationScanner
from bot.handoff_escalation import HandoffScanner
from bot.intake import DurableIntake
from bot.metrics import Metrics
from bot.reports.digest import schedule_digests
from bot.roster import seed_from_settings
from bot.roster_jobs import schedule_roster_jobs
from bot.services.privacy import purge_personal_data
from bot.services.retention import prune_old_rows
from bot.services.voice import purge_recordings
from bot.settings import Settings, SettingsError
from bot.standby import run_with_lease, stopped_or_lost
from bot.testclock import wall_clock
from bot.watchdog import Alarms, Worker, resolved, supervise, trouble, worker_name
from handlers import register_all
from handlers.command_scopes import PtbMenuPort
from handlers.fenced_request import FencedRequest
from handlers.telegram_port import PtbTelegramPort
from radio_bridge.bridge import start_radio, stop_radio
from routing.errors import RoutingError
from routing.table import RoutingTable, load_routing, validate_agency_codes
from storage.lease import Lease, LeaseLost, store_session_name
from storage.uow import Store
from web.server import WebPart, start_http, stop_http

log = logging.getLogger("dispatch")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs request URLs, and a Bot API URL carries the token.
    for noisy in ("httpx", "httpcore", "telegram.ext", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def load_routing_for(settings: Settings) -> RoutingTable:
    try:
        routing = load_routing(settings.routing.path)
        validate_agency_codes(routing, settings.agencies.keys(), "agencies")
        validate_agency_codes(routing, settings.mumble.users.values(), "mumble.users")
    except RoutingError as exc:
        raise SettingsError(exc.key, exc.problem) from None
    return routing


SWITCH_INTERVAL = 0.0005  # seconds; see serve()


def build_application(settings: Settings, fence: Callable[[], None] | None = None) -> Application:  # type: ignore[type-arg]
    token = settings.telegram.token.get_secret_value()
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram.base_url)
        .base_file_url(settings.telegram.base_file_url)
        .updater(None)
    )
    poll_read = settings.telegram.poll_timeout + 10
    if fence is None:
        return builder.get_updates_read_timeout(poll_read).build()
    # The lease's fence in both of PTB's request objects (the builder's defaults otherwise: 256 and 1).
    return (
        builder.request(FencedRequest(fence, connection_pool_size=256))
        .get_updates_request(FencedRequest(fence, connection_pool_size=1, read_timeout=poll_read))
        .build()
    )


async def _initialise(application: Application, app: DispatchApp) -> None:  # type: ignore[type-arg]
    """getMe until Telegram answers. Only a token it rejects (401/404) ends the service (exit 2)."""
    delay = 0.5
    while True:
        try:
            await application.initialize()
            await resolved(app, "getMe")
            return
        except InvalidToken:
            # Not the exception's text: PTB puts the token itself into it.
            raise SettingsError("telegram.token", "token ditolak oleh Bot API (401/404 pada getMe)") from None
        except RetryAfter as exc:
            wait = max(_seconds(exc.retry_after), delay)
            log.warning("Bot API: 429 on getMe; retrying in %.1fs", wait)
            await trouble(app, "getMe", f"429: {exc}")
            await asyncio.sleep(wait)
        except TelegramError as exc:  # unreachable, 5xx, a body that is not JSON: wait and retry
            log.warning("Bot API unreachable (%s); retrying in %.1fs", exc, delay)
            await trouble(app, "getMe", f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


async def serve(settings: Settings, *, web_extra: WebPart | None = None) -> int:
    """web_extra: another part for the product's one HTTP server (the sandbox mounts its console)."""
    # The database runs on aiosqlite's thread: each statement's result waits for the GIL, which a
    # busy event loop keeps for up to the switch interval (5 ms by default) at a time. A dispatch is
    # some 30 statements in a row, so the default added several ms at p95 (tests/bench_dispatch_one.py).
    sys.setswitchinterval(SWITCH_INTERVAL)
    routing = load_routing_for(settings)
    # Named like the lease's session, so pg_stat_activity shows which process each session belongs to.
    store = await Store.open(settings.storage.target, application_name=store_session_name())
    try:
        return await _serve(settings, routing, store, web_extra)
    finally:
        # Also when start-up fails (a rejected token): aiosqlite's thread would keep the process alive.
        await store.close()


async def _serve(settings: Settings, routing: RoutingTable, store: Store, web_extra: WebPart | None) -> int:
    app = DispatchApp(settings=settings, store=store, routing=routing, clock=wall_clock())
    metrics = Metrics()
    if not settings.storage.postgres:
        return await _active(app, metrics, web_extra, None)
    # PostgreSQL: standby first, with only the HTTP server, until the lease is ours (bot/standby.py).
    http = await start_http(app, metrics, web_extra)
    try:
        lease = Lease(settings.storage.target)
        return await run_with_lease(
            app, lease, lambda holder: _active(app, metrics, None, holder, own_http=False)
        )
    finally:
        await stop_http(http)


async def _active(app: DispatchApp, metrics: Metrics, web_extra: WebPart | None,
                  holder: asyncio.Task[str] | None, *, own_http: bool = True) -> int:  # fmt: skip
    """Everything an active process runs. holder: the lease's heartbeat (None with SQLite: no lease)."""
    settings = app.settings
    async with app.store.transaction(app.clock()) as tx:
        seeded = await seed_from_settings(tx, settings)
        if seeded:
            await tx.events.add("roster_seeded", "system", items=seeded)
    await app.reload_roster()
    application = build_application(settings, app.fence if holder is not None else None)
    application.bot_data["app"] = app
    register_all(application)
    intake = DurableIntake(app, application, settings.telegram.poll_timeout)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("handler failed", exc_info=context.error)
        if isinstance(update, Update):
            intake.failed_now[update.update_id] = context.error

    application.add_error_handler(on_error)
    # before the Bot API wait: a port in use stops start-up at once
    http = await start_http(app, metrics, web_extra) if own_http else None
    try:
        app.alarms = Alarms(app, settings.watchdog.alert_after)
        app.clock_watch = ClockWatch(app, settings.watchdog.clock_step)
        await app.clock_watch.check()  # a step back while the bot was down is applied before anything waits
        await _initialise(application, app)
    except BaseException:
        await stop_http(http)
        raise
    app.bot_username = application.bot.username
    delivery = TelegramDelivery(app, metrics.metered(PtbTelegramPort(application.bot)))
    app.wake_telegram = delivery.wake
    menu = CommandMenu(app, PtbMenuPort(application.bot))
    app.wake_hooks.append(menu.wake)
    workers: list[Any] = [intake.poll, intake.process, delivery.run, menu.run]
    radio = await start_radio(app, settings)
    if radio is not None:
        workers += radio.workers
    workers += start_escalation_and_digests(app, application)
    await application.start()
    log.info("112 Dispatch Bridge siap (bot @%s)", application.bot.username)
    try:
        return await _run_until_stopped(app, workers, holder)
    finally:
        await stop_http(http)
        await delivery.drain()
        await stop_radio(radio)
        await application.stop()
        await application.shutdown()


def start_escalation_and_digests(app: DispatchApp, application: Application) -> list[Any]:  # type: ignore[type-arg]
    """The deadline scanner as a worker (woken by app.wake()); digests as JobQueue jobs."""
    workers: list[Any] = []
    if app.settings.escalation.enabled:
        scanner = EscalationScanner(app)
        app.wake_hooks.append(scanner.wake)
        workers.append(scanner.run)
    if app.settings.handoff.chat_id is not None:
        handoffs = HandoffScanner(app)
        app.wake_hooks.append(handoffs.wake)
        workers.append(handoffs.run)
    if app.settings.digest.enabled:
        if application.job_queue is None:
            raise SettingsError(
                "digest.enabled", "JobQueue tidak tersedia (perlu python-telegram-bot[job-queue])"
            )
        schedule_digests(application.job_queue, app)
    if application.job_queue is not None:
        schedule_phone_purge(application.job_queue, app)
        schedule_prune(application.job_queue, app)
        schedule_backups(application.job_queue, app)
        schedule_roster_jobs(application.job_queue, app)
        schedule_voice_purge(application.job_queue, app)
    return workers


def schedule_phone_purge(job_queue: JobQueue, app: DispatchApp) -> None:  # type: ignore[type-arg]
    async def purge(_context: ContextTypes.DEFAULT_TYPE) -> None:
        removed = await purge_personal_data(app)
        if removed:
            log.info("privacy: %d nomor telepon lengkap / formulir lama dihapus (retensi %d hari)", removed,
                     app.settings.privacy.phone_retention_days)  # fmt: skip

    job_queue.run_repeating(purge, interval=6 * 3600, first=10, name="hapus-nomor-telepon")


def schedule_prune(job_queue: JobQueue, app: DispatchApp) -> None:  # type: ignore[type-arg]
    async def prune(_context: ContextTypes.DEFAULT_TYPE) -> None:
        pruned = await prune_old_rows(app)
        if pruned.inbox or pruned.outbox:
            log.info("retensi: %d update dan %d baris outbox lama dihapus (%d hari)", pruned.inbox, pruned.outbox,
                     app.settings.storage.keep_days)  # fmt: skip

    job_queue.run_repeating(prune, interval=6 * 3600, first=60, name="hapus-baris-lama")


def schedule_voice_purge(job_queue: JobQueue, app: DispatchApp) -> None:  # type: ignore[type-arg]
    async def purge(_context: ContextTypes.DEFAULT_TYPE) -> None:
        removed = await purge_recordings(app)
        if removed:
            log.info("suara: %d rekaman lama dihapus (retensi %d hari)", removed,
                     app.settings.radio.voice_retention_days)  # fmt: skip

    job_queue.run_repeating(purge, interval=6 * 3600, first=30, name="hapus-rekaman-suara")


async def _run_until_stopped(
    app: DispatchApp, workers: list[Worker], holder: asyncio.Task[str] | None = None
) -> int:
    """Every worker supervised on its own: one failing is logged and restarted, the others go on.
    Until SIGTERM (0), or until the lease is lost (FENCED_EXIT; the fence already stops every send)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    assert app.alarms is not None
    restart_max = app.settings.watchdog.restart_max
    tasks = [
        asyncio.create_task(supervise(worker_name(w), w, app.alarms, restart_max=restart_max))
        for w in workers
    ]
    code = await stopped_or_lost(stop, holder)
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception, LeaseLost):
            await task
    return code
