"""The incident life cycle: open -> closed | cancelled | handed_off, and how its number is written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from routing.model import IncidentState

ENDINGS = frozenset({IncidentState.CLOSED, IncidentState.CANCELLED, IncidentState.HANDED_OFF})

LABELS: Mapping[IncidentState, str] = MappingProxyType(
    {
        IncidentState.OPEN: "Aktif",
        IncidentState.CLOSED: "Ditutup",
        IncidentState.CANCELLED: "Dibatalkan",
        IncidentState.HANDED_OFF: "Dialihkan ke 112 Kabupaten Blitar",
    }
)
_ENDED = {
    IncidentState.CLOSED: "Kejadian sudah ditutup.",
    IncidentState.CANCELLED: "Kejadian sudah dibatalkan.",
    IncidentState.HANDED_OFF: "Kejadian sudah dialihkan ke 112 Kabupaten Blitar.",
}
_NUMBER = re.compile(r"\s*(?:no\.?\s*|nomor\s*)?#?\s*(\d{1,9})\s*", re.IGNORECASE)


class IncidentRefused(Exception):
    """A change the incident's state does not allow; ``message`` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlreadyEnded(IncidentRefused):
    """The incident already has the requested ending (a repeated command)."""


def end(current: IncidentState, target: IncidentState) -> IncidentState:
    """Only an open incident can end, as closed, cancelled or handed off."""
    if target not in ENDINGS:
        raise IncidentRefused(f"Status akhir tidak valid: {LABELS[target]}.")
    if current == target:
        raise AlreadyEnded(_ENDED[target])
    if current != IncidentState.OPEN:
        raise IncidentRefused(_ENDED[current])
    return target


def is_open(state: IncidentState) -> bool:
    return state == IncidentState.OPEN


def format_number(number: int) -> str:
    """How cards, replies and radio posts write an incident number: "#42"."""
    return f"#{number}"


def parse_number(text: str) -> int | None:
    """ "#42", "42", "no 42", "nomor #42" -> 42; anything else -> None."""
    match = _NUMBER.fullmatch(text)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None
