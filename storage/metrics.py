"""What /metrics and /healthz read from the database: queue depths, escalations, first-card latency."""

from __future__ import annotations

import json

from storage.connection import Connection


class MetricsRepo:
    def __init__(self, db: Connection) -> None:
        self.db = db

    async def ping(self) -> None:
        async with self.db.execute("SELECT 1") as c:
            await c.fetchone()

    async def outbox_pending(self) -> list[tuple[str, str, int, float]]:
        """(channel, kind, rows waiting, created_at of the oldest) per kind with anything pending."""
        async with self.db.execute(
            "SELECT channel, kind, COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'"
            " GROUP BY channel, kind ORDER BY channel, kind"
        ) as c:
            return [(str(r[0]), str(r[1]), int(r[2]), float(r[3])) for r in await c.fetchall()]

    async def outbox_failed(self) -> int:
        async with self.db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'failed'") as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def escalations(self) -> dict[str, int]:
        """Escalation steps ever fired, by stage (repeat, alert, arrive): events are never pruned."""
        async with self.db.execute("SELECT data FROM events WHERE kind = 'escalated'") as c:
            rows = await c.fetchall()
        found: dict[str, int] = {}
        for (data,) in rows:
            stage = str(json.loads(data).get("stage", "?"))
            found[stage] = found.get(stage, 0) + 1
        return found

    async def first_cards_since(self, since: float) -> list[tuple[int, float, float]]:
        """(assignment id, when its first card was accepted by Telegram, seconds from the incident stored
        to then) for each assignment whose FIRST card went out after `since`."""
        async with self.db.execute(
            "SELECT o.assignment_id, MIN(o.sent_at), MIN(o.sent_at) - MIN(i.created_at) FROM outbox o"
            " JOIN incidents i ON i.id = o.incident_id"
            " WHERE o.kind = 'card' AND o.state = 'sent' AND o.sent_at > ? AND NOT EXISTS ("
            "   SELECT 1 FROM outbox p WHERE p.assignment_id = o.assignment_id AND p.kind = 'card'"
            "   AND p.state = 'sent' AND p.sent_at <= ?)"
            # i.created_at is one value per assignment; PostgreSQL wants it named in the GROUP BY.
            " GROUP BY o.assignment_id, i.created_at ORDER BY 2",
            (since, since),
        ) as c:
            return [(int(r[0]), float(r[1]), max(float(r[2]), 0.0)) for r in await c.fetchall()]
