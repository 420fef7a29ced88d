"""Assignments waiting on a deadline, and the guarded updates that take one escalation step exactly once."""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection


@dataclass(frozen=True, slots=True)
class Waiting:
    """An assignment of an open incident that may still escalate."""

    assignment_id: int
    incident_id: int
    agency: str
    state: str
    priority: int
    notified_at: float
    en_route_at: float | None
    escalation_level: int
    arrival_escalated: bool
    # Seconds the deadlines' bases were moved by wall clock steps (bot/clockwatch.py).
    ack_shift: float = 0.0
    arrive_shift: float = 0.0

    @property
    def ack_base(self) -> float:
        return self.notified_at + self.ack_shift


_WAITING = """
SELECT a.id, a.incident_id, a.agency, a.state, i.priority, a.notified_at, a.en_route_at,
       a.escalation_level, a.arrival_escalated, a.ack_shift, a.arrive_shift
FROM assignments a JOIN incidents i ON i.id = a.incident_id
WHERE i.state = 'open'
  AND ((a.state = 'notified' AND a.escalation_level < ?)
       OR (a.state = 'en_route' AND a.arrival_escalated = 0))
ORDER BY a.incident_id, a.id
"""


class EscalationRepo:
    def __init__(self, db: Connection) -> None:
        self.db = db

    async def waiting(self, top_level: int = 2) -> list[Waiting]:
        async with self.db.execute(_WAITING, (top_level,)) as c:
            rows = await c.fetchall()
        return [
            Waiting(
                r[0],
                r[1],
                r[2],
                r[3],
                int(r[4]),
                float(r[5]),
                r[6],
                int(r[7]),
                bool(r[8]),
                ack_shift=float(r[9]),
                arrive_shift=float(r[10]),
            )
            for r in rows
        ]

    async def take_level(self, assignment_id: int, level: int) -> bool:
        """Move from level-1 to level, only if still unacknowledged and nobody took this step before."""
        cur = await self.db.execute(
            "UPDATE assignments SET escalation_level = ?"
            " WHERE id = ? AND escalation_level = ? AND state = 'notified'",
            (level, assignment_id, level - 1),
        )
        return cur.rowcount == 1

    async def take_arrival(self, assignment_id: int) -> bool:
        cur = await self.db.execute(
            "UPDATE assignments SET arrival_escalated = 1"
            " WHERE id = ? AND arrival_escalated = 0 AND state = 'en_route'",
            (assignment_id,),
        )
        return cur.rowcount == 1

    async def level_of(self, assignment_id: int) -> int:
        async with self.db.execute(
            "SELECT escalation_level FROM assignments WHERE id = ?", (assignment_id,)
        ) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0
