"""What the digest reads (grouped in SQL) and the record that makes each digest period go out once."""

from __future__ import annotations

from storage.connection import Connection
from storage.records import AssignmentRecord


class DigestRepo:
    def __init__(self, db: Connection) -> None:
        self.db = db

    async def calls_by_type(self, start: float, end: float) -> dict[str, int]:
        async with self.db.execute(
            "SELECT type, COUNT(*) FROM calls WHERE at >= ? AND at < ? GROUP BY type", (start, end)
        ) as c:
            return {str(r[0]): int(r[1]) for r in await c.fetchall()}

    async def incidents_by_place(self, start: float, end: float) -> dict[tuple[str, str | None], int]:
        """Incident calls (from the bot and imported history alike) per (category, kecamatan)."""
        async with self.db.execute(
            "SELECT COALESCE(category, '-'), kecamatan, COUNT(*) FROM calls"
            " WHERE at >= ? AND at < ? AND type = 'incident' GROUP BY 1, 2",
            (start, end),
        ) as c:
            return {(str(r[0]), r[1]): int(r[2]) for r in await c.fetchall()}

    async def assignments_notified(self, start: float, end: float) -> list[AssignmentRecord]:
        async with self.db.execute(
            "SELECT * FROM assignments WHERE notified_at >= ? AND notified_at < ? ORDER BY id", (start, end)
        ) as c:
            return [AssignmentRecord.from_row(r) for r in await c.fetchall()]

    async def repeat_numbers(
        self, start: float, end: float, at_least: int = 2, limit: int = 20
    ) -> list[tuple[str, int]]:
        """Prank/ghost callers seen at least `at_least` times: (masked phone, count), most first."""
        async with self.db.execute(
            "SELECT MAX(phone_masked), COUNT(*) AS n FROM calls"
            " WHERE at >= ? AND at < ? AND type IN ('prank', 'ghost')"
            " AND COALESCE(phone, phone_masked) IS NOT NULL"
            " GROUP BY COALESCE(phone, phone_masked) HAVING COUNT(*) >= ? ORDER BY n DESC, 1 LIMIT ?",
            (start, end, at_least, limit),
        ) as c:
            return [(str(r[0] or "-"), int(r[1])) for r in await c.fetchall()]

    async def status(self, period_key: str) -> str | None:
        async with self.db.execute("SELECT status FROM digests WHERE period_key = ?", (period_key,)) as c:
            row = await c.fetchone()
        return str(row[0]) if row else None

    async def any_recorded(self) -> bool:
        async with self.db.execute("SELECT 1 FROM digests LIMIT 1") as c:
            return await c.fetchone() is not None

    async def record(self, period_key: str, status: str, start: float, end: float, now: float) -> bool:
        """False when the period was recorded before (then nothing must be sent again)."""
        cur = await self.db.execute(
            "INSERT INTO digests (period_key, status, start_at, end_at, recorded_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (period_key) DO NOTHING",
            (period_key, status, start, end, now),
        )
        return cur.rowcount == 1
