"""`run.py backup FILE`, `run.py restore FILE`, and the scheduled daily backup with its rotation."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from storage.backup import BackupError, backup, restore, rotate

if TYPE_CHECKING:  # only the served bot needs these; `run.py report` and the rest start without PTB
    from telegram.ext import ContextTypes, JobQueue

    from bot.app import DispatchApp

log = logging.getLogger(__name__)


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    made = subparsers.add_parser("backup", help="salin basis data (boleh saat bot berjalan)")
    made.add_argument(
        "file", metavar="FILE", help="berkas cadangan yang ditulis, mis. /srv/cadangan/112.sqlite3"
    )
    back = subparsers.add_parser("restore", help="pulihkan dari cadangan (bot harus berhenti)")
    back.add_argument("file", metavar="FILE", help="berkas cadangan yang dibaca")


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB".replace(".", ",")


# The online copy and the checked restore are the SQLite file's (its backup API, integrity_check, the
# service lock); a PostgreSQL database is backed up with PostgreSQL's own tools.
ON_POSTGRES = {
    "backup": "backup hanya untuk basis data SQLite; untuk PostgreSQL pakai pg_dump, mis. "
    "pg_dump -Fc -f cadangan.dump NAMA_DB",
    "restore": "restore hanya untuk basis data SQLite; untuk PostgreSQL pakai pg_restore, mis. "
    "pg_restore --clean -d NAMA_DB cadangan.dump (bot dihentikan dulu)",
}


async def run_command(command: str, args: argparse.Namespace, settings: Settings) -> int:
    if settings.storage.postgres:
        print(f"Gagal: {ON_POSTGRES[command]}", file=sys.stderr)
        return 2
    db = settings.storage.path
    try:
        if command == "backup":
            info = await asyncio.to_thread(backup, db, args.file)
            print(f"Cadangan dibuat: {info.path} ({_size(info.size)}, {info.incidents} kejadian, "
                  f"skema {info.schema_version}); integrity_check ok")  # fmt: skip
            return 0
        info, kept = await asyncio.to_thread(restore, args.file, db)
    except BackupError as exc:
        print(f"Gagal: {exc}", file=sys.stderr)
        return 1
    print(f"Dipulihkan dari {info.path} ({info.incidents} kejadian, skema {info.schema_version}); "
          "integrity_check ok.")  # fmt: skip
    if kept is not None:
        print(f"Basis data sebelumnya disimpan sebagai {kept}")
    return 0


async def scheduled_backup(app: DispatchApp) -> Path | None:
    """One copy named by the local time, then the oldest beyond `keep` removed; audited either way."""
    cfg = app.settings.backup
    now = app.clock()
    name = f"dispatch-{app.local(now):%Y%m%d-%H%M%S}.sqlite3"
    folder = Path(cfg.dir) if cfg.dir else Path(app.settings.storage.path).parent / "backups"
    target = folder / name
    try:
        info = await asyncio.to_thread(backup, app.settings.storage.path, target)
        removed = await asyncio.to_thread(rotate, folder, cfg.keep)
    except (BackupError, OSError) as exc:
        log.error("backup failed: %s", exc)
        async with app.store.transaction(app.clock()) as tx:
            await tx.events.add("backup_failed", "system", error=str(exc)[:300])
        return None
    async with app.store.transaction(app.clock()) as tx:
        await tx.events.add("backup_made", "system", file=str(info.path), size=info.size,
                            removed=[p.name for p in removed])  # fmt: skip
    log.info("backup: %s (%s), %d old copies removed", info.path, _size(info.size), len(removed))
    return info.path


def schedule_backups(job_queue: JobQueue, app: DispatchApp) -> None:  # type: ignore[type-arg]
    if not app.settings.backup.enabled:
        return
    if app.settings.storage.postgres:
        # Nothing to copy here: the SQLite file named by [storage] path is not the database in use.
        log.warning("backup harian tidak dijadwalkan: basis data PostgreSQL, cadangkan dengan pg_dump")
        return

    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await scheduled_backup(app)

    hour, minute = app.settings.backup.hour_minute
    job_queue.run_daily(job, time=clock_time(hour, minute, tzinfo=app.tz), name="cadangan-harian")
