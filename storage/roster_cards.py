"""The roster's SQL on a group's cards and outbox rows: moved on an upgrade, phoned when unreachable."""

from __future__ import annotations

from storage.connection import Connection


class GroupCardsSql:
    db: Connection
    now: float

    # -- cards and outbox rows of a group -----------------------------------------------------

    async def retarget_pending(self, old_chat: int, new_chat: int) -> int:
        """Rows waiting for the old chat go to the new one now; a 400 on migration means nothing arrived."""
        cur = await self.db.execute(
            "UPDATE outbox SET target = ?, due_at = ?, attempts = 0 WHERE state = 'pending' AND channel = 'telegram'"
            " AND target = ?",
            (str(new_chat), self.now, str(old_chat)),
        )
        return cur.rowcount

    async def move_assignments(self, old_chat: int, new_chat: int) -> None:
        await self.db.execute(
            "UPDATE assignments SET chat_id = ?, message_id = NULL WHERE chat_id = ?", (new_chat, old_chat)
        )

    async def pending_for_chat(self, chat_id: int) -> list[tuple[int, str, int | None, int | None]]:
        async with self.db.execute(
            "SELECT id, kind, incident_id, assignment_id FROM outbox WHERE state = 'pending'"
            " AND channel = 'telegram' AND target = ? ORDER BY id",
            (str(chat_id),),
        ) as c:
            return [(int(r[0]), str(r[1]), r[2], r[3]) for r in await c.fetchall()]

    async def redirect(self, row_id: int, targets: list[int]) -> None:
        """A copy of the row for each target (due now), the original superseded: nothing is lost."""
        for target in targets:
            await self.db.execute(
                "INSERT INTO outbox (channel, kind, target, priority, payload, incident_id, assignment_id,"
                " created_at, due_at) SELECT channel, kind, ?, priority, payload, incident_id, assignment_id, ?, ?"
                " FROM outbox WHERE id = ?",
                (str(target), self.now, self.now, row_id),
            )
        await self.db.execute(
            "UPDATE outbox SET state = 'superseded', last_error = 'redirected' WHERE id = ? AND state = 'pending'",
            (row_id,),
        )

    async def drop_pending(self, row_ids: list[int], note: str) -> None:
        await self.db.executemany(
            "UPDATE outbox SET state = 'superseded', last_error = ? WHERE id = ? AND state = 'pending'",
            [(note, i) for i in row_ids],
        )

    async def open_assignments(self, agency: str) -> list[int]:
        """Assignments of open incidents the agency still has to act on (their cards must be in its group)."""
        async with self.db.execute(
            "SELECT a.id FROM assignments a JOIN incidents i ON i.id = a.incident_id WHERE a.agency = ?"
            " AND i.state = 'open' AND a.state NOT IN ('cleared', 'declined') ORDER BY a.id",
            (agency,),
        ) as c:
            return [int(r[0]) for r in await c.fetchall()]

    async def detach_agency(self, agency: str) -> None:
        """Unreachable: its open assignments go by phone (escalation phones instead of re-posting)."""
        await self.db.execute(
            "UPDATE assignments SET chat_id = NULL, message_id = NULL WHERE agency = ? AND state NOT IN"
            " ('cleared', 'declined') AND incident_id IN (SELECT id FROM incidents WHERE state = 'open')",
            (agency,),
        )

    async def attach(self, assignment_id: int, chat_id: int) -> None:
        await self.db.execute(
            "UPDATE assignments SET chat_id = ?, message_id = NULL WHERE id = ?", (chat_id, assignment_id)
        )

    async def has_pending_card(self, assignment_id: int) -> bool:
        async with self.db.execute(
            "SELECT 1 FROM outbox WHERE state = 'pending' AND assignment_id = ? AND kind IN ('card', 'card_repeat')",
            (assignment_id,),
        ) as c:
            return await c.fetchone() is not None

    async def last_card_sent(self) -> dict[str, float]:
        async with self.db.execute(
            "SELECT a.agency, MAX(o.sent_at) FROM outbox o JOIN assignments a ON a.id = o.assignment_id"
            " WHERE o.state = 'sent' AND o.kind IN ('card', 'card_repeat') GROUP BY a.agency"
        ) as c:
            return {str(r[0]): float(r[1]) for r in await c.fetchall() if r[1] is not None}
