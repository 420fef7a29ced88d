"""Backups that restore: an online copy during live traffic, a checked restore with the bot stopped."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from storage.backup import BackupError, backup, check, restore, rotate, service_lock
from tests.dbread import on_postgres, storage_toml
from tests.e2e import CALL_TAKER, DAMKAR, ROOT, World, make_world

ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari {n} | 081234567890 | Rumah terbakar"


def make_db(path: Path) -> None:
    async def create() -> None:
        from storage.db import connect

        db = await connect(path)
        await db.close()

    asyncio.run(create())


@pytest.mark.sqlite_only  # SQLite's online backup API under a writing connection
def test_backup_while_another_connection_keeps_writing(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    make_db(db)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        n = 0
        while not stop.is_set():
            n += 1
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO inbox (update_id, payload, received_at) VALUES (?, '{}', 0)", (n,))
            conn.execute("COMMIT")
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 200:
            stop.wait(0.01)
        info = backup(db, tmp_path / "out" / "copy.sqlite3")
    finally:
        stop.set()
        thread.join()
    assert info.path.is_file() and check(info.path).schema_version >= 1
    copied = sqlite3.connect(info.path).execute("SELECT COUNT(*), MAX(update_id) FROM inbox").fetchone()
    assert copied[0] == copied[1] >= 200  # a prefix of the commits, none half-applied
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert not Path(f"{info.path}-wal").exists()


@pytest.mark.sqlite_only  # restoring a SQLite file (lock file, integrity_check)
def test_restore_refuses_a_running_bot_garbage_and_a_newer_schema(tmp_path: Path) -> None:
    db = tmp_path / "dispatch.sqlite3"
    make_db(db)
    good = backup(db, tmp_path / "good.sqlite3").path
    with service_lock(db), pytest.raises(BackupError, match="masih berjalan"):
        restore(good, db)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="bukan"):
        restore(junk, db)
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, '999_future.sql')")
    with pytest.raises(BackupError, match="lebih baru"):
        restore(newer, db)
    with pytest.raises(BackupError, match="sudah berjalan"), service_lock(db), service_lock(db):
        pass


@pytest.mark.sqlite_only  # the replaced SQLite file and its -wal
def test_restore_keeps_the_old_database_and_drops_its_wal(tmp_path: Path) -> None:
    db = tmp_path / "dispatch.sqlite3"
    make_db(db)
    copy = backup(db, tmp_path / "copy.sqlite3").path
    with sqlite3.connect(db) as conn:  # a change after the backup: restore must undo it
        conn.execute("INSERT INTO inbox (update_id, payload, received_at) VALUES (1, '{}', 0)")
    info, kept = restore(copy, db, now=0)
    assert kept is not None and kept.name == "dispatch.sqlite3.sebelum-restore-19700101-000000"
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,)
    assert sqlite3.connect(kept).execute("SELECT COUNT(*) FROM inbox").fetchone() == (1,)
    assert info.incidents == 0 and stat.S_IMODE(db.stat().st_mode) == 0o600


def test_rotation_keeps_the_newest(tmp_path: Path) -> None:
    for day in range(1, 10):
        (tmp_path / f"dispatch-202612{day:02d}-023000.sqlite3").write_bytes(b"x")
    (tmp_path / "other.sqlite3").write_bytes(b"x")
    removed = rotate(tmp_path, keep=3)
    assert len(removed) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dispatch-20261207-023000.sqlite3", "dispatch-20261208-023000.sqlite3",
        "dispatch-20261209-023000.sqlite3", "other.sqlite3",
    ]  # fmt: skip


def cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=world.bot.env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


@pytest.mark.sqlite_only  # backup/restore copy the SQLite file (PostgreSQL: pg_dump, refused below)
async def test_restore_drill_during_live_traffic(tmp_path: Path) -> None:
    async for world in make_world(tmp_path):
        api = world.api
        for n in range(1, 6):
            api.send_text(world.call_taker, world.call_taker, ONE_LINE.format(n=n))
        await api.wait_message(DAMKAR, "#2")
        for n in range(6, 16):  # more traffic while the copy is made
            api.send_text(world.call_taker, world.call_taker, ONE_LINE.format(n=n))
        done = await asyncio.to_thread(cli, world, "backup", str(tmp_path / "drill.sqlite3"))
        assert done.returncode == 0 and "integrity_check ok" in done.stdout, done.stderr
        refused = await asyncio.to_thread(cli, world, "restore", str(tmp_path / "drill.sqlite3"))
        assert refused.returncode == 1 and "masih berjalan" in refused.stderr
        await api.wait_message(DAMKAR, "#15", timeout=30)
        await world.bot.stop()

        done = await asyncio.to_thread(cli, world, "restore", str(tmp_path / "drill.sqlite3"))
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(world.db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            numbers = [r[0] for r in conn.execute("SELECT number FROM incidents ORDER BY number")]
            assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 2
            # Nothing half-applied: every incident has its call, all the assignments its creation event
            # names, a card row for each one with a group, and their events: each dispatch was one
            # transaction.
            for (incident_id,) in conn.execute("SELECT id FROM incidents"):
                q = "SELECT COUNT(*) FROM {} WHERE incident_id = ?"
                assert conn.execute(q.format("calls"), (incident_id,)).fetchone() == (1,)
                (named,) = conn.execute("SELECT json_array_length(data, '$.agencies') FROM events"
                                        " WHERE kind = 'incident_created' AND incident_id = ?",
                                        (incident_id,)).fetchone()  # fmt: skip
                assert conn.execute(q.format("assignments"), (incident_id,)).fetchone() == (named,)
                assigned = "SELECT COUNT(*) FROM events WHERE kind = 'assigned' AND incident_id = ?"
                assert conn.execute(assigned, (incident_id,)).fetchone() == (named,)
                with_group = "SELECT COUNT(*) FROM assignments WHERE chat_id IS NOT NULL AND incident_id = ?"
                cards = (
                    "SELECT COUNT(DISTINCT assignment_id) FROM outbox WHERE kind = 'card' AND incident_id = ?"
                )
                assert conn.execute(cards, (incident_id,)).fetchone() == conn.execute(
                    with_group, (incident_id,)).fetchone() == (3,)  # fmt: skip
        kept = [
            p.name for p in os.scandir(tmp_path) if p.name.startswith("dispatch.sqlite3.sebelum-restore-")
        ]
        assert len(kept) == 1

        # The restored database serves: the next incident takes the next number and its card goes out.
        restored = len(numbers)
        await world.bot.start()
        api.send_text(world.call_taker, world.call_taker, ONE_LINE.format(n=99))
        await api.wait_message(CALL_TAKER, f"#{restored + 1} ", timeout=20)
        card = await api.wait_message(DAMKAR, "Jl. Kenari 99", timeout=20)
        assert f"#{restored + 1}" in card.text


@pytest.mark.sqlite_only  # the daily copy is of the SQLite file
def test_scheduled_backup_dir_defaults_beside_the_database(tmp_path: Path) -> None:
    from bot.app import DispatchApp
    from bot.backups import scheduled_backup
    from bot.settings import Settings
    from routing.table import load_routing
    from storage.uow import Store

    db = tmp_path / "db" / "dispatch.sqlite3"

    async def run() -> list[str]:
        settings = Settings(storage={"path": str(db)}, backup={"keep": 2})  # type: ignore[arg-type]
        now = [1_780_000_000.0]
        app = DispatchApp(settings=settings, store=await Store.open(db), routing=load_routing(None),
                          clock=lambda: now[0])  # fmt: skip
        try:
            for _ in range(3):
                await scheduled_backup(app)
                now[0] += 1  # copies are named by the second they are made
            async with (
                app.store.reading(0) as tx,
                tx.db.execute("SELECT kind FROM events WHERE kind LIKE 'backup%'") as cur,
            ):
                return [r[0] for r in await cur.fetchall()]
        finally:
            await app.store.close()

    kinds = asyncio.run(run())
    assert kinds == ["backup_made"] * 3
    files = sorted(p.name for p in (db.parent / "backups").iterdir())
    assert len(files) == 2 and all(f.startswith("dispatch-") for f in files)
    assert stat.S_IMODE(os.stat(db.parent / "backups" / files[0]).st_mode) == 0o600


postgres_only = pytest.mark.skipif(not on_postgres(), reason="about a PostgreSQL database")


@postgres_only
@pytest.mark.parametrize(("command", "tool"), [("backup", "pg_dump"), ("restore", "pg_restore")])
def test_backup_and_restore_refuse_on_postgresql(
    tmp_path: Path, db_target: str, command: str, tool: str
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(f'timezone = "Asia/Jakarta"\n[storage]\n{storage_toml(db_target, tmp_path)}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env["DISPATCH_SETTINGS"] = str(settings)
    done = subprocess.run([sys.executable, "run.py", command, str(tmp_path / "copy.dump")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and tool in lines[0] and "PostgreSQL" in lines[0], done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.toml"]  # nothing written, nothing read


def test_the_daily_copy_is_scheduled_on_sqlite_only(db_target: str) -> None:
    from telegram.ext import JobQueue

    from bot.app import DispatchApp
    from bot.backups import schedule_backups
    from bot.settings import Settings
    from routing.table import load_routing
    from storage.uow import Store

    async def run() -> int:
        storage = {"url": db_target} if on_postgres() else {"path": db_target}
        settings = Settings(storage=storage, backup={"enabled": True})  # type: ignore[arg-type]
        app = DispatchApp(settings=settings, store=await Store.open(db_target), routing=load_routing(None),
                          clock=lambda: 0.0)  # fmt: skip
        try:
            queue: JobQueue = JobQueue()  # type: ignore[type-arg]
            schedule_backups(queue, app)
            return len(queue.jobs())
        finally:
            await app.store.close()

    assert asyncio.run(run()) == (0 if on_postgres() else 1)
