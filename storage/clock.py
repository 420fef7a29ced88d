"""Moving what waits when the wall clock steps: pending outbox rows and escalation deadlines."""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection

_OPEN = "incident_id IN (SELECT id FROM incidents WHERE state = 'open')"
_ACK_WAITING = f"state = 'notified' AND escalation_level < 2 AND {_OPEN}"
_ARRIVE_WAITING = f"state = 'en_route' AND arrival_escalated = 0 AND {_OPEN}"


@dataclass(frozen=True, slots=True)
class Shifted:
    outbox: int
    deadlines: int


class ClockRepo:
    def __init__(self, db: Connection) -> None:
        self.db = db

    async def shift(self, seconds: float) -> Shifted:
        """Add `seconds` to every pending wait: retries (due_at), the radio's staleness reference
        (created_at of pending rows) and the bases of open escalation deadlines. The times people
        read (notified_at, en_route_at, events) stay as recorded."""
        cur = await self.db.execute(
            "UPDATE outbox SET due_at = due_at + ?, created_at = created_at + ? WHERE state = 'pending'",
            (seconds, seconds),
        )
        outbox = cur.rowcount
        cur = await self.db.execute(
            f"UPDATE assignments SET ack_shift = ack_shift + ? WHERE {_ACK_WAITING}", (seconds,)
        )
        deadlines = cur.rowcount
        cur = await self.db.execute(
            f"UPDATE assignments SET arrive_shift = arrive_shift + ? WHERE {_ARRIVE_WAITING}", (seconds,)
        )
        return Shifted(outbox, deadlines + cur.rowcount)

    async def clamp_deadlines(self, now: float) -> int:
        """Bound: no deadline's wait may start after now (it would then last longer than configured)."""
        cur = await self.db.execute(
            f"UPDATE assignments SET ack_shift = ? - notified_at WHERE notified_at + ack_shift > ? AND {_ACK_WAITING}",
            (now, now),
        )
        count = cur.rowcount
        cur = await self.db.execute(
            "UPDATE assignments SET arrive_shift = ? - en_route_at"
            f" WHERE en_route_at + arrive_shift > ? AND {_ARRIVE_WAITING}",
            (now, now),
        )
        return count + cur.rowcount

    async def latest_record(self) -> float | None:
        """The latest time this database has written: a wall clock now behind it was stepped back."""
        async with self.db.execute(
            "SELECT MAX(t) FROM (SELECT MAX(at) AS t FROM events UNION ALL SELECT MAX(created_at) FROM outbox"
            " UNION ALL SELECT MAX(received_at) FROM inbox) AS latest"
        ) as c:
            row = await c.fetchone()
        return None if row is None or row[0] is None else float(row[0])
