"""Prank and ghost callers: the history line, block durations and the repeat-offender ladder. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

SUPERVISOR_LEVEL = 3  # the third block of a number within the ladder window: the supervisors decide
MAX_BLOCK_HOURS = 365 * 24
HISTORY_ORDER = (("prank", "prank"), ("ghost", "ghost"), ("incident", "kejadian"), ("informasi", "informasi"))
_DURATION = re.compile(r"^(\d{1,4})\s*(j|jam|h|hari|m|mgg|minggu)$")
_UNIT_HOURS = {"j": 1, "jam": 1, "h": 24, "hari": 24, "m": 168, "mgg": 168, "minggu": 168}


@dataclass(frozen=True, slots=True)
class Ladder:
    first_hours: float
    second_hours: float

    def level_after(self, earlier_blocks: int) -> int:
        """1 for a first block, 2 for the second, SUPERVISOR_LEVEL from the third on."""
        return min(earlier_blocks + 1, SUPERVISOR_LEVEL)

    def hours(self, level: int) -> float | None:
        """The call taker's block length at this step; None: not theirs to decide."""
        return {1: self.first_hours, 2: self.second_hours}.get(level)


def parse_duration(text: str) -> float:
    """'24j', '12 jam', '3h', '3hari', '2mgg' -> hours; ValueError (Indonesian) otherwise."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise ValueError(f"Durasi tidak dikenal: {text.strip()[:20]}. Contoh: 24j, 3h (hari), 1mgg.")
    hours = int(match[1]) * _UNIT_HOURS[match[2]]
    if not 1 <= hours <= MAX_BLOCK_HOURS:
        raise ValueError(f"Durasi harus antara 1 jam dan {MAX_BLOCK_HOURS // 24} hari.")
    return float(hours)


def duration_text(hours: float) -> str:
    if hours % 24 == 0 and hours > 24:
        return f"{int(hours // 24)} hari"
    return f"{hours:g} jam"


def when_text(at: datetime, now: datetime) -> str:
    """'hari ini 21:14', 'kemarin 21:14', '28/11 21:14' (with the year when it is not this year)."""
    days = (now.date() - at.date()).days
    clock = at.strftime("%H:%M")
    if days == 0:
        return f"hari ini {clock}"
    if days == 1:
        return f"kemarin {clock}"
    return at.strftime("%d/%m %H:%M") if at.year == now.year else at.strftime("%d/%m/%Y %H:%M")


def history_text(masked: str, counts: Mapping[str, int], days: int, last: datetime | None,
                 now: datetime) -> str | None:  # fmt: skip
    """'0812****7890: 3 prank, 1 ghost dalam 30 hari; terakhir kemarin 21:14'; None without history."""
    parts = [f"{counts[t]} {label}" for t, label in HISTORY_ORDER if counts.get(t)]
    if not parts:
        return None
    text = f"{masked}: {', '.join(parts)} dalam {days} hari"
    if last is not None:
        text += f"; terakhir {when_text(last, now)}"
    return text


DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


@dataclass(frozen=True, slots=True)
class KecamatanRow:
    kecamatan: str
    count: int
    percentage: float  # of the prank/ghost calls whose kecamatan is known


@dataclass(frozen=True, slots=True)
class PrankPatterns:
    total: int
    grid: tuple[tuple[int, ...], ...]  # 7 weekdays (Monday first) x 24 hours
    by_hour: tuple[int, ...]
    by_day: tuple[int, ...]
    by_kecamatan: tuple[KecamatanRow, ...]
    unknown_location: int

    @property
    def peak(self) -> tuple[int, int, int] | None:
        """(weekday, hour, calls) of the busiest slot; None without calls."""
        best = max(
            ((d, h, n) for d, row in enumerate(self.grid) for h, n in enumerate(row)), key=lambda x: x[2]
        )
        return best if best[2] else None


def prank_patterns(by_slot: Mapping[tuple[int, int], int], by_kecamatan: Mapping[str | None, int],
                   always: tuple[str, ...] = ()) -> PrankPatterns:  # fmt: skip
    grid = tuple(tuple(by_slot.get((d, h), 0) for h in range(24)) for d in range(7))
    known = {k: n for k, n in by_kecamatan.items() if k}
    for name in always:
        known.setdefault(name, 0)
    whole = sum(known.values())
    rows = tuple(
        KecamatanRow(k, n, round(100 * n / whole, 1) if whole else 0.0)
        for k, n in sorted(known.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return PrankPatterns(
        total=sum(sum(r) for r in grid),
        grid=grid,
        by_hour=tuple(sum(grid[d][h] for d in range(7)) for h in range(24)),
        by_day=tuple(sum(row) for row in grid),
        by_kecamatan=rows,
        unknown_location=by_kecamatan.get(None, 0),
    )
