"""The incident document for the neighbouring 112, shaped after NENA's Emergency Incident Data
Document (EIDD, NENA-STA-021): a JSON subset with the same parts (header, incident with its tracking
id, location, call with the callback number, notes, agencies and their dispositions).

Building and parsing only (no I/O). The full callback number is in this document and nowhere else
outside the database: the neighbouring 112 needs it to call back. README documents every field.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from bot.app import DispatchApp
from storage.handoffs import ImportedFrom
from storage.records import AssignmentRecord, IncidentRecord

VERSION = "NENA-STA-021-subset/112-blitar-1"
AGENCY_ID = "112.kota-blitar"
AGENCY_NAME = "Call Center 112 Kota Blitar"
MAX_BYTES = 256 * 1024
States = Literal["open", "closed", "cancelled", "handed_off"]
Dispositions = Literal["notified", "acknowledged", "en_route", "on_scene", "cleared", "declined"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class Sender(_Part):
    agency_id: str = Field(min_length=1, max_length=100)
    agency_name: str = Field(min_length=1, max_length=200)


class Incident(_Part):
    tracking_id: str = Field(min_length=1, max_length=200)
    local_id: str = Field(min_length=1, max_length=100)
    type: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    type_name: str | None = Field(default=None, max_length=200)
    priority: int = Field(ge=1, le=3)
    status: States
    disposition: str | None = Field(default=None, max_length=100)
    created_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class Location(_Part):
    kelurahan: str | None = Field(default=None, max_length=100)
    kecamatan: str | None = Field(default=None, max_length=100)
    address: str = Field(min_length=1, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    within_city: bool


class CallInfo(_Part):
    received_at: AwareDatetime
    callback_number: str | None = Field(default=None, max_length=20, pattern=r"^\+?[0-9]{6,15}$")
    call_taker: str | None = Field(default=None, max_length=100)


class Note(_Part):
    at: AwareDatetime
    author: str | None = Field(default=None, max_length=100)
    text: str = Field(min_length=1, max_length=1000)


class Agency(_Part):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    disposition: Dispositions
    notified_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    en_route_at: AwareDatetime | None = None
    on_scene_at: AwareDatetime | None = None
    cleared_at: AwareDatetime | None = None
    declined_at: AwareDatetime | None = None
    decline_reason: str | None = Field(default=None, max_length=300)


class Eidd(_Part):
    eidd_version: str = Field(pattern=r"^NENA-STA-021")
    document_id: str = Field(min_length=1, max_length=200)
    sent_at: AwareDatetime
    sender: Sender
    incident: Incident
    location: Location
    call: CallInfo
    notes: list[Note] = Field(min_length=1, max_length=50)
    agencies: list[Agency] = Field(default=[], max_length=50)


class EiddRefused(Exception):
    """A document we cannot take; `message` is Indonesian and names what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def tracking_id(incident: IncidentRecord) -> str:
    return f"urn:{AGENCY_ID}:incident:{incident.year}-{incident.number}"


def build(app: DispatchApp, incident: IncidentRecord, assignments: list[AssignmentRecord],
          phone: str | None, notes: list[tuple[float, str | None, str]], now: float,
          imported: ImportedFrom | None = None, call_taker: str | None = None) -> Eidd:  # fmt: skip
    def at(ts: float | None) -> datetime | None:
        return None if ts is None else app.local(ts)

    category = app.routing.categories.get(incident.category)
    return Eidd(
        eidd_version=VERSION,
        document_id=f"urn:uuid:{uuid.uuid4()}",
        sent_at=app.local(now),
        sender=Sender(agency_id=AGENCY_ID, agency_name=AGENCY_NAME),
        incident=Incident(
            tracking_id=imported.tracking_id if imported else tracking_id(incident),
            local_id=f"{incident.year}-{incident.number}",
            type=incident.category,
            type_name=category.name if category else None,
            priority=incident.priority,
            status=incident.state,  # type: ignore[arg-type]
            disposition=incident.disposition,
            created_at=app.local(incident.created_at),
            ended_at=at(incident.ended_at),
        ),
        location=Location(
            kelurahan=incident.kelurahan,
            kecamatan=incident.kecamatan,
            address=incident.address,
            latitude=incident.lat,
            longitude=incident.lon,
            within_city=incident.kecamatan in app.routing.kecamatan,
        ),
        call=CallInfo(
            received_at=app.local(incident.created_at), callback_number=phone, call_taker=call_taker
        ),
        notes=[Note(at=app.local(t), author=who, text=text[:1000]) for t, who, text in notes],
        agencies=[
            Agency(
                code=a.agency,
                name=app.routing.agency_short(a.agency),
                disposition=a.state,  # type: ignore[arg-type]
                notified_at=app.local(a.notified_at),
                acknowledged_at=at(a.acknowledged_at),
                en_route_at=at(a.en_route_at),
                on_scene_at=at(a.on_scene_at),
                cleared_at=at(a.cleared_at),
                declined_at=at(a.declined_at),
                decline_reason=a.decline_reason,
            )
            for a in assignments
        ],
    )


def dump(document: Eidd) -> bytes:
    return (document.model_dump_json(by_alias=True, indent=2) + "\n").encode("utf-8")


def parse(data: bytes) -> Eidd:
    """Validate a received document; EiddRefused with a clear Indonesian reason otherwise."""
    if len(data) > MAX_BYTES:
        raise EiddRefused(f"Dokumen terlalu besar ({len(data)} byte; maksimal {MAX_BYTES}).")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EiddRefused("Berkas bukan JSON UTF-8 yang sah; kirim dokumen EIDD (.json).") from None
    if not isinstance(raw, dict):
        raise EiddRefused("Dokumen EIDD harus berupa objek JSON.")
    try:
        return Eidd.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in error["loc"]) or "dokumen"
            problems.append(f"{where}: {_problem(error['type'], error['msg'])}")
        more = f" (+{exc.error_count() - 5} lagi)" if exc.error_count() > 5 else ""
        raise EiddRefused("Dokumen EIDD ditolak: " + "; ".join(problems) + more) from None


def _problem(kind: str, message: str) -> str:
    known = {
        "missing": "wajib ada",
        "extra_forbidden": "kolom tidak dikenal",
        "string_pattern_mismatch": "bentuknya tidak sah",
        "string_too_long": "terlalu panjang",
        "string_too_short": "kosong",
        "timezone_aware": "waktu harus dengan zona (mis. +07:00)",
        "literal_error": "nilai tidak dikenal",
        "greater_than_equal": "di luar batas",
        "less_than_equal": "di luar batas",
        "too_short": "kosong",
        "too_long": "terlalu banyak",
    }
    return known.get(kind, message)
