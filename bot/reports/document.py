"""The report document as a use case: read a period's figures, render the .docx, queue it for Telegram.

Shared by `run.py report --format docx`, `/laporan tahun|bulan ... docx` and the monthly report. The
bot reads the figures on a connection of its own, so a year over a million calls does not hold the
bot's connection (and every dispatch behind it) while it is grouped.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timedelta

from bot.app import DispatchApp
from bot.reports.digest_text import Window
from bot.reports.service import build_report
from bot.services.common import esc
from bot.settings import ReportSettings
from routing import stats
from routing.table import RoutingTable
from storage.connection import Connection
from storage.db import connect
from storage.reports import aggregate
from storage.uow import Tx


async def load_report(db: Connection, period: stats.Period, routing: RoutingTable) -> stats.Report:
    # One offset for the whole period: exact for Asia/Jakarta (no DST).
    offset = period.start.utcoffset() or timedelta(0)
    months = stats.months_in(period)
    agg = await aggregate(
        db,
        period.start.timestamp(),
        period.end.timestamp(),
        int(offset.total_seconds()),
        months[0],
        months[-1],
    )
    return build_report(period, agg, routing)


def filename(period: stats.Period) -> str:
    return f"laporan-112-{period.label}.docx"


def render(
    report: stats.Report, routing: RoutingTable, cfg: ReportSettings, made_at: datetime | None
) -> bytes:
    from bot.reports.word import render_docx  # python-docx and matplotlib load only when asked for

    return render_docx(report, routing, cfg, made_at)


async def read_report(app: DispatchApp, period: stats.Period) -> stats.Report:
    if app.store.path is None:  # a store made from a bare connection: read through it
        async with app.store.reading(app.clock()) as tx:
            return await load_report(tx.db, period, app.routing)
    db = await connect(app.store.path)
    try:
        return await load_report(db, period, app.routing)
    finally:
        await db.close()


async def enqueue_document(
    tx: Tx, target: int | str, priority: int, name: str, data: bytes, caption: str
) -> None:
    """The bytes travel in the outbox row itself (as photos do): committed with the row in one
    transaction, nothing on disk to orphan or lose at a kill -9, and a retry sends the same file."""
    payload = {"data": base64.b64encode(data).decode("ascii"), "filename": name, "caption": caption}
    await tx.outbox.add("telegram", "document", target, priority, payload)


async def window_document(app: DispatchApp, window: Window) -> tuple[str, bytes, str]:
    """(filename, bytes, caption) of the document for a /laporan or digest period (bulan or tahun)."""
    period = stats.parse_period(window.label, app.tz)
    cfg = app.settings.report
    report = await read_report(app, period)
    data = await asyncio.to_thread(render, report, app.routing, cfg, app.local(app.clock()))
    caption = f"📄 Laporan {esc(cfg.name)} {esc(period.title)}: Tabel 2-4, Grafik 1-3 (dokumen Word, dapat disunting)"
    return filename(period), data, caption
