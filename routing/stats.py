"""Statistics maths for the reports: periods, percentiles, shares and the seed's Tables 2-4.

Pure: no I/O and no clock. The caller passes the time zone and the aggregate counts (already grouped
by storage), and gets back plain dataclasses that any renderer can print.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import Literal

PeriodKind = Literal["year", "quarter", "month", "day"]

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
QUARTERS_ID = ("I", "II", "III", "IV")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:[Qq]([1-4])|(\d{2})(?:-(\d{2}))?))?$")


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    label: str  # canonical text as typed on the command line: 2023, 2023-Q1, 2023-03, 2023-03-05
    start: datetime  # aware, in the configured zone, inclusive
    end: datetime  # aware, exclusive

    @property
    def title(self) -> str:
        """The period as an Indonesian report heading says it."""
        s = self.start
        if self.kind == "year":
            return f"Tahun {s.year}"
        if self.kind == "quarter":
            return f"Triwulan {QUARTERS_ID[(s.month - 1) // 3]} {s.year}"
        if self.kind == "month":
            return f"{MONTHS_ID[s.month - 1]} {s.year}"
        return f"{s.day} {MONTHS_ID[s.month - 1]} {s.year}"


def parse_period(text: str, tz: tzinfo) -> Period:
    """Parse `2023`, `2023-Q1`, `2023-03` or `2023-03-05`; the bounds are local midnights in `tz`."""
    m = _PERIOD_RE.match(text.strip())
    if m is None:
        raise ValueError(
            f"Periode '{text}' tidak dikenal. Gunakan tahun (2023), triwulan (2023-Q1), "
            "bulan (2023-03) atau tanggal (2023-03-05)."
        )
    year = int(m.group(1))
    try:
        if m.group(2):
            q = int(m.group(2))
            first = date(year, 3 * q - 2, 1)
            return _period("quarter", f"{year}-Q{q}", first, _add_months(first, 3), tz)
        if m.group(4):
            day = date(year, int(m.group(3)), int(m.group(4)))
            return _period("day", day.isoformat(), day, day + timedelta(days=1), tz)
        if m.group(3):
            first = date(year, int(m.group(3)), 1)
            return _period("month", f"{first:%Y-%m}", first, _add_months(first, 1), tz)
    except ValueError:
        raise ValueError(f"Periode '{text}' bukan tanggal yang sah.") from None
    if year < 1970:
        raise ValueError(f"Periode '{text}': tahun harus 1970 atau sesudahnya.")
    return _period("year", str(year), date(year, 1, 1), date(year + 1, 1, 1), tz)


def _period(kind: PeriodKind, label: str, first: date, after: date, tz: tzinfo) -> Period:
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    end = datetime(after.year, after.month, after.day, tzinfo=tz)
    return Period(kind, label, start, end)


def _add_months(d: date, n: int) -> date:
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_in(period: Period) -> list[str]:
    """Every month (`YYYY-MM`) the period touches, ascending; a day period touches one."""
    out: list[str] = []
    cur = date(period.start.year, period.start.month, 1)
    last = (period.end - timedelta(microseconds=1)).date()
    while cur <= last:
        out.append(f"{cur:%Y-%m}")
        cur = _add_months(cur, 1)
    return out


def covers_whole_month(period: Period) -> bool:
    """Telephony figures are monthly; they only belong in a report whose period is whole months."""
    return period.kind != "day"


def month_of_local_day(day_number: int) -> str:
    """`YYYY-MM` of a local day number (days since 1970-01-01 in the configured zone)."""
    return f"{date.fromordinal(_EPOCH_ORDINAL + day_number):%Y-%m}"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("persentil harus antara 0 dan 100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def share(part: int, whole: int) -> float:
    """part/whole as a percentage rounded half up to one decimal (40.7), 0.0 when whole is 0.

    Exact fractions, so 142/710 gives 20.0 and a .x5 boundary never rounds the wrong way by float error.
    """
    if whole == 0:
        return 0.0
    tenths = Fraction(part * 1000, whole)
    return math.floor(tenths + Fraction(1, 2)) / 10


@dataclass(frozen=True, slots=True)
class TelephonyMonth:
    month: str
    incoming: int
    to_agent: int
    answered: int
    percentage: float


@dataclass(frozen=True, slots=True)
class Table2Row:
    month: str  # YYYY-MM, or TOTAL for the totals row
    incoming: int | None
    to_agent: int | None
    answered: int | None
    percentage: float | None
    prank_ghost: int


@dataclass(frozen=True, slots=True)
class Table3Row:
    category: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Table4Row:
    kecamatan: str
    count: int
    percentage: float


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    table2: list[Table2Row]
    table2_total: Table2Row
    table3: list[Table3Row]
    table4: list[Table4Row]
    without_location: int  # categorised calls with no kecamatan: not in Table 4, noted under it
    telephony_missing: list[str]  # months of the period with no telephony figures


def build_table2(
    months: Sequence[str],
    prank_ghost: Mapping[str, int],
    telephony: Mapping[str, TelephonyMonth],
) -> tuple[list[Table2Row], Table2Row]:
    """One row per month (zeros included) and a totals row summed from those rows, never typed."""
    rows = []
    for month in months:
        t = telephony.get(month)
        rows.append(
            Table2Row(
                month=month,
                incoming=t.incoming if t else None,
                to_agent=t.to_agent if t else None,
                answered=t.answered if t else None,
                percentage=t.percentage if t else None,
                prank_ghost=prank_ghost.get(month, 0),
            )
        )
    with_data = [r for r in rows if r.to_agent is not None]
    incoming = _sum_or_none(r.incoming for r in with_data)
    to_agent = _sum_or_none(r.to_agent for r in with_data)
    answered = _sum_or_none(r.answered for r in with_data)
    # The monthly percentage is the telephony platform's service level, not answered/to_agent
    # (January: 97% with 180 of 223); the seed's yearly 95% is the mean of the months' figures.
    rates = [r.percentage for r in with_data if r.percentage is not None]
    pct = _round1(sum(rates) / len(rates)) if rates else None
    total = Table2Row("TOTAL", incoming, to_agent, answered, pct, sum(r.prank_ghost for r in rows))
    return rows, total


def _round1(value: float) -> float:
    return math.floor(Fraction(str(value)) * 10 + Fraction(1, 2)) / 10


def _sum_or_none(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def build_table3(counts: Mapping[str, int], names: Mapping[str, str]) -> list[Table3Row]:
    """Calls by category, most first, ties by name; a code no longer in routing shows as itself."""
    rows = [Table3Row(code, names.get(code, code), n) for code, n in counts.items() if n > 0]
    rows.sort(key=lambda r: (-r.count, r.name.casefold(), r.category))
    return rows


def build_table4(counts: Mapping[str, int], always: Iterable[str] = ()) -> list[Table4Row]:
    """Calls by kecamatan with shares of the located total, most first; `always` rows show even at 0."""
    merged = dict.fromkeys(always, 0)
    for name, n in counts.items():
        merged[name] = merged.get(name, 0) + n
    whole = sum(merged.values())
    rows = [Table4Row(name, n, share(n, whole)) for name, n in merged.items()]
    rows.sort(key=lambda r: (-r.count, r.kecamatan.casefold()))
    return rows
