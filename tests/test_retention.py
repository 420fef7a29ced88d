"""Retention of the working tables (issue 15, item 14): the hot path's queries use indexes, and
handled updates and finished outbox rows older than [storage] keep_days are pruned in batches."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.app import DispatchApp
from bot.services.privacy import DAY
from bot.settings import Settings, StorageSettings
from routing.table import load_routing
from storage.escalation import EscalationRepo
from storage.uow import Store

NOW = 1_750_000_000.0
# A full scan of one of these tables grows with every day the bot runs.
GROWING = ("outbox", "inbox", "events", "incidents", "assignments", "calls")


def full_scans(db: sqlite3.Connection, statements: list[str]) -> list[tuple[str, str]]:
    """Plan steps that walk a whole growing table or index: a SCAN (allowed only over a partial
    index, whose rows are the few pending or open ones) or a rowid range."""
    partial = {
        name
        for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        if sql and " WHERE " in sql.upper()
    }
    bad = []
    for sql in statements:
        for row in db.execute("EXPLAIN QUERY PLAN " + sql):
            detail = str(row[3])
            words = detail.split()
            scanned = len(words) >= 2 and words[0] == "SCAN" and words[1] in GROWING
            index = words[words.index("INDEX") + 1] if "INDEX" in words else None
            ranged = "(rowid<" in detail or "(rowid>" in detail
            if (scanned and index not in partial) or ranged:
                bad.append((sql, detail))
    return bad


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN of the traced statements
async def test_hot_path_queries_use_an_index(tmp_path: Path) -> None:
    """The statements each dispatch, tap and delivery runs, as the repositories send them (traced),
    checked with EXPLAIN QUERY PLAN: none may walk a whole growing table."""
    store = await Store.open(tmp_path / "db.sqlite3")
    traced: list[str] = []
    raw = store.db._connection  # the sqlite3 connection under aiosqlite, for its trace hook
    assert raw is not None
    try:
        await store.db._execute(raw.set_trace_callback, traced.append)
        async with store.transaction(NOW, update_id=None) as tx:
            await tx.outbox.supersede("card", 1, 10, 3)
            await tx.outbox.heads("telegram")
            await tx.outbox.pending("mumble")
            await tx.outbox.max_id()
            await tx.outbox.end_backoff("telegram")
            await tx.inbox.unhandled()
            await tx.inbox.next_offset()
            await tx.inbox.is_handled(5)
            await tx.inbox.mark_handled(5)
            await tx.incidents.by_number(42)
            await tx.incidents.open_incidents()
            await tx.incidents.next_number(2025)
            await tx.assignments.for_incident(1)
            await tx.events.for_incident(1)
            await EscalationRepo(tx.db).waiting()
            await tx.outbox.heads_aging("telegram", NOW - 7, 3)
            await tx.outbox.first_new_cards("telegram", 3)
            await tx.outbox.begin_attempt_if_alone(1)
            await tx.outbox.get_many([1, 2])
            await tx.blocks.history("081234567890", NOW - 30 * DAY)  # every dispatch with a number
        await store.db._execute(raw.set_trace_callback, None)
    finally:
        await store.close()
    statements = [s for s in traced if s.split()[0].upper() in ("SELECT", "UPDATE", "DELETE")]
    assert len(statements) >= 15
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert full_scans(db, statements) == []


def test_keep_days_setting() -> None:
    assert StorageSettings().keep_days == 30
    assert Settings(storage={"keep_days": 7}).storage.keep_days == 7  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        StorageSettings(keep_days=0)


async def _fill(store: Store) -> None:
    old, recent = NOW - 40 * DAY, NOW - 2 * DAY
    db = store.db
    async with store.transaction(NOW):
        rows = [(1, old, old), (2, old, old), (3, old, None), (4, recent, recent), (5, old, old)]
        await db.executemany("INSERT INTO inbox VALUES (?, '{}', ?, ?)", rows)
        outbox = [(1, "sent", old), (2, "superseded", old), (3, "failed", old), (4, "pending", old),
                  (5, "sent", old), (6, "sent", recent), (7, "sent", old)]  # fmt: skip
        await db.executemany(
            "INSERT INTO outbox (id, channel, kind, target, priority, created_at, due_at, state)"
            " VALUES (?, 'telegram', 'text', '1', 0, ?, ?, ?)",
            [(i, at, at, state) for i, state, at in outbox],
        )
        await db.execute(
            "INSERT INTO events (at, kind, channel) VALUES (?, 'incident_created', 'telegram')", (old,)
        )


async def test_old_handled_updates_and_finished_rows_are_pruned_in_batches(db_target: str) -> None:
    from bot.services.retention import prune_old_rows

    store = await Store.open(db_target)
    app = DispatchApp(settings=Settings(), store=store, routing=load_routing(), clock=lambda: NOW)
    try:
        await _fill(store)
        # Ids 1-5 are in order of time, as they are in the bot; the newest row of each table stays
        # whatever its age (the inbox's gives getUpdates its offset).
        result = await prune_old_rows(app, batch=2)
        assert (result.inbox, result.outbox) == (2, 4)
        assert result.batches >= 4  # never more than 2 rows a transaction
        async with store.reading(NOW) as tx:
            async with tx.db.execute("SELECT update_id FROM inbox ORDER BY 1") as c:
                assert [r[0] for r in await c.fetchall()] == [3, 4, 5]  # unhandled, recent, newest
            async with tx.db.execute("SELECT id FROM outbox ORDER BY 1") as c:
                assert [r[0] for r in await c.fetchall()] == [4, 6, 7]  # pending, recent, newest
            assert await tx.inbox.next_offset() == 6
            async with tx.db.execute("SELECT kind, data FROM events ORDER BY id") as c:
                found = [(r[0], json.loads(r[1] or "{}").get("outbox")) for r in await c.fetchall()]
                assert found == [
                    ("incident_created", None),
                    ("rows_pruned", 4),
                ]
        again = await prune_old_rows(app, batch=2)
        assert (again.inbox, again.outbox) == (0, 0)
    finally:
        await store.close()


def test_the_prune_is_scheduled() -> None:
    from bot.compose import build_application, start_escalation_and_digests

    settings = Settings(telegram={"token": "123:abc"}, digest={"enabled": False},  # type: ignore[arg-type]
                        escalation={"enabled": False})  # type: ignore[arg-type]  # fmt: skip
    application = build_application(settings)
    app = DispatchApp(settings=settings, store=None, routing=load_routing(), clock=lambda: NOW)  # type: ignore[arg-type]
    start_escalation_and_digests(app, application)
    assert application.job_queue is not None
    names = {job.name for job in application.job_queue.jobs()}
    assert "hapus-baris-lama" in names
