"""Writing validated import rows: in short transactions so a running bot is never held up, and
idempotent, so a second run (or the rerun of an interrupted one) adds only what is missing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import write


@dataclass(frozen=True, slots=True)
class ValidCallRow:
    at: float  # UTC epoch seconds
    type: str
    category: str | None
    kelurahan: str | None
    kecamatan: str | None
    agencies: str  # agency codes joined by ';'
    phone: str | None
    phone_masked: str | None
    import_key: str  # hash of the normalised row and its occurrence index in the file


@dataclass(frozen=True, slots=True)
class ValidTelephonyRow:
    month: str  # YYYY-MM
    incoming: int
    to_agent: int
    answered: int
    percentage: float


@dataclass(frozen=True, slots=True)
class TelephonyResult:
    inserted: int
    updated: int
    unchanged: int


# A batch of this many rows holds the write lock for about 4 ms; the pause between batches lets a
# dispatch waiting on the lock (SQLite's busy handler retries after 1, 2, 5, 10... ms) take its turn,
# and keeps the lock free most of the time (the import runs niced, so it can be descheduled while it
# holds the lock). 500 rows and 10 ms: a bot transaction waited p95 11.5 ms during an import; 200
# rows: 6 ms. A million rows now take about 2 minutes to write instead of 1: history is not urgent.
BATCH_ROWS = 200
PAUSE_BETWEEN_BATCHES = 0.02

_INSERT_CALL = """
INSERT OR IGNORE INTO calls
    (type, at, category, kelurahan, kecamatan, agencies, phone, phone_masked, source, import_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'import', ?)
"""


async def import_calls(db: aiosqlite.Connection, rows: Sequence[ValidCallRow], *,
                       batch: int = BATCH_ROWS) -> tuple[int, int]:  # fmt: skip
    """Insert the (already validated) rows in batches; returns (inserted, already present by import_key).

    A file with a bad row never reaches here (the caller validates every row first), so a file is still
    all or nothing as far as its content goes; a kill mid-import leaves whole batches, and running the
    same import again adds exactly the rest (import_key is unique)."""
    params = [
        (
            r.type,
            r.at,
            r.category,
            r.kelurahan,
            r.kecamatan,
            r.agencies,
            r.phone,
            r.phone_masked,
            r.import_key,
        )
        # In time order: the time indexes then grow at their ends instead of splitting pages everywhere.
        for r in sorted(rows, key=lambda r: r.at)
    ]
    inserted = 0
    for start in range(0, len(params), batch):
        if start:
            await asyncio.sleep(PAUSE_BETWEEN_BATCHES)
        async with write(db):
            before = db.total_changes
            await db.executemany(_INSERT_CALL, params[start : start + batch])
            inserted += db.total_changes - before
    return inserted, len(rows) - inserted


async def import_telephony(db: aiosqlite.Connection, rows: Sequence[ValidTelephonyRow]) -> TelephonyResult:
    """Upsert by month in one transaction, telling new, changed and identical months apart."""
    inserted = updated = unchanged = 0
    async with write(db):
        for r in rows:
            async with db.execute(
                "SELECT incoming, to_agent, answered, percentage FROM telephony_months WHERE month = ?",
                (r.month,),
            ) as cur:
                old = await cur.fetchone()
            new = (r.incoming, r.to_agent, r.answered, r.percentage)
            if old is not None and tuple(old) == new:
                unchanged += 1
                continue
            await db.execute(
                "INSERT INTO telephony_months (month, incoming, to_agent, answered, percentage)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(month) DO UPDATE SET incoming = excluded.incoming,"
                " to_agent = excluded.to_agent, answered = excluded.answered,"
                " percentage = excluded.percentage",
                (r.month, *new),
            )
            if old is None:
                inserted += 1
            else:
                updated += 1
    return TelephonyResult(inserted, updated, unchanged)
