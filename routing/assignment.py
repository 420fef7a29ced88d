"""The assignment state machine: forward only, skipping ahead allowed, cleared and declined are final."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from routing.model import AssignmentState

NOTIFIED = AssignmentState.NOTIFIED
ACKNOWLEDGED = AssignmentState.ACKNOWLEDGED
EN_ROUTE = AssignmentState.EN_ROUTE
ON_SCENE = AssignmentState.ON_SCENE
CLEARED = AssignmentState.CLEARED
DECLINED = AssignmentState.DECLINED

ORDER = (NOTIFIED, ACKNOWLEDGED, EN_ROUTE, ON_SCENE, CLEARED)
FINAL = frozenset({CLEARED, DECLINED})
DECLINABLE = frozenset({NOTIFIED, ACKNOWLEDGED, EN_ROUTE})
"""States that still show the "Tolak" button (advance() accepts a decline from any non-final state)."""

LABELS: Mapping[AssignmentState, str] = MappingProxyType(
    {
        NOTIFIED: "Menunggu",
        ACKNOWLEDGED: "Diterima",
        EN_ROUTE: "Berangkat",
        ON_SCENE: "Tiba di lokasi",
        CLEARED: "Selesai",
        DECLINED: "Ditolak",
    }
)
BUTTONS: Mapping[AssignmentState, str] = MappingProxyType(
    {ACKNOWLEDGED: "Terima", EN_ROUTE: "Berangkat", ON_SCENE: "Tiba", CLEARED: "Selesai", DECLINED: "Tolak"}
)
VERBS: Mapping[AssignmentState, str] = MappingProxyType(
    {
        ACKNOWLEDGED: "menerima",
        EN_ROUTE: "berangkat ke",
        ON_SCENE: "tiba di lokasi",
        CLEARED: "menyelesaikan",
        DECLINED: "menolak",
    }
)
WORDS: Mapping[str, AssignmentState] = MappingProxyType(
    {
        "terima": ACKNOWLEDGED,
        "diterima": ACKNOWLEDGED,
        "berangkat": EN_ROUTE,
        "jalan": EN_ROUTE,
        "tiba": ON_SCENE,
        "sampai": ON_SCENE,
        "selesai": CLEARED,
        "tolak": DECLINED,
        "ditolak": DECLINED,
    }
)
"""Field words (buttons, ``!status 42 tiba``) -> the state they ask for."""


class TransitionRefused(Exception):
    """A tap or command that may not change the state; ``message`` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlreadyDone(TransitionRefused):
    """The target is the current state (a double tap): callers treat it as a no-op."""


def advance(current: AssignmentState, target: AssignmentState, reason: str | None = None) -> AssignmentState:
    """The next state, or TransitionRefused / AlreadyDone with an Indonesian message."""
    if target == current:
        raise AlreadyDone(f"Status sudah {LABELS[current]}.")
    if current == CLEARED:
        raise TransitionRefused("Tugas sudah selesai; status tidak bisa diubah lagi.")
    if current == DECLINED:
        raise TransitionRefused("Tugas sudah ditolak; status tidak bisa diubah lagi.")
    if target == DECLINED:
        if reason is None or not reason.strip():
            raise TransitionRefused("Alasan penolakan wajib diisi.")
        return DECLINED
    if ORDER.index(target) < ORDER.index(current):
        raise TransitionRefused(f"Status tidak bisa mundur: sudah {LABELS[current]}.")
    return target


def steps_ahead(state: AssignmentState) -> tuple[AssignmentState, ...]:
    """The buttons still to show, in order; "Tolak" only until the unit is on scene; none when final."""
    if state in FINAL:
        return ()
    ahead = ORDER[ORDER.index(state) + 1 :]
    return (*ahead, DECLINED) if state in DECLINABLE else ahead


def parse_step(word: str) -> AssignmentState | None:
    """ "Tiba", " selesai " -> the state; None for anything else."""
    return WORDS.get(word.strip().casefold())


def notice(agency_short: str, state: AssignmentState, number: int, reason: str | None = None) -> str:
    """The call taker's notice after a step: "Damkar menerima #42", "PLN menolak #7: alasan"."""
    text = f"{agency_short} {VERBS.get(state, LABELS[state].lower())} #{number}"
    return f"{text}: {reason.strip()}" if state == DECLINED and reason and reason.strip() else text
