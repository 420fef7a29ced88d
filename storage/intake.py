"""The Telegram update inbox, conversations in progress, and answered calls."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from storage.connection import Connection


class InboxRepo:
    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def store(self, updates: Iterable[tuple[int, dict[str, Any]]]) -> None:
        await self.db.executemany(
            "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
            [(uid, json.dumps(payload, ensure_ascii=False), self.now) for uid, payload in updates],
        )

    async def unhandled(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        async with self.db.execute(
            "SELECT update_id, payload FROM inbox WHERE handled_at IS NULL ORDER BY update_id LIMIT ?",
            (limit,),
        ) as c:
            return [(row[0], json.loads(row[1])) for row in await c.fetchall()]

    async def unhandled_since(self, limit: int = 100) -> list[tuple[int, dict[str, Any], float]]:
        """Like unhandled, with when each update was received (a tap carries no time of its own)."""
        async with self.db.execute(
            "SELECT update_id, payload, received_at FROM inbox WHERE handled_at IS NULL ORDER BY update_id LIMIT ?",
            (limit,),
        ) as c:
            return [(row[0], json.loads(row[1]), float(row[2])) for row in await c.fetchall()]

    async def is_handled(self, update_id: int) -> bool:
        async with self.db.execute("SELECT handled_at FROM inbox WHERE update_id = ?", (update_id,)) as c:
            row = await c.fetchone()
        return row is not None and row[0] is not None

    async def mark_handled(self, update_id: int) -> None:
        # The raw update (a caller's number in a /baru line) is not needed once handled: stripped in
        # the same transaction. The row stays, as the mark that stops the update running twice.
        await self.db.execute(
            "UPDATE inbox SET handled_at = ?, payload = '{}' WHERE update_id = ? AND handled_at IS NULL",
            (self.now, update_id),
        )

    async def prune_batch(self, before: float, after_id: int, limit: int) -> tuple[int, int | None]:
        """Delete handled updates received before `before`, walking `limit` rows in update order from
        after `after_id` (a key range: cheap however big the table). The newest row is kept: it gives
        getUpdates its offset. Returns (deleted, where to go on from, or None when done)."""
        async with self.db.execute(
            "SELECT update_id, received_at, handled_at IS NOT NULL FROM inbox WHERE update_id > ?"
            " AND update_id < (SELECT MAX(update_id) FROM inbox) ORDER BY update_id LIMIT ?",
            (after_id, limit),
        ) as c:
            rows = list(await c.fetchall())
        gone = [(r[0],) for r in rows if r[2] and r[1] < before]
        await self.db.executemany("DELETE FROM inbox WHERE update_id = ?", gone)
        done = len(rows) < limit or rows[-1][1] >= before  # rows come in order of arrival
        return len(gone), None if done else int(rows[-1][0])

    async def next_offset(self) -> int | None:
        async with self.db.execute("SELECT MAX(update_id) FROM inbox") as c:
            row = await c.fetchone()
        return None if row is None or row[0] is None else int(row[0]) + 1


class DraftRepo:
    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def get(self, user_id: int, chat_id: int) -> tuple[str, str, dict[str, Any]] | None:
        async with self.db.execute(
            "SELECT kind, step, data FROM drafts WHERE user_id = ? AND chat_id = ?", (user_id, chat_id)
        ) as c:
            row = await c.fetchone()
        return None if row is None else (row[0], row[1], json.loads(row[2]))

    async def put(self, user_id: int, chat_id: int, kind: str, step: str, data: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO drafts (user_id, chat_id, kind, step, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, chat_id) DO UPDATE SET kind = excluded.kind, step = excluded.step,"
            " data = excluded.data, updated_at = excluded.updated_at",
            (user_id, chat_id, kind, step, json.dumps(data, ensure_ascii=False), self.now),
        )

    async def delete(self, user_id: int, chat_id: int) -> None:
        await self.db.execute("DELETE FROM drafts WHERE user_id = ? AND chat_id = ?", (user_id, chat_id))

    async def forget_older(self, before: float) -> int:
        """Forms abandoned mid-call (they may hold a caller's number); nothing waits that long."""
        cur = await self.db.execute("DELETE FROM drafts WHERE updated_at < ?", (before,))
        return max(cur.rowcount, 0)

    async def delete_declines(self, assignment_id: int) -> None:
        """Every Tolak still waiting for its reason on this assignment: a later step makes them stale."""
        await self.db.execute(
            "DELETE FROM drafts WHERE kind = 'decline' AND json_extract(data, '$.assignment_id') = ?",
            (assignment_id,),
        )


class CallRepo:
    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def add(
        self,
        call_type: str,
        *,
        category: str | None = None,
        kelurahan: str | None = None,
        kecamatan: str | None = None,
        agencies: Iterable[str] = (),
        phone: str | None = None,
        phone_masked: str | None = None,
        note: str | None = None,
        call_taker_id: int | None = None,
        incident_id: int | None = None,
    ) -> int:
        cur = await self.db.execute(
            "INSERT INTO calls (type, at, category, kelurahan, kecamatan, agencies, phone, phone_masked, note,"
            " call_taker_id, incident_id, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bot')",
            (call_type, self.now, category, kelurahan, kecamatan, ";".join(agencies), phone, phone_masked, note,
             call_taker_id, incident_id),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def count_from_phone(self, phone: str, types: tuple[str, ...], since: float) -> int:
        marks = ",".join("?" * len(types))
        async with self.db.execute(
            f"SELECT COUNT(*) FROM calls WHERE phone = ? AND at >= ? AND type IN ({marks})",
            (phone, since, *types),
        ) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def forget_phones(self, before: float) -> int:
        cur = await self.db.execute(
            "UPDATE calls SET phone = NULL WHERE phone IS NOT NULL AND at < ?", (before,)
        )
        return max(cur.rowcount, 0)
