"""CLI commands `blocklist`, `export-eidd` and `import-eidd` (registered by bot/reports/cli.py).

Same signature as the report commands: (args, storage path, zone, routing table); they read the rest
of the settings themselves. An import writes the incident and its outbox rows to the database: the
running bot delivers the cards (its outbox worker re-reads the database at least every 30 s).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import DispatchApp
from bot.services.common import Actor, Refused
from bot.services.eidd_import import create_from
from bot.services.handoff import document_bytes
from bot.settings import load_settings
from routing.incident import parse_number
from routing.table import RoutingTable
from storage.uow import Store

BLOCK_COLUMNS = ("phone", "blocked_at", "until", "level", "reason", "blocked_by")


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    blocks = subparsers.add_parser(
        "blocklist", help="daftar nomor yang sedang diblokir (untuk operator telepon)"
    )
    blocks.add_argument("--format", choices=("csv", "md"), default="csv")
    export = subparsers.add_parser("export-eidd", help="cetak dokumen EIDD (JSON) satu kejadian")
    export.add_argument("number", metavar="NOMOR")
    export.add_argument("--year", type=int, help="tahun kejadian (bawaan: nomor terbaru)")
    imp = subparsers.add_parser("import-eidd", help="buat kejadian dari dokumen EIDD (JSON)")
    imp.add_argument("file", metavar="FILE.json")


async def _app(storage_path: str, routing: RoutingTable) -> DispatchApp:
    settings = load_settings()
    return DispatchApp(
        settings=settings, store=await Store.open(storage_path), routing=routing, clock=time.time
    )


async def run_blocklist(
    args: argparse.Namespace, storage_path: str, tz: ZoneInfo, routing: RoutingTable
) -> int:
    """The active blocks with the FULL numbers: the telephony operator blocks them on the platform."""
    store = await Store.open(storage_path)
    try:
        async with store.reading(time.time()) as tx:
            active = await tx.blocks.active()
    finally:
        await store.close()

    def local(ts: float) -> str:
        from datetime import datetime

        return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")

    rows = [(b.phone, local(b.starts_at), local(b.ends_at), str(b.level), b.reason, b.blocked_by_name or "")
            for b in active]  # fmt: skip
    buf = io.StringIO()
    if args.format == "csv":
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(BLOCK_COLUMNS)
        writer.writerows(rows)
    else:
        buf.write("| " + " | ".join(BLOCK_COLUMNS) + " |\n" + "|---" * len(BLOCK_COLUMNS) + "|\n")
        for row in rows:
            buf.write("| " + " | ".join(c.replace("|", "/") for c in row) + " |\n")
    sys.stdout.write(buf.getvalue())
    return 0


async def run_export_eidd(
    args: argparse.Namespace, storage_path: str, tz: ZoneInfo, routing: RoutingTable
) -> int:
    number = parse_number(args.number)
    if number is None:
        print(f"Nomor kejadian tidak valid: {args.number}", file=sys.stderr)
        return 2
    app = await _app(storage_path, routing)
    try:
        async with app.store.reading(app.clock()) as tx:
            incident = await tx.incidents.by_number(number)
            if incident is not None and args.year is not None and incident.year != args.year:
                incident = None
            if incident is None:
                print(f"Kejadian #{number} tidak ditemukan.", file=sys.stderr)
                return 1
            data = await document_bytes(tx, app, incident)
    finally:
        await app.store.close()
    sys.stdout.write(data.decode("utf-8"))
    return 0


async def run_import_eidd(
    args: argparse.Namespace, storage_path: str, tz: ZoneInfo, routing: RoutingTable
) -> int:
    try:
        data = await asyncio.to_thread(Path(args.file).read_bytes)
    except OSError as exc:
        print(f"Berkas {args.file} tidak bisa dibaca: {exc.strerror}", file=sys.stderr)
        return 1
    app = await _app(storage_path, routing)
    await app.reload_roster()
    taker = (app.roster.with_role("call_taker") or app.roster.with_role("admin") or [0])[0]
    # The cards go to the agencies; the confirmation to the call takers' group (else the first call taker).
    actor = Actor(id=taker, name="import-eidd", chat_id=app.call_taker_target(taker), channel="cli")
    try:
        done = await create_from(app, data, actor, update_id=None)
    except Refused as refusal:
        async with app.store.transaction(app.clock()) as tx:
            await tx.events.add("refused", "cli", actor_name="import-eidd", command=f"import-eidd {args.file}"[:200],
                                reason=refusal.reason, message=refusal.message)  # fmt: skip
        print(refusal.message, file=sys.stderr)
        return 1
    finally:
        await app.store.close()
    agencies = ", ".join(done.reached + done.by_phone) or "-"
    print(f"Kejadian #{done.incident.number} dibuat dari {args.file} (instansi: {agencies}).")
    return 0


COMMANDS = {"blocklist": run_blocklist, "export-eidd": run_export_eidd, "import-eidd": run_import_eidd}
