"""Assignment and incident state machines."""

from __future__ import annotations

import pytest

from routing.assignment import (
    BUTTONS,
    LABELS,
    ORDER,
    VERBS,
    AlreadyDone,
    TransitionRefused,
    advance,
    notice,
    parse_step,
    steps_ahead,
)
from routing.incident import AlreadyEnded, IncidentRefused, end, format_number, parse_number
from routing.model import AssignmentState as A
from routing.model import IncidentState as I


def test_forward_one_step_at_a_time() -> None:
    state = A.NOTIFIED
    for target in ORDER[1:]:
        state = advance(state, target)
        assert state is target


def test_skip_ahead() -> None:
    assert advance(A.NOTIFIED, A.ON_SCENE) is A.ON_SCENE
    assert advance(A.ACKNOWLEDGED, A.CLEARED) is A.CLEARED


def test_no_going_back() -> None:
    with pytest.raises(TransitionRefused) as caught:
        advance(A.ON_SCENE, A.EN_ROUTE)
    assert caught.value.message == "Status tidak bisa mundur: sudah Tiba di lokasi."
    assert not isinstance(caught.value, AlreadyDone)
    with pytest.raises(TransitionRefused):
        advance(A.ACKNOWLEDGED, A.NOTIFIED)


@pytest.mark.parametrize("final", [A.CLEARED, A.DECLINED])
@pytest.mark.parametrize("target", [A.ACKNOWLEDGED, A.ON_SCENE])
def test_final_states(final: A, target: A) -> None:
    with pytest.raises(TransitionRefused) as caught:
        advance(final, target, reason="x")
    assert not isinstance(caught.value, AlreadyDone)
    assert steps_ahead(final) == ()


def test_cleared_cannot_be_declined() -> None:
    with pytest.raises(TransitionRefused):
        advance(A.CLEARED, A.DECLINED, reason="terlambat")


@pytest.mark.parametrize("state", list(A))
def test_double_tap_is_already_done(state: A) -> None:
    with pytest.raises(AlreadyDone) as caught:
        advance(state, state, reason="x")
    assert LABELS[state] in caught.value.message


def test_decline_needs_reason() -> None:
    for reason in (None, "", "   "):
        with pytest.raises(TransitionRefused) as caught:
            advance(A.NOTIFIED, A.DECLINED, reason)
        assert caught.value.message == "Alasan penolakan wajib diisi."
    assert advance(A.NOTIFIED, A.DECLINED, "armada sedang dipakai") is A.DECLINED
    assert advance(A.ON_SCENE, A.DECLINED, "bukan wewenang kami") is A.DECLINED


def test_steps_ahead() -> None:
    assert steps_ahead(A.NOTIFIED) == (A.ACKNOWLEDGED, A.EN_ROUTE, A.ON_SCENE, A.CLEARED, A.DECLINED)
    assert steps_ahead(A.EN_ROUTE) == (A.ON_SCENE, A.CLEARED, A.DECLINED)
    assert steps_ahead(A.ON_SCENE) == (A.CLEARED,)
    assert all(step in BUTTONS for state in A for step in steps_ahead(state))


def test_texts() -> None:
    assert [BUTTONS[s] for s in steps_ahead(A.NOTIFIED)] == [
        "Terima",
        "Berangkat",
        "Tiba",
        "Selesai",
        "Tolak",
    ]
    assert set(VERBS) == set(BUTTONS)
    assert notice("Damkar", A.ACKNOWLEDGED, 42) == "Damkar menerima #42"
    assert notice("PLN", A.DECLINED, 7, " di luar wilayah ") == "PLN menolak #7: di luar wilayah"
    assert parse_step(" Tiba ") is A.ON_SCENE
    assert parse_step("mundur") is None


def test_incident_end() -> None:
    for target in (I.CLOSED, I.CANCELLED, I.HANDED_OFF):
        assert end(I.OPEN, target) is target
    with pytest.raises(AlreadyEnded) as caught:
        end(I.CLOSED, I.CLOSED)
    assert caught.value.message == "Kejadian sudah ditutup."
    with pytest.raises(IncidentRefused) as refused:
        end(I.CANCELLED, I.CLOSED)
    assert refused.value.message == "Kejadian sudah dibatalkan."
    with pytest.raises(IncidentRefused):
        end(I.OPEN, I.OPEN)


def test_incident_number() -> None:
    assert format_number(42) == "#42"
    assert parse_number("#42") == 42
    assert parse_number(" nomor 7 ") == 7
    assert parse_number("42a") is None
    assert parse_number("#0") is None
