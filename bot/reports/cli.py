"""CLI commands `report`, `import-calls` and `import-telephony`, and the report's md/csv/json text.

run.py adds the subcommands with `add_subcommands` and awaits `run_command`, which loads the routing
table and calls the matching `run_*` function with the storage path and the configured zone. Each
returns the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot import handoff_cli
from bot.reports import prank
from bot.reports.document import load_report
from bot.reports.document import render as render_document
from bot.reports.facts import number_id, percent_id
from bot.reports.service import (
    ImportFileError,
    RowError,
    read_calls_csv,
    read_telephony_csv,
)
from bot.settings import ReportSettings, Settings, SettingsError
from routing import stats
from routing.errors import RoutingError
from routing.table import RoutingTable, load_routing
from storage import imports
from storage.connection import Connection
from storage.db import connect
from storage.imports import ValidCallRow, ValidTelephonyRow

Row = TypeVar("Row")

IMPORT_NICENESS = 10
MAX_ROW_ERRORS = 50  # a wholly wrong file should not scroll the terminal away


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="laporan: Tabel 2-4 dan Grafik 1-3 seperti laporan tahunan")
    report.add_argument("--period", required=True, help="2023, 2023-Q1, 2023-03 atau 2023-03-05")
    report.add_argument("--format", choices=("md", "csv", "json", "docx"), default="md")
    report.add_argument("--output", metavar="FILE", help="tulis laporan ke berkas ini (wajib untuk docx)")
    report.add_argument("--charts", metavar="DIR", help="tulis grafik-1.png ... grafik-3.png ke folder ini")
    calls = subparsers.add_parser("import-calls", help="impor riwayat panggilan dari CSV")
    calls.add_argument("file", metavar="FILE.csv")
    phone = subparsers.add_parser("import-telephony", help="impor angka bulanan platform telepon dari CSV")
    phone.add_argument("file", metavar="FILE.csv")
    handoff_cli.add_subcommands(subparsers)


def _id_number(n: int | None) -> str:
    return number_id(n)


def _id_percent(p: float | None, *, fixed: bool = True) -> str:
    """40,7% for computed shares; a telephony rate prints as given (97% stays 97%)."""
    return percent_id(p, fixed=fixed)


def _when(row: stats.Table2Row, period: stats.Period) -> str:
    return period.title if period.kind == "day" else stats.MONTHS_ID[int(row.month[5:7]) - 1]


def render_md(report: stats.Report) -> str:
    p = report.period
    t = report.table2_total
    out = [f"# Laporan Call Center 112 Kota Blitar {p.title}", ""]
    out += [
        "## Tabel 2 Jumlah Panggilan Kegiatan Call Center 112 Kota Blitar",
        "",
        "| No | Waktu | Total Panggilan Masuk | Total Panggilan Masuk ke Agent | Total Panggilan Dijawab"
        " | Persentase Panggilan | Prank & Ghost |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for i, r in enumerate(report.table2, start=1):
        out.append(
            f"| {i} | {_when(r, p)} | {_id_number(r.incoming)} | {_id_number(r.to_agent)}"
            f" | {_id_number(r.answered)} | {_id_percent(r.percentage, fixed=False)}"
            f" | {_id_number(r.prank_ghost)} |"
        )
    out.append(
        f"| | **TOTAL** | **{_id_number(t.incoming)}** | **{_id_number(t.to_agent)}**"
        f" | **{_id_number(t.answered)}** | **{_id_percent(t.percentage)}**"
        f" | **{_id_number(t.prank_ghost)}** |"
    )
    out.append("")
    out.append(
        "Persentase TOTAL = rata-rata persentase bulanan dari platform telepon (seperti laporan tahunan)."
    )
    if p.kind == "day":
        out.append("Angka platform telepon hanya tersedia per bulan, tidak per hari.")
    elif report.telephony_missing:
        months = ", ".join(report.telephony_missing)
        out.append(f"Belum ada data platform telepon untuk: {months} (impor dengan `import-telephony`).")
    out += [
        "",
        "## Tabel 3 Jumlah Panggilan Berdasarkan Kategori Kejadian",
        "",
        "| No | Kategori | Jumlah Insiden |",
        "| ---: | --- | ---: |",
    ]
    for i, c in enumerate(report.table3, start=1):
        out.append(f"| {i} | {c.name} | {_id_number(c.count)} |")
    out.append(f"| | **TOTAL** | **{_id_number(sum(c.count for c in report.table3))}** |")
    out += [
        "",
        "## Tabel 4 Panggilan Berdasarkan Kategori Lokasi Kejadian",
        "",
        "| No | Berdasarkan Wilayah | Jumlah | Persentase |",
        "| ---: | --- | ---: | ---: |",
    ]
    for i, k in enumerate(report.table4, start=1):
        out.append(f"| {i} | {k.kecamatan} | {_id_number(k.count)} | {_id_percent(k.percentage)} |")
    out.append(f"| | **TOTAL** | **{_id_number(sum(k.count for k in report.table4))}** | |")
    if report.without_location:
        out += ["", f"Tanpa lokasi: {_id_number(report.without_location)} panggilan (tidak masuk Tabel 4)."]
    return "\n".join(out) + "\n"


def report_dict(report: stats.Report) -> dict[str, Any]:
    def row2(r: stats.Table2Row) -> dict[str, Any]:
        return {
            "month": r.month,
            "incoming": r.incoming,
            "to_agent": r.to_agent,
            "answered": r.answered,
            "percentage": r.percentage,
            "prank_ghost": r.prank_ghost,
        }

    return {
        "period": report.period.label,
        "table2": [row2(r) for r in report.table2],
        "table2_total": row2(report.table2_total),
        "table3": [{"category": c.category, "name": c.name, "count": c.count} for c in report.table3],
        "table4": [
            {"kecamatan": k.kecamatan, "count": k.count, "percentage": k.percentage} for k in report.table4
        ],
    }


def render_csv(report: stats.Report) -> str:
    """The three tables one after another, each with its header line, separated by a blank line."""
    data = report_dict(report)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys2 = ("month", "incoming", "to_agent", "answered", "percentage", "prank_ghost")
    w.writerow(keys2)
    for row in [*data["table2"], data["table2_total"]]:
        w.writerow(["" if row[k] is None else row[k] for k in keys2])
    for table, keys in (
        ("table3", ("category", "name", "count")),
        ("table4", ("kecamatan", "count", "percentage")),
    ):
        buf.write("\n")
        w.writerow(keys)
        for row in data[table]:
            w.writerow([row[k] for k in keys])
    return buf.getvalue()


async def run_report(args: argparse.Namespace, storage_path: str, tz: ZoneInfo, routing: RoutingTable,
                     cfg: ReportSettings | None = None) -> int:  # fmt: skip
    try:
        period = stats.parse_period(args.period, tz)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    output: str | None = getattr(args, "output", None)
    if args.format == "docx" and not output:
        print("Format docx perlu --output FILE.docx (dokumen Word tidak ditulis ke layar).", file=sys.stderr)
        return 2
    db = await connect(storage_path)
    try:
        report = await load_report(db, period, routing)
        offset = int((period.start.utcoffset() or timedelta(0)).total_seconds())
        patterns = await prank.read_patterns(
            db, period.start.timestamp(), period.end.timestamp(), offset, routing
        )
    finally:
        await db.close()
    if args.format == "docx" and output:
        made_at = datetime.now(tz)  # the CLI's clock: only the "disusun pada" line of the title block
        data = await asyncio.to_thread(render_document, report, routing, cfg or ReportSettings(), made_at)
        _write_atomically(Path(output), data)
        print(f"Dokumen ditulis: {output}", file=sys.stderr)
    else:
        # Tables 2-4 first, unchanged; the prank & ghost patterns after them.
        if args.format == "json":
            data_json = report_dict(report) | {"prank_ghost_patterns": prank.as_dict(patterns)}
            text = json.dumps(data_json, ensure_ascii=False, indent=2) + "\n"
        elif args.format == "md":
            text = render_md(report) + prank.render_md(patterns, period.title)
        else:
            text = render_csv(report) + prank.render_csv(patterns)
        if output:
            _write_atomically(Path(output), text.encode("utf-8"))
        else:
            sys.stdout.write(text)
    if args.charts:
        from bot.reports.charts import write_charts  # matplotlib loads only when charts are asked for
        from bot.reports.prank_chart import write_heatmap

        paths = await asyncio.to_thread(write_charts, report, Path(args.charts))
        paths.append(await asyncio.to_thread(write_heatmap, patterns, period.title, Path(args.charts)))
        print("Grafik ditulis: " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 0


def _write_atomically(path: Path, data: bytes) -> None:
    """A half-written report never stands under the asked name (a kill mid-write leaves the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _print_row_errors(errors: list[RowError], path: str) -> None:
    for e in errors[:MAX_ROW_ERRORS]:
        print(f"Baris {e.row}: {'; '.join(e.reasons)}", file=sys.stderr)
    if len(errors) > MAX_ROW_ERRORS:
        print(f"... dan {len(errors) - MAX_ROW_ERRORS} baris bermasalah lainnya", file=sys.stderr)
    rows = ", ".join(str(e.row) for e in errors[:MAX_ROW_ERRORS])
    print(
        f"Tidak ada yang diimpor dari {path}: {len(errors)} baris bermasalah (baris {rows}).",
        file=sys.stderr,
    )


async def run_import_calls(
    args: argparse.Namespace, storage_path: str, tz: ZoneInfo, routing: RoutingTable
) -> int:
    """Validate every row first; import nothing from a file with a bad row."""

    async def store(db: Connection, rows: list[ValidCallRow]) -> str:
        inserted, present = await imports.import_calls(db, rows)
        return f"Diimpor {_id_number(inserted)} panggilan, {_id_number(present)} sudah ada"

    return await _import(args.file, lambda path: read_calls_csv(path, routing), store, storage_path)


async def run_import_telephony(
    args: argparse.Namespace, storage_path: str, tz: ZoneInfo, routing: RoutingTable
) -> int:
    """Same rules as import-calls; a month already stored with other figures is updated."""

    async def store(db: Connection, rows: list[ValidTelephonyRow]) -> str:
        result = await imports.import_telephony(db, rows)
        return (
            f"Diimpor {_id_number(result.inserted)} bulan, {_id_number(result.updated)} diperbarui,"
            f" {_id_number(result.unchanged)} sudah ada"
        )

    return await _import(args.file, read_telephony_csv, store, storage_path)


async def _import(
    file: str,
    read: Callable[[Path], tuple[list[Row], list[RowError]]],
    store: Callable[[Connection, list[Row]], Awaitable[str]],
    storage_path: str,
) -> int:
    try:
        rows, errors = read(Path(file))
    except ImportFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    if errors:
        _print_row_errors(errors, file)
        return 1
    db = await connect(storage_path)
    try:
        print(await store(db, rows))
    finally:
        await db.close()
    return 0


COMMANDS = {"report": run_report, "import-calls": run_import_calls, "import-telephony": run_import_telephony}
COMMANDS.update(handoff_cli.COMMANDS)  # blocklist, export-eidd, import-eidd


async def run_command(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """Entry from run.py: these commands need only [storage] (and an optional [routing] path)."""
    try:
        routing = load_routing(settings.routing.path)
    except RoutingError as exc:
        raise SettingsError(exc.key, exc.problem) from None  # run.py prints it and exits 2
    if command == "report":
        return await run_report(args, settings.storage.target, settings.tz, routing, settings.report)
    if command.startswith("import-"):
        # A history import is never urgent: on a small server it must not take CPU from the running
        # bot (validating a million rows keeps a core busy for about half a minute).
        os.nice(IMPORT_NICENESS)
    return await COMMANDS[command](args, settings.storage.target, settings.tz, routing)
