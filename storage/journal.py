"""The audit trail (events) and the side effects waiting for delivery (outbox)."""

from __future__ import annotations

import json
from typing import Any

from storage.connection import Connection
from storage.records import EventRecord, OutboxRecord


class EventRepo:
    def __init__(self, db: Connection, now: float) -> None:
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
    def __init__(self, db: Connection, now: float) -> None:
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
            " FROM outbox WHERE state = 'pending' AND channel = ?) AS heads WHERE turn = 1 ORDER BY priority, id",
            (channel,),
        ) as c:
            return [OutboxRecord.from_row(r) for r in await c.fetchall()]

    async def begin_attempt_if_alone(self, row_id: int) -> bool:
        """Open the row's send attempt, only if no other row waits for its chat (a backlog, left by
        the process before a takeover or held back by a retry, goes first). Opened?"""
        cur = await self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, attempt_open = 1 WHERE id = ? AND attempt_open = 0"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS other WHERE other.state = 'pending'"
            " AND other.channel = outbox.channel AND other.target = outbox.target AND other.id <> outbox.id)",
            (row_id,),
        )
        return cur.rowcount == 1

    async def begin_attempts(self, row_ids: list[int]) -> None:
        # Committed before the sends: after a crash, an attempt still open says "this may have gone out".
        # An attempt found open here was never concluded (a crash mid-send): from now on the row is in doubt.
        await self.db.executemany(
            "UPDATE outbox SET attempts = attempts + 1, maybe_sent = MAX(maybe_sent, attempt_open),"
            " attempt_open = 1 WHERE id = ?",
            [(i,) for i in row_ids],
        )

    async def sent(self, row_id: int, message_id: int | None) -> None:
        # A sent row's payload (a text, a chart) is not needed again: cards are rendered from the
        # database. Blanked so what it said stays only in the chat, unless the row asked to be kept
        # ("keep": a message a later edit re-reads, such as a panic alert; it holds no full number).
        await self.db.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?, attempt_open = 0,"
            " payload = CASE WHEN json_extract(payload, '$.keep') = 1 THEN payload ELSE '{}' END WHERE id = ?",
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
        """Pending renders of the same card made before this delivery read the state are now redundant,
        except those that also edit another copy of the card (sent twice around a crash): that copy
        was not edited by this delivery."""
        await self.db.execute(
            "UPDATE outbox SET state = 'superseded' WHERE state = 'pending' AND kind = ? AND assignment_id = ?"
            " AND id <= ? AND id <> ? AND json_extract(payload, '$.also_message_id') IS NULL",
            (kind, assignment_id, up_to_id, except_id),
        )

    async def prune_batch(self, before: float, after_id: int, limit: int) -> tuple[int, int | None]:
        """Delete sent, superseded and failed rows created before `before`, walking `limit` rows in id
        order from after `after_id`. Pending rows stay whatever their age, and so does the newest row
        (its id bounds supersede's "made before"). Returns (deleted, where to go on, or None: done)."""
        async with self.db.execute(
            "SELECT id, created_at, state FROM outbox WHERE id > ? AND id < (SELECT MAX(id) FROM outbox)"
            " ORDER BY id LIMIT ?",
            (after_id, limit),
        ) as c:
            rows = list(await c.fetchall())
        gone = [(r[0],) for r in rows if r[2] != "pending" and r[1] < before]
        await self.db.executemany("DELETE FROM outbox WHERE id = ?", gone)
        done = len(rows) < limit or rows[-1][1] >= before  # ids follow creation time
        return len(gone), None if done else int(rows[-1][0])

    async def message_id(self, row_id: int) -> int | None:
        """The Telegram message a delivered row became (None while it is still pending)."""
        async with self.db.execute("SELECT message_id FROM outbox WHERE id = ?", (row_id,)) as c:
            row = await c.fetchone()
        return None if row is None or row[0] is None else int(row[0])

    async def in_flight(self, row_id: int) -> bool:
        """Pending with its send attempt open: the request is out, its result not recorded yet."""
        async with self.db.execute(
            "SELECT 1 FROM outbox WHERE id = ? AND state = 'pending' AND attempt_open = 1", (row_id,)
        ) as c:
            return await c.fetchone() is not None

    async def withdraw(self, row_id: int) -> None:
        """A message not yet sent that is no longer needed (a replaced Tolak prompt)."""
        await self.db.execute(
            "UPDATE outbox SET state = 'superseded', last_error = 'withdrawn' WHERE id = ? AND state = 'pending'",
            (row_id,),
        )

    async def get_many(self, row_ids: list[int]) -> list[OutboxRecord]:
        marks = ", ".join("?" * len(row_ids))
        async with self.db.execute(f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY id", row_ids) as c:
            return [OutboxRecord.from_row(r) for r in await c.fetchall()]

    async def max_id(self) -> int:
        async with self.db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox") as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def heads_aging(self, channel: str, older_than: float, by: int) -> list[OutboxRecord]:
        """Like heads, but an edit of a card (a 'card' row ranked more than `by` levels down, i.e.
        behind new cards) that has waited since before `older_than` counts `by` levels better: it
        cannot starve in a group kept at its limit by new cards. Nothing else moves."""
        async with self.db.execute(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY target ORDER BY priority - CASE"
            " WHEN kind = 'card' AND priority > ? AND created_at < ? THEN ? ELSE 0 END, id) AS turn"
            " FROM outbox WHERE state = 'pending' AND channel = ?) AS heads WHERE turn = 1 ORDER BY priority, id",
            (by, older_than, by, channel),
        ) as c:
            return [OutboxRecord.from_row(r) for r in await c.fetchall()]

    async def first_new_cards(self, channel: str, up_to_priority: int) -> dict[str, OutboxRecord]:
        """Per target, the first pending new card (a card or a re-post ranked `up_to_priority` or
        better, i.e. not an edit), by (priority, id)."""
        async with self.db.execute(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY target ORDER BY priority, id) AS turn"
            " FROM outbox WHERE state = 'pending' AND channel = ? AND kind IN ('card', 'card_repeat')"
            " AND priority <= ?) AS heads WHERE turn = 1",
            (channel, up_to_priority),
        ) as c:
            return {r["target"]: OutboxRecord.from_row(r) for r in await c.fetchall()}

    async def coalesce_cards(self, picked: list[tuple[int, int]]) -> int:
        """(row id, assignment id) of card renders about to be sent: every other pending render of the
        same card goes with them, since a card is rendered from the database at send time (after this
        commits), so it carries every change committed before. Rows that also edit an extra copy of
        the card keep their own turn. One statement (this is on the dispatch path). Returns how many
        were superseded."""
        if not picked:
            return 0
        rows = ", ".join("?" * len(picked))
        cur = await self.db.execute(
            "UPDATE outbox SET state = 'superseded', last_error = 'coalesced' WHERE state = 'pending'"
            f" AND kind = 'card' AND assignment_id IN ({rows}) AND id NOT IN ({rows})"
            " AND json_extract(payload, '$.also_message_id') IS NULL",
            [a for _, a in picked] + [r for r, _ in picked],
        )
        return max(cur.rowcount, 0)
