"""Incidents and their assignments."""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection
from storage.records import AssignmentRecord, IncidentRecord


@dataclass(frozen=True, slots=True)
class NewIncident:
    year: int
    number: int
    category: str
    priority: int
    kelurahan: str | None
    kecamatan: str | None
    address: str
    description: str
    phone: str | None
    phone_masked: str | None
    lat: float | None
    lon: float | None
    state: str
    call_taker_id: int
    call_taker_chat_id: int
    created_at: float


class IncidentRepo:
    def __init__(self, db: Connection) -> None:
        self.db = db

    async def next_number(self, year: int) -> int:
        async with self.db.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE year = ?", (year,)
        ) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 1

    async def add(self, new: NewIncident) -> int:
        return (await self.create(new)).id

    async def create(self, new: NewIncident) -> IncidentRecord:
        """Insert and read back in one statement (on the dispatch path every round trip counts)."""
        async with self.db.execute(
            "INSERT INTO incidents (year, number, category, priority, kelurahan, kecamatan, address, description,"
            " phone, phone_masked, lat, lon, state, call_taker_id, call_taker_chat_id, created_at, ended_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                new.year, new.number, new.category, new.priority, new.kelurahan, new.kecamatan, new.address,
                new.description, new.phone, new.phone_masked, new.lat, new.lon, new.state, new.call_taker_id,
                new.call_taker_chat_id, new.created_at, None if new.state == "open" else new.created_at,
            ),
        ) as c:  # fmt: skip
            row = await c.fetchone()
        assert row is not None
        return IncidentRecord.from_row(row)

    async def get(self, incident_id: int) -> IncidentRecord | None:
        async with self.db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)) as c:
            row = await c.fetchone()
        return IncidentRecord.from_row(row) if row else None

    async def by_number(self, number: int) -> IncidentRecord | None:
        # Numbers restart each year: an open incident wins over an older closed one with the same number.
        async with self.db.execute(
            "SELECT * FROM incidents WHERE number = ? ORDER BY state = 'open' DESC, year DESC LIMIT 1",
            (number,),
        ) as c:
            row = await c.fetchone()
        return IncidentRecord.from_row(row) if row else None

    async def open_incidents(self) -> list[IncidentRecord]:
        async with self.db.execute("SELECT * FROM incidents WHERE state = 'open' ORDER BY created_at") as c:
            return [IncidentRecord.from_row(r) for r in await c.fetchall()]

    async def end(
        self, incident_id: int, state: str, at: float, disposition: str | None, reason: str | None
    ) -> None:
        await self.db.execute(
            "UPDATE incidents SET state = ?, ended_at = ?, disposition = ?, state_reason = ? WHERE id = ?",
            (state, at, disposition, reason, incident_id),
        )

    async def forget_phones(self, before: float) -> int:
        cur = await self.db.execute(
            "UPDATE incidents SET phone = NULL WHERE phone IS NOT NULL AND created_at < ?", (before,)
        )
        return max(cur.rowcount, 0)


class AssignmentRepo:
    def __init__(self, db: Connection) -> None:
        self.db = db

    async def add(self, incident_id: int, agency: str, token: str, chat_id: int | None, at: float) -> int:
        return (await self.create(incident_id, agency, token, chat_id, at)).id

    async def create(self, incident_id: int, agency: str, token: str, chat_id: int | None,
                     at: float) -> AssignmentRecord:  # fmt: skip
        async with self.db.execute(
            "INSERT INTO assignments (incident_id, agency, token, chat_id, notified_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING *",
            (incident_id, agency, token, chat_id, at),
        ) as c:
            row = await c.fetchone()
        assert row is not None
        return AssignmentRecord.from_row(row)

    async def get(self, assignment_id: int) -> AssignmentRecord | None:
        async with self.db.execute("SELECT * FROM assignments WHERE id = ?", (assignment_id,)) as c:
            row = await c.fetchone()
        return AssignmentRecord.from_row(row) if row else None

    async def for_incident(self, incident_id: int) -> list[AssignmentRecord]:
        async with self.db.execute(
            "SELECT * FROM assignments WHERE incident_id = ? ORDER BY id", (incident_id,)
        ) as c:
            return [AssignmentRecord.from_row(r) for r in await c.fetchall()]

    async def find(self, incident_id: int, agency: str) -> AssignmentRecord | None:
        async with self.db.execute(
            "SELECT * FROM assignments WHERE incident_id = ? AND agency = ?", (incident_id, agency)
        ) as c:
            row = await c.fetchone()
        return AssignmentRecord.from_row(row) if row else None

    async def move(self, assignment_id: int, state: str, at: float, reason: str | None = None) -> None:
        # The column name comes from the closed set of states checked by the schema, never from input.
        column = {"acknowledged": "acknowledged_at", "en_route": "en_route_at", "on_scene": "on_scene_at",
                  "cleared": "cleared_at", "declined": "declined_at"}[state]  # fmt: skip
        await self.db.execute(
            f"UPDATE assignments SET state = ?, {column} = ?,"
            " decline_reason = COALESCE(?, decline_reason) WHERE id = ?",
            (state, at, reason, assignment_id),
        )

    async def set_card(self, assignment_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE assignments SET message_id = ? WHERE id = ?", (message_id, assignment_id)
        )
