"""Hand-offs to Kabupaten Blitar 112, and what the EIDD document needs beyond the incident row."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.connection import Connection


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    id: int
    incident_id: int
    token: str
    chat_id: int
    note: str | None
    state: str
    created_at: float
    escalation_level: int
    answered_at: float | None
    answered_by_name: str | None
    decline_reason: str | None
    actor_id: int | None
    actor_name: str | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> HandoffRecord:
        return cls(**{name: row[name] for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class ImportedFrom:
    document_id: str
    tracking_id: str
    source_agency: str


class HandoffRepo:
    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def add(self, incident_id: int, token: str, chat_id: int, note: str | None,
                  actor_id: int, actor_name: str) -> int:  # fmt: skip
        cur = await self.db.execute(
            "INSERT INTO handoffs (incident_id, token, chat_id, note, created_at, actor_id, actor_name)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (incident_id, token, chat_id, note, self.now, actor_id, actor_name),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, handoff_id: int) -> HandoffRecord | None:
        async with self.db.execute("SELECT * FROM handoffs WHERE id = ?", (handoff_id,)) as c:
            row = await c.fetchone()
        return HandoffRecord.from_row(row) if row else None

    async def for_incident(self, incident_id: int) -> list[HandoffRecord]:
        async with self.db.execute(
            "SELECT * FROM handoffs WHERE incident_id = ? ORDER BY id", (incident_id,)
        ) as c:
            return [HandoffRecord.from_row(r) for r in await c.fetchall()]

    async def pending(self) -> list[HandoffRecord]:
        async with self.db.execute(
            "SELECT h.* FROM handoffs h JOIN incidents i ON i.id = h.incident_id"
            " WHERE h.state = 'pending' AND i.state = 'open' AND h.escalation_level < 2 ORDER BY h.id"
        ) as c:
            return [HandoffRecord.from_row(r) for r in await c.fetchall()]

    async def answer(self, handoff_id: int, state: str, by_id: int, by_name: str,
                     reason: str | None = None) -> bool:  # fmt: skip
        cur = await self.db.execute(
            "UPDATE handoffs SET state = ?, answered_at = ?, answered_by = ?, answered_by_name = ?,"
            " decline_reason = ? WHERE id = ? AND state = 'pending'",
            (state, self.now, by_id, by_name, reason, handoff_id),
        )
        return cur.rowcount == 1

    async def take_level(self, handoff_id: int, level: int) -> bool:
        cur = await self.db.execute(
            "UPDATE handoffs SET escalation_level = ? WHERE id = ? AND escalation_level = ? AND state = 'pending'",
            (level, handoff_id, level - 1),
        )
        return cur.rowcount == 1

    async def forget_documents(self, before: float) -> int:
        """A delivered EIDD attachment carries the full number: its outbox copy goes with the retention."""
        cur = await self.db.execute(
            "UPDATE outbox SET payload = '{}' WHERE kind = 'document' AND state <> 'pending' AND payload <> '{}'"
            " AND created_at < ?",
            (before,),
        )
        return max(cur.rowcount, 0)

    # -- the EIDD document's extra facts --------------------------------------------------------

    async def incident_phone(self, incident_id: int) -> str | None:
        """The full callback number: it goes only into the document for the neighbouring 112."""
        async with self.db.execute("SELECT phone FROM incidents WHERE id = ?", (incident_id,)) as c:
            row = await c.fetchone()
        return str(row[0]) if row and row[0] else None

    async def imported_from(self, incident_id: int) -> ImportedFrom | None:
        async with self.db.execute(
            "SELECT document_id, tracking_id, source_agency FROM eidd_imports WHERE incident_id = ?",
            (incident_id,),
        ) as c:
            row = await c.fetchone()
        return ImportedFrom(str(row[0]), str(row[1]), str(row[2])) if row else None

    async def import_of(self, document_id: str) -> int | None:
        async with self.db.execute(
            "SELECT incident_id FROM eidd_imports WHERE document_id = ?", (document_id,)
        ) as c:
            row = await c.fetchone()
        return int(row[0]) if row else None

    async def record_import(self, document_id: str, tracking_id: str, source: str, incident_id: int) -> None:
        await self.db.execute(
            "INSERT INTO eidd_imports (document_id, tracking_id, source_agency, incident_id, imported_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (document_id, tracking_id, source, incident_id, self.now),
        )
