"""Blocked numbers, block proposals, and a number's recent call history."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.connection import Connection


@dataclass(frozen=True, slots=True)
class BlockRecord:
    id: int
    phone: str
    phone_masked: str
    level: int
    starts_at: float
    ends_at: float
    reason: str
    blocked_by: int | None
    blocked_by_name: str | None
    lifted_at: float | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> BlockRecord:
        return cls(**{name: row[name] for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    id: int
    phone: str
    phone_masked: str
    level: int
    audience: str
    token: str
    reason: str
    state: str
    created_at: float

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> ProposalRecord:
        return cls(**{name: row[name] for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class PhoneHistory:
    counts: dict[str, int]  # call type -> calls
    last_at: float | None


class BlockRepo:
    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def active(self, phone: str | None = None) -> list[BlockRecord]:
        sql = "SELECT * FROM blocks WHERE lifted_at IS NULL AND ends_at > ?"
        args: tuple[object, ...] = (self.now,)
        if phone is not None:
            sql += " AND phone = ?"
            args += (phone,)
        async with self.db.execute(sql + " ORDER BY starts_at", args) as c:
            return [BlockRecord.from_row(r) for r in await c.fetchall()]

    async def count_since(self, phone: str, since: float) -> int:
        """Blocks of this number started since `since`, lifted ones too: they set the ladder's step."""
        async with self.db.execute(
            "SELECT COUNT(*) FROM blocks WHERE phone = ? AND starts_at >= ?", (phone, since)
        ) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def add(self, phone: str, masked: str, level: int, ends_at: float, reason: str,
                  by_id: int | None, by_name: str | None) -> int:  # fmt: skip
        cur = await self.db.execute(
            "INSERT INTO blocks (phone, phone_masked, level, starts_at, ends_at, reason, blocked_by,"
            " blocked_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (phone, masked, level, self.now, ends_at, reason, by_id, by_name),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def lift(self, block_id: int, by_id: int, by_name: str, reason: str) -> bool:
        cur = await self.db.execute(
            "UPDATE blocks SET lifted_at = ?, lifted_by = ?, lifted_by_name = ?, lift_reason = ?"
            " WHERE id = ? AND lifted_at IS NULL",
            (self.now, by_id, by_name, reason, block_id),
        )
        return cur.rowcount == 1

    async def forget_phones(self, before: float) -> int:
        """Blocks and proposals over before the cutoff keep only the masked number."""
        cur = await self.db.execute(
            "UPDATE blocks SET phone = phone_masked WHERE phone <> phone_masked AND ends_at < ?", (before,)
        )
        done = max(cur.rowcount, 0)
        cur = await self.db.execute(
            "UPDATE block_proposals SET phone = phone_masked WHERE phone <> phone_masked AND created_at < ?",
            (before,),
        )
        return done + max(cur.rowcount, 0)

    # -- proposals ---------------------------------------------------------------------------

    async def pending_proposal(self, phone: str) -> ProposalRecord | None:
        async with self.db.execute(
            "SELECT * FROM block_proposals WHERE phone = ? AND state = 'pending' ORDER BY id DESC LIMIT 1",
            (phone,),
        ) as c:
            row = await c.fetchone()
        return ProposalRecord.from_row(row) if row else None

    async def propose(self, phone: str, masked: str, level: int, audience: str, token: str,
                      reason: str) -> int:  # fmt: skip
        cur = await self.db.execute(
            "INSERT INTO block_proposals (phone, phone_masked, level, audience, token, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (phone, masked, level, audience, token, reason, self.now),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def proposal(self, proposal_id: int) -> ProposalRecord | None:
        async with self.db.execute("SELECT * FROM block_proposals WHERE id = ?", (proposal_id,)) as c:
            row = await c.fetchone()
        return ProposalRecord.from_row(row) if row else None

    async def decide(self, proposal_id: int, state: str, by_id: int, by_name: str) -> bool:
        cur = await self.db.execute(
            "UPDATE block_proposals SET state = ?, decided_at = ?, decided_by = ?, decided_by_name = ?"
            " WHERE id = ? AND state = 'pending'",
            (state, self.now, by_id, by_name, proposal_id),
        )
        return cur.rowcount == 1

    # -- history -----------------------------------------------------------------------------

    async def history(self, phone: str, since: float) -> PhoneHistory:
        # Materialised first, so the planner reads the recent calls by calls_at: with GROUP BY type
        # in the same query it walked the whole calls_report index instead, every dispatch (15 ms
        # at 150,000 calls, ~100 ms at a million imported: a dispatch during an import-calls).
        async with self.db.execute(
            "WITH recent AS MATERIALIZED (SELECT type, at FROM calls WHERE phone = ? AND at >= ?)"
            " SELECT type, COUNT(*), MAX(at) FROM recent GROUP BY type",
            (phone, since),
        ) as c:
            rows = await c.fetchall()
        counts = {str(r[0]): int(r[1]) for r in rows}
        last = max((float(r[2]) for r in rows), default=None)
        return PhoneHistory(counts, last)
