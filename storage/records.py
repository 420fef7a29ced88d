"""Rows as the rest of the program sees them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    id: int
    year: int
    number: int
    category: str
    priority: int
    kelurahan: str | None
    kecamatan: str | None
    address: str
    description: str
    phone_masked: str | None
    lat: float | None
    lon: float | None
    state: str
    disposition: str | None
    state_reason: str | None
    call_taker_id: int
    call_taker_chat_id: int
    created_at: float
    ended_at: float | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> IncidentRecord:
        return cls(**{name: row[name] for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    id: int
    incident_id: int
    agency: str
    state: str
    token: str
    chat_id: int | None
    message_id: int | None
    notified_at: float
    acknowledged_at: float | None
    en_route_at: float | None
    on_scene_at: float | None
    cleared_at: float | None
    declined_at: float | None
    decline_reason: str | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> AssignmentRecord:
        return cls(**{name: row[name] for name in cls.__slots__})

    def at(self, state: str) -> float | None:
        value: float | None = getattr(self, f"{state}_at", None)
        return value


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: int
    channel: str
    kind: str
    target: str
    priority: int
    payload: dict[str, Any] = field(default_factory=dict)
    incident_id: int | None = None
    assignment_id: int | None = None
    created_at: float = 0.0
    due_at: float = 0.0
    attempts: int = 0
    # A previous attempt may have delivered this already (a timeout, or a crash mid-send).
    maybe_sent: bool = False

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> OutboxRecord:
        return cls(
            id=row["id"],
            channel=row["channel"],
            kind=row["kind"],
            target=row["target"],
            priority=row["priority"],
            payload=json.loads(row["payload"]),
            incident_id=row["incident_id"],
            assignment_id=row["assignment_id"],
            created_at=row["created_at"],
            due_at=row["due_at"],
            attempts=row["attempts"],
            maybe_sent=bool(row["maybe_sent"] or row["attempt_open"]),
        )


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    at: float
    kind: str
    channel: str
    actor_id: int | None
    actor_name: str | None
    incident_id: int | None
    assignment_id: int | None
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> EventRecord:
        values = {name: row[name] for name in cls.__slots__}
        values["data"] = json.loads(values["data"])
        return cls(**values)
