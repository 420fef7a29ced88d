"""Full caller numbers live only in incidents.phone and calls.phone, and the purge removes them
from every byte of the database files (issue 15, item 13).

A real dispatch path (python run.py against the fake Bot API) fills the inbox, the outbox, the audit
events and a form draft; the purge then runs in process with the clock moved past the retention."""

from __future__ import annotations

import time
from pathlib import Path

from bot.app import DispatchApp
from bot.services.privacy import DAY, purge_personal_data
from bot.settings import Settings
from routing.table import load_routing
from storage.uow import Store
from tests.botapi.model import SentMessage
from tests.dbread import on_postgres, rows
from tests.e2e import BPBD, CALL_TAKER, DAMKAR, World
from tests.test_e2e_commands import press

ONE_LINE, REFUSED, GUIDED, ABANDONED = "081277770001", "081277770002", "081277770003", "081277770004"
NUMBERS = (ONE_LINE, REFUSED, GUIDED, ABANDONED)
OWN_COLUMNS = {("incidents", "phone"), ("calls", "phone")}


def holders(db: Path | str, number: str) -> set[tuple[str, str]]:
    """Every (table, column) with a value containing the number, on either backend."""
    if on_postgres():
        listed = rows(db, "SELECT table_name, column_name FROM information_schema.columns"
                          " WHERE table_schema = current_schema()")  # fmt: skip
    else:
        listed = [(t, c[1]) for (t,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
                  for c in rows(db, f"PRAGMA table_info({t})")]  # fmt: skip
    columns: dict[str, list[str]] = {}
    for table, column in listed:
        columns.setdefault(str(table), []).append(str(column))
    found: set[tuple[str, str]] = set()
    for table, names in columns.items():
        # One query a table: a match count for each column.
        counts = ", ".join(f'SUM(CASE WHEN CAST("{c}" AS TEXT) LIKE ? THEN 1 ELSE 0 END)' for c in names)
        (hits,) = rows(db, f'SELECT {counts} FROM "{table}"', *[f"%{number}%"] * len(names))
        found |= {(table, c) for c, n in zip(names, hits, strict=True) if n}
    return found


def file_bytes(db: Path) -> dict[str, bytes]:
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return {p.name: p.read_bytes() for p in files if p.exists()}


async def nth(world: World, text: str, n: int) -> SentMessage:
    """The n-th message (1-based) to the call taker containing text, once it is there."""
    api = world.api

    def found() -> SentMessage | None:
        hits = [m for m in api.messages_in(CALL_TAKER) if text in m.current_text]
        return hits[n - 1] if len(hits) >= n else None

    return await api.wait_for(found)


async def guided_until_phone(world: World, number: str, n: int) -> None:
    api, me = world.api, world.call_taker
    api.send_text(me, me, "/baru")
    press(world, await nth(world, "pilih kategori", n), "Pohon Tumbang")
    press(world, await nth(world, "Pilih kecamatan", n), "Sananwetan")
    press(world, await nth(world, "pilih kelurahan", n), "Bendogerit")
    await nth(world, "alamat", n)
    api.send_text(me, me, f"Jl. Merdeka {n}")
    await nth(world, "nomor telepon", n)
    api.send_text(me, me, number)
    await nth(world, "keterangan", n)


async def test_only_the_own_columns_hold_full_numbers_and_the_purge_removes_every_byte(world: World) -> None:
    api, me = world.api, world.call_taker
    api.send_text(me, me, f"/baru kebakaran | Sentul | Jl. Kenari 17 | {ONE_LINE} | Rumah terbakar")
    await api.wait_message(DAMKAR, "0812****0001")
    api.send_text(me, me, f"/baru kebakaran | Atlantis | Jl. Laut 1 | {REFUSED} | Rumah terbakar")
    await api.wait_message(CALL_TAKER, "Atlantis")
    await guided_until_phone(world, GUIDED, 1)
    api.send_text(me, me, "Pohon besar menutup jalan")
    await api.wait_message(CALL_TAKER, "lokasi (pin)")
    api.send_text(me, me, "-")
    summary = await api.wait_message(CALL_TAKER, "Periksa lalu kirim")
    assert GUIDED not in summary.text and "0812****0003" in summary.text  # masked in the chat too
    press(world, summary, "✅ Kirim")
    await api.wait_message(BPBD, "0812****0003")
    await guided_until_phone(world, ABANDONED, 2)  # the call ends here: the form is left as it is

    def settled() -> bool:
        (pending,) = world.rows(
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND channel = 'telegram'"
        )
        (unhandled,) = world.rows("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
        return pending[0] == 0 and unhandled[0] == 0

    await api.wait_for(settled, timeout=20)
    assert await world.bot.stop() == 0

    assert holders(world.db, ONE_LINE) == OWN_COLUMNS
    assert holders(world.db, GUIDED) == OWN_COLUMNS
    assert holders(world.db, REFUSED) == set()
    assert holders(world.db, ABANDONED) == {("drafts", "data")}  # the form still in progress, for now

    store = await Store.open(world.db)
    app = DispatchApp(settings=Settings(), store=store, routing=load_routing(),
                      clock=lambda: time.time() + 91 * DAY)  # fmt: skip
    try:
        await purge_personal_data(app)
        for number in NUMBERS:
            assert holders(world.db, number) == set(), number
        if on_postgres():
            return  # the rest is about the SQLite file's bytes (free pages, the -wal file)
        assert isinstance(world.db, Path)
        open_files = file_bytes(world.db)
        assert f"{world.db.name}-wal" in open_files  # still open: the WAL is there and was checked
    finally:
        await store.close()
    for files in (open_files, file_bytes(world.db)):
        for name, data in files.items():
            for number in NUMBERS:
                assert number.encode() not in data, (name, number)
