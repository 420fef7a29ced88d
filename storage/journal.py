"""The audit trail (events) and the side effects waiting for delivery (outbox)."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from storage.records import EventRecord, OutboxRecord


class EventRepo:
    def __init__(self, db: aiosqlite.Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def add(
        self,
        kind: str,
        channel: str,
        *,
        actor_id: int | None = None,
        actor_name: str | None = None,
        incident_id: int | None = None,
        assignment_id: int | None = None,
        **data: Any,
    ) -> None:
        await self.db.execute(
            "INSERT INTO events (at, kind, channel, actor_id, actor_name, incident_id, assignment_id, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.now, kind, channel, actor_id, actor_name, incident_id, assignment_id,
             json.dumps(data, ensure_ascii=False)),
        )  # fmt: skip

    async def for_incident(self, incident_id: int) -> list[EventRecord]:
        async with self.db.execute(
            "SELECT * FROM events WHERE incident_id = ? ORDER BY id", (incident_id,)
        ) as c:
            return [EventRecord.from_row(r) for r in await c.fetchall()]


class OutboxRepo:
    def __init__(self, db: aiosqlite.Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def add(
        self,
        channel: str,
        kind: str,
        target: str | int,
        priority: int,
        payload: dict[str, Any] | None = None,
        *,
        incident_id: int | None = None,
        assignment_id: int | None = None,
        due_at: float | None = None,
    ) -> int:
        cur = await self.db.execute(
            "INSERT INTO outbox (channel, kind, target, priority, payload, incident_id, assignment_id,"
            " created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (channel, kind, str(target), priority, json.dumps(payload or {}, ensure_ascii=False),
             incident_id, assignment_id, self.now, self.now if due_at is None else due_at),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def pending(self, channel: str, limit: int = 500) -> list[OutboxRecord]:
        async with self.db.execute(
            "SELECT * FROM outbox WHERE state = 'pending' AND channel = ? ORDER BY priority, id LIMIT ?",
            (channel, limit),
        ) as c:
            return [OutboxRecord.from_row(r) for r in await c.fetchall()]

    async def heads(self, channel: str) -> list[OutboxRecord]:
        """The next row for each target, by (priority, id): however long one chat's backlog, every
        other chat still has its turn."""
        async with self.db.execute(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY target ORDER BY priority, id) AS turn"
            " FROM outbox WHERE state = 'pending' AND channel = ?) WHERE turn = 1 ORDER BY priority, id",
            (channel,),
        ) as c:
            return [OutboxRecord.from_row(r) for r in await c.fetchall()]

    async def begin_attempts(self, row_ids: list[int]) -> None:
        # Committed before the sends: after a crash, an attempt still open says "this may have gone out".
        # An attempt found open here was never concluded (a crash mid-send): from now on the row is in doubt.
        await self.db.executemany(
            "UPDATE outbox SET attempts = attempts + 1, maybe_sent = MAX(maybe_sent, attempt_open),"
            " attempt_open = 1 WHERE id = ?",
            [(i,) for i in row_ids],
        )

    async def sent(self, row_id: int, message_id: int | None) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?, attempt_open = 0 WHERE id = ?",
            (self.now, message_id, row_id),
        )

    async def retry(self, row_id: int, due_at: float, error: str, *, uncertain: bool = False) -> None:
        """The attempt is concluded: certainly not delivered, or (uncertain) perhaps delivered."""
        await self.db.execute(
            "UPDATE outbox SET due_at = ?, last_error = ?, attempt_open = 0, maybe_sent = MAX(maybe_sent, ?)"
            " WHERE id = ?",
            (due_at, error[:500], int(uncertain), row_id),
        )

    async def end_backoff(self, channel: str) -> None:
        """Rows waiting out a network failure become due now (rows told retry_after keep their time)."""
        await self.db.execute(
            "UPDATE outbox SET due_at = ? WHERE state = 'pending' AND channel = ? AND due_at > ?"
            " AND attempts > 0 AND last_error NOT LIKE '429%'",
            (self.now, channel, self.now),
        )

    async def failed(self, row_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?", (error[:500], row_id)
        )

    async def fold(self, row_id: int, note: str) -> None:
        """Replaced by a summary (a radio announcement that waited too long)."""
        await self.db.execute(
            "UPDATE outbox SET state = 'superseded', last_error = ? WHERE id = ?", (note[:500], row_id)
        )

    async def supersede(self, kind: str, assignment_id: int, up_to_id: int, except_id: int) -> None:
        """Pending renders of the same card made before this delivery read the state are now redundant."""
        await self.db.execute(
            "UPDATE outbox SET state = 'superseded' WHERE state = 'pending' AND kind = ? AND assignment_id = ?"
            " AND id <= ? AND id <> ?",
            (kind, assignment_id, up_to_id, except_id),
        )

    async def max_id(self) -> int:
        async with self.db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox") as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0
