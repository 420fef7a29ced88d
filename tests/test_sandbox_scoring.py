"""Scoring a trainee's call: time against NFPA 1225's 60 s, category, agencies, fields, escalations."""

from __future__ import annotations

from sandbox.scoring import Outcome, score_call, time_points, total


def test_time_points_are_full_within_60_s_and_none_at_180_s() -> None:
    assert time_points(12, 40) == 40 and time_points(60, 40) == 40
    assert time_points(120, 40) == 20 and time_points(180, 40) == 0 and time_points(400, 40) == 0
    assert time_points(None, 40) == 0


def test_a_perfect_dispatch_scores_100() -> None:
    outcome = Outcome("dispatch", 20, 1, True, ["damkar", "polres"])
    assert score_call("a", "dispatch", ["polres", "damkar"], outcome).points == 100


def test_each_mistake_costs_its_share() -> None:
    outcome = Outcome("dispatch", 120, 1, False, ["damkar"], ["alamat", "telepon"], escalations=1)
    score = score_call("a", "dispatch", ["damkar", "polres"], outcome)
    # 20 for the time, 0 category, 0 agencies, 10 fields, -10 for the escalation
    assert score.points == 20
    assert "kategori salah" in score.notes and "instansi tidak sesuai: polres" in score.notes
    assert (
        "kolom kosong/salah: alamat, telepon" in score.notes and "1 eskalasi dibiarkan terjadi" in score.notes
    )


def test_prank_and_ghost_must_be_logged_as_such() -> None:
    assert score_call("p", "prank", [], Outcome("prank", 10)).points == 100
    assert score_call("p", "prank", [], Outcome("ghost", 10)).points == 40
    assert score_call("p", "prank", [], Outcome("dispatch", 10, 3)).points == 40
    assert score_call("d", "dispatch", ["damkar"], Outcome("prank", 10)).points == 0
    assert score_call("d", "dispatch", ["damkar"], Outcome()).notes == ["tidak ditangani"]


def test_total() -> None:
    scores = [score_call("a", "prank", [], Outcome("prank", 5)), score_call("b", "ghost", [], Outcome())]
    assert total(scores) == {"points": 100, "max": 200, "percent": 50.0}
