"""Daily digest, monthly report and /laporan: read the figures, draw one chart, enqueue the messages.

A scheduled period goes out exactly once: its key is recorded in `digests` in the same transaction as
its outbox rows. A digest missed while the bot was down is sent by the catch-up job on start. On a
database where no digest was ever recorded, the periods already due are only marked ('baseline'): the
bot was not running then, so nothing was missed and a fresh install does not open with an old digest.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import time, timedelta
from typing import Any

from telegram.ext import JobQueue

from bot.app import DispatchApp
from bot.render import place
from bot.reports.digest_text import (
    DigestData,
    OpenItem,
    Window,
    agency_figures,
    due_windows,
    render_lines,
    requested_window,
)
from bot.reports.document import enqueue_document, window_document
from bot.reports.prank import digest_lines, read_patterns
from bot.services.common import PRIORITY_DIGEST, PRIORITY_REPLY, Actor, Refused, reply
from bot.services.views import split_message
from routing.prank import PrankPatterns
from storage.digests import DigestRepo
from storage.uow import Tx

log = logging.getLogger(__name__)
DOCX_USAGE = "Dokumen .docx tersedia per bulan atau per tahun, mis. /laporan tahun 2023 docx atau /laporan bulan 2023-03 docx"
CATCH_UP_INTERVAL = 60.0  # also the safety net should the daily job fire a moment early


async def collect(app: DispatchApp, window: Window) -> DigestData:
    now = app.clock()
    start, end = window.start.timestamp(), window.end.timestamp()
    async with app.store.reading(now, slow=True) as tx:
        repo = DigestRepo(tx.db)
        calls = await repo.calls_by_type(start, end)
        incidents = await repo.incidents_by_place(start, end)
        assignments = await repo.assignments_notified(start, end)
        repeats = await repo.repeat_numbers(start, end)
        open_items = await _open_items(app, tx, now)
    return DigestData(
        window, app.local(now), calls, incidents, agency_figures(assignments), open_items, repeats
    )


async def _open_items(app: DispatchApp, tx: Tx, now: float) -> list[OpenItem]:
    cfg = app.settings.escalation
    too_old = app.settings.digest.open_overdue_hours * 3600
    items = []
    for incident in await tx.incidents.open_incidents():
        p = incident.priority
        assignments = await tx.assignments.for_incident(incident.id)
        waiting = tuple(a.agency for a in assignments if a.state == "notified")
        late_ack = any(a.state == "notified" and now >= a.notified_at + cfg.ack(p) for a in assignments)
        limit = cfg.arrive(p)
        late_arrival = limit is not None and any(
            a.state == "en_route" and a.en_route_at is not None and now >= a.en_route_at + limit
            for a in assignments
        )
        overdue = late_ack or late_arrival or now - incident.created_at >= too_old
        category = app.routing.categories.get(incident.category)
        name = category.name if category else incident.category
        items.append(
            OpenItem(incident.number, name, place(incident), app.local(incident.created_at), overdue, waiting)
        )
    return items


def _chart(data: DigestData, app: DispatchApp) -> bytes | None:
    try:
        from bot.reports.digest_chart import digest_png  # matplotlib loads only when a digest is drawn

        return digest_png(data, app.routing)
    except Exception:  # the figures in text matter more than the picture
        log.exception("digest chart failed")
        return None


async def _document(app: DispatchApp, window: Window) -> tuple[str, bytes, str] | None:
    try:
        return await window_document(app, window)
    except Exception:  # the digest text still goes; the supervisor is told how to ask again
        log.exception("report document for %s failed", window.key)
        return None


async def _send(app: DispatchApp, window: Window, targets: list[int], *, key: str | None, priority: int,
                update_id: int | None = None) -> bool:  # fmt: skip
    data = await collect(app, window)
    lines = render_lines(data, app.routing)
    heatmap: bytes | None = None
    if window.kind in ("bulan", "tahun"):  # the monthly and yearly reports add the prank & ghost patterns
        patterns, heatmap = await _prank_patterns(app, window)
        lines += ["", *digest_lines(patterns)]
    chunks = split_message(lines)
    png = await asyncio.to_thread(_chart, data, app)
    # The monthly report on the 1st carries the month's document, built before the transaction.
    document = await _document(app, window) if key is not None and window.kind == "bulan" else None
    async with app.store.transaction(app.clock(), update_id) as tx:
        if key is not None:
            repo = DigestRepo(tx.db)
            if not await repo.record(key, "sent", window.start.timestamp(), window.end.timestamp(), tx.now):
                return False
        for target in targets:
            for chunk in chunks:
                await reply(tx, target, chunk, priority=priority)
            if png is not None:
                caption = f"📈 Panggilan dan kejadian · {data.window.title}"
                payload = {"png": base64.b64encode(png).decode("ascii"), "caption": caption}
                await tx.outbox.add("telegram", "photo", target, priority, payload)
            if heatmap is not None:
                payload = {"png": base64.b64encode(heatmap).decode("ascii"),
                           "caption": f"🧒 Pola prank & ghost per jam dan hari · {data.window.title}"}  # fmt: skip
                await tx.outbox.add("telegram", "photo", target, priority, payload)
            if document is not None:
                await enqueue_document(tx, target, priority, *document)
            elif key is not None and window.kind == "bulan":
                await reply(tx, target, f"⚠️ Dokumen .docx {window.title} gagal dibuat; minta lagi dengan "
                                        f"/laporan bulan {window.label} docx", priority=priority)  # fmt: skip
    app.wake()
    return True


async def _prank_patterns(app: DispatchApp, window: Window) -> tuple[PrankPatterns, bytes | None]:
    offset = int((window.start.utcoffset() or timedelta(0)).total_seconds())
    async with app.store.reading(app.clock(), slow=True) as tx:
        patterns = await read_patterns(
            tx.db, window.start.timestamp(), window.end.timestamp(), offset, app.routing
        )

    def draw() -> bytes | None:
        try:
            from bot.reports.prank_chart import heatmap_png  # matplotlib loads only when a report is drawn

            return heatmap_png(patterns, window.title)
        except Exception:  # the figures in text matter more than the picture
            log.exception("prank heatmap failed")
            return None

    return patterns, await asyncio.to_thread(draw)


async def send_due_digests(app: DispatchApp) -> list[str]:
    """Send the scheduled periods that are due and not yet sent; returns their keys."""
    cfg = app.settings.digest
    now = app.clock()
    windows = due_windows(app.local(now), cfg.hour_minute, cfg.monthly)
    async with app.store.transaction(now) as tx:
        repo = DigestRepo(tx.db)
        if not await repo.any_recorded():
            for w in windows:
                await repo.record(w.key, "baseline", w.start.timestamp(), w.end.timestamp(), now)
            log.info(
                "digest: first run on this database; from now on after %s", ", ".join(w.key for w in windows)
            )
            return []
        todo = [w for w in windows if await repo.status(w.key) is None]
    sent = []
    for window in todo:
        targets = app.supervisor_targets()
        if not targets:
            log.warning(
                "digest %s: no [chats] supervisors and no [access] supervisors to send it to", window.key
            )
        if await _send(app, window, targets, key=window.key, priority=PRIORITY_DIGEST):
            sent.append(window.key)
            log.info("digest %s sent to %s", window.key, targets)
    return sent


async def report_on_demand(app: DispatchApp, args: str, actor: Actor, *, update_id: int | None) -> None:
    """/laporan hari|minggu|bulan|tahun [periode] [docx], answered in the chat it was asked in."""
    now = app.local(app.clock())
    parts = args.split()
    as_document = len(parts) > 1 and parts[-1].casefold() == "docx"
    try:
        window = requested_window(" ".join(parts[:-1]) if as_document else args, now)
    except ValueError as exc:
        raise Refused(str(exc), "format") from None
    if window.start > now:
        raise Refused(f"Periode {window.title} belum dimulai.", "format")
    if not as_document:
        await _send(app, window, [actor.chat_id], key=None, priority=PRIORITY_REPLY, update_id=update_id)
        return
    if window.kind not in ("bulan", "tahun"):
        raise Refused(DOCX_USAGE, "format")
    document = await _document(app, window)
    if document is None:
        raise Refused(f"Dokumen {window.title} gagal dibuat; coba lagi sebentar lagi.", "docx_failed")
    async with app.store.transaction(app.clock(), update_id) as tx:
        await enqueue_document(tx, actor.chat_id, PRIORITY_REPLY, *document)
    app.wake()


class DigestJobs:
    """The JobQueue callbacks; one run at a time so the daily job and the catch-up never draw twice."""

    def __init__(self, app: DispatchApp) -> None:
        self.app = app
        self._lock = asyncio.Lock()

    async def tick(self, _context: Any = None) -> None:
        if self._lock.locked():
            return
        async with self._lock:
            try:
                await send_due_digests(self.app)
            except Exception:  # logged; the catch-up job tries again in a minute
                log.exception("digest failed")


def schedule_digests(job_queue: JobQueue[Any], app: DispatchApp) -> DigestJobs:
    jobs = DigestJobs(app)
    hour, minute = app.settings.digest.hour_minute
    job_queue.run_daily(jobs.tick, time=time(hour, minute, 1, tzinfo=app.tz), name="digest")
    job_queue.run_repeating(jobs.tick, interval=CATCH_UP_INTERVAL, first=1.0, name="digest-catch-up")
    return jobs
