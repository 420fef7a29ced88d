"""Value types of the dispatch domain: priorities, states, agencies, categories, places."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Priority(IntEnum):
    """1 life or property at risk, 2 urgent, 3 service (DESIGN.md section 2)."""

    LIFE = 1
    URGENT = 2
    SERVICE = 3


class AssignmentState(StrEnum):
    """One agency on one incident."""

    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    CLEARED = "cleared"
    DECLINED = "declined"


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    HANDED_OFF = "handed_off"


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    name: str
    short: str


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    priority: Priority
    agencies: tuple[str, ...]
    """As written in the table: agency codes and local group names (``polsek``, ``puskesmas``)."""
    table3: int | None = None
    """Row number in the seed's Table 3, or None for a category the table does not list."""


@dataclass(frozen=True, slots=True)
class Kelurahan:
    name: str
    kecamatan: str


@dataclass(frozen=True, slots=True)
class Location:
    kelurahan: str | None
    kecamatan: str | None
    outside: bool
    """True for a neighbouring Kabupaten Blitar kecamatan (hand-off, no kelurahan)."""
