"""Backups that restore: SQLite's online backup API while the bot runs, a checked restore while it is
stopped, and the lock that tells the two apart.

Blocking sqlite3 calls here run in a thread (asyncio.to_thread) so a scheduled backup never stalls the
dispatch loop; the online backup copies a consistent snapshot while writers carry on (WAL).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.db import _migrations, _split


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator (Indonesian)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    incidents: int
    schema_version: int


def _private_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


def lock_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}.lock")


@contextlib.contextmanager
def service_lock(db_path: str | Path) -> Iterator[None]:
    """Held by `run.py` for as long as it serves: restore refuses to replace a database in use."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"{path}: bot lain sudah berjalan dengan basis data ini") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def service_running(db_path: str | Path) -> bool:
    path = lock_path(db_path)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def check(path: str | Path) -> BackupInfo:
    """integrity_check, and a schema this version of the program knows: what restore insists on."""
    file = Path(path)
    if not file.is_file():
        raise BackupError(f"{file}: berkas tidak ditemukan")
    try:
        db = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{file}: bukan basis data SQLite ({exc})") from None
    try:
        result = db.execute("PRAGMA integrity_check").fetchall()
        if [tuple(r) for r in result] != [("ok",)]:
            raise BackupError(f"{file}: integrity_check gagal: {result[:3]}")
        versions = {int(r[0]) for r in db.execute("SELECT version FROM schema_migrations")}
        incidents = int(db.execute("SELECT COUNT(*) FROM incidents").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file}: bukan cadangan 112 Dispatch Bridge ({exc})") from None
    finally:
        db.close()
    known = {version for version, _, _ in _migrations()}
    if not versions or not versions <= known:
        newer = sorted(versions - known)
        raise BackupError(f"{file}: skema dari versi program yang lebih baru (migrasi {newer})")
    return BackupInfo(file, file.stat().st_size, incidents, max(versions))


def backup(db_path: str | Path, dest: str | Path) -> BackupInfo:
    """A consistent copy of the live database at `dest` (0600), checked before it is put in place."""
    source = Path(db_path)
    if not source.is_file():
        raise BackupError(f"{source}: basis data tidak ditemukan")
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(str(source), timeout=30)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        dst = sqlite3.connect(str(partial))
        try:
            # All pages in one step: under WAL a reader never blocks writers, and a stepped copy would
            # restart each time the live bot commits, never finishing under steady traffic.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
    finally:
        src.close()
    try:
        info = check(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    _private_file(target)
    return BackupInfo(target, info.size, info.incidents, info.schema_version)


def restore(
    backup_file: str | Path, db_path: str | Path, now: float | None = None
) -> tuple[BackupInfo, Path | None]:
    """Put a checked backup in place of the (stopped) bot's database; the old one is kept beside it."""
    info = check(backup_file)
    db = Path(db_path)
    if service_running(db):
        raise BackupError(f"{db}: bot masih berjalan; hentikan dulu (systemctl stop dispatch-bridge)")
    db.parent.mkdir(parents=True, exist_ok=True)
    staged = db.with_name(f".{db.name}.restoring")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(info.path, "rb") as src:
        while chunk := src.read(1 << 20):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    try:
        _migrate(staged)  # an older backup is brought up to this version before it replaces anything
    except sqlite3.Error as exc:
        staged.unlink(missing_ok=True)
        raise BackupError(f"{info.path}: migrasi gagal ({exc})") from None
    kept: Path | None = None
    if db.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
        kept = db.with_name(f"{db.name}.sebelum-restore-{stamp}")
        _checkpoint(db)
        os.replace(db, kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)  # a WAL of the old file must never replay onto the new
    os.replace(staged, db)
    _private_file(db)
    return info, kept


def _migrate(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(str(path), isolation_level=None)) as conn:
        applied = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, sql in _migrations():
            if version in applied:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, name))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


def _checkpoint(db: Path) -> None:
    """Fold the old file's WAL into it before it is set aside, so the kept copy is complete."""
    with contextlib.closing(sqlite3.connect(str(db), timeout=30)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def rotate(folder: str | Path, keep: int, prefix: str = "dispatch-") -> list[Path]:
    """Delete all but the newest `keep` scheduled backups in `folder`; returns what was deleted."""
    files = sorted(Path(folder).glob(f"{prefix}*.sqlite3"), key=lambda p: p.name)
    doomed = files[:-keep] if keep > 0 else files
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
