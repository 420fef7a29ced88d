"""A trainee's score per call and in total. NFPA 1225: 60 s from the call to the dispatch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

NFPA_SECONDS = 60.0
ZERO_AFTER = 180.0  # the time points fall linearly to nothing at three times the standard


@dataclass
class Outcome:
    """What the trainee did with one call, read off the fake Telegram."""

    logged_as: str | None = None  # dispatch, prank, ghost, info
    seconds: float | None = None  # from the call shown to the dispatch (or the log)
    number: int | None = None
    category_right: bool | None = None
    agencies: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    escalations: int = 0


@dataclass
class CallScore:
    call: str
    points: int
    max: int
    notes: list[str]
    outcome: dict[str, Any]


def time_points(seconds: float | None, weight: int) -> int:
    if seconds is None:
        return 0
    if seconds <= NFPA_SECONDS:
        return weight
    return max(0, round(weight * (ZERO_AFTER - seconds) / (ZERO_AFTER - NFPA_SECONDS)))


def score_call(call_id: str, kind: str, expected_agencies: list[str], outcome: Outcome) -> CallScore:
    notes: list[str] = []
    if outcome.logged_as is None:
        return CallScore(call_id, 0, 100, ["tidak ditangani"], asdict(outcome))
    if outcome.seconds is not None:
        verdict = "memenuhi" if outcome.seconds <= NFPA_SECONDS else "melewati"
        notes.append(f"{outcome.seconds:.0f} s ({verdict} 60 s NFPA 1225)")
    if kind != "dispatch":
        right = outcome.logged_as == kind
        notes.append(f"dicatat sebagai {outcome.logged_as}" + ("" if right else f", seharusnya {kind}"))
        points = (60 if right else 0) + time_points(outcome.seconds, 40)
        return CallScore(call_id, points, 100, notes, asdict(outcome))
    if outcome.logged_as != "dispatch":
        notes.append(f"dicatat sebagai {outcome.logged_as}, seharusnya dikirim ke instansi")
        return CallScore(call_id, 0, 100, notes, asdict(outcome))
    points = time_points(outcome.seconds, 40)
    if outcome.category_right:
        points += 20
    else:
        notes.append("kategori salah")
    if sorted(outcome.agencies) == sorted(expected_agencies):
        points += 20
    else:
        wrong = sorted(set(outcome.agencies) ^ set(expected_agencies))
        notes.append("instansi tidak sesuai: " + ", ".join(wrong))
    points += max(0, 20 - 5 * len(outcome.missing))
    if outcome.missing:
        notes.append("kolom kosong/salah: " + ", ".join(outcome.missing))
    if outcome.escalations:
        notes.append(f"{outcome.escalations} eskalasi dibiarkan terjadi")
        points = max(0, points - 10 * outcome.escalations)
    return CallScore(call_id, points, 100, notes, asdict(outcome))


def total(scores: list[CallScore]) -> dict[str, Any]:
    points = sum(s.points for s in scores)
    most = sum(s.max for s in scores)
    return {"points": points, "max": most, "percent": round(100 * points / most, 1) if most else 0.0}
