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
