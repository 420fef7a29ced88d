"""A large import never holds the write lock for long: a dispatch waiting on it gets its turn."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from storage.db import connect
from storage.imports import ValidCallRow, import_calls

ROWS = 150_000  # in one transaction this held the lock about 3 s on this machine


def rows(n: int, offset: int = 0) -> list[ValidCallRow]:
    return [
        ValidCallRow(
            at=1_680_000_000.0 + i * 60,
            type="prank",
            category=None,
            kelurahan=None,
            kecamatan=None,
            agencies="",
            phone=None,
            phone_masked=None,
            import_key=f"k{i}",
        )
        for i in range(offset, offset + n)
    ]


async def test_a_writer_waits_at_most_a_batch_while_a_big_file_imports(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.sqlite3"
    db = await connect(path)
    waits: list[float] = []
    stop = threading.Event()

    def dispatcher() -> None:  # stands in for the bot: short write transactions, over and over
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        n = 0
        while not stop.is_set():
            began = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            waits.append(time.monotonic() - began)
            n += 1
            conn.execute("INSERT INTO inbox (update_id, payload, received_at) VALUES (?, '{}', 0)", (n,))
            conn.execute("COMMIT")
            stop.wait(0.005)
        conn.close()

    thread = threading.Thread(target=dispatcher)
    thread.start()
    try:
        inserted, present = await import_calls(db, rows(ROWS))
    finally:
        stop.set()
        thread.join()
        await db.close()
    assert (inserted, present) == (ROWS, 0)
    assert len(waits) > 50 and max(waits) < 0.5, f"longest wait for the write lock {max(waits):.3f} s"


async def test_an_interrupted_import_completes_on_the_second_run(tmp_path: Path) -> None:
    db = await connect(tmp_path / "dispatch.sqlite3")
    try:
        assert await import_calls(db, rows(1_200)[:700], batch=500) == (700, 0)  # as if killed after 700
        assert await import_calls(db, rows(1_200), batch=500) == (500, 700)
        async with db.execute("SELECT COUNT(*), COUNT(DISTINCT import_key) FROM calls") as cur:
            assert tuple(await cur.fetchone() or ()) == (1_200, 1_200)
    finally:
        await db.close()
