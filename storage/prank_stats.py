"""Prank and ghost calls grouped for the reports' patterns: by local weekday and hour, by kecamatan."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.connection import Connection

# Local seconds since the epoch -> hour of day and weekday (1970-01-01 was a Thursday: +3 makes Monday 0).
_BY_SLOT = """
SELECT ((CAST(at AS INTEGER) + ?) / 86400 + 3) % 7 AS dow, ((CAST(at AS INTEGER) + ?) % 86400) / 3600 AS hour,
       COUNT(*)
FROM calls
WHERE type IN ('prank', 'ghost') AND at >= ? AND at < ?
GROUP BY dow, hour
"""

_BY_KECAMATAN = """
SELECT kecamatan, COUNT(*) FROM calls
WHERE type IN ('prank', 'ghost') AND at >= ? AND at < ?
GROUP BY kecamatan
"""


@dataclass(slots=True)
class PrankCounts:
    by_slot: dict[tuple[int, int], int] = field(default_factory=dict)  # (weekday 0=Monday, hour) -> calls
    by_kecamatan: dict[str | None, int] = field(default_factory=dict)  # None: location unknown


async def prank_counts(db: Connection, start_utc: float, end_utc: float, utc_offset: int) -> PrankCounts:
    out = PrankCounts()
    async with db.execute(_BY_SLOT, (utc_offset, utc_offset, start_utc, end_utc)) as cur:
        for dow, hour, n in await cur.fetchall():
            out.by_slot[(int(dow), int(hour))] = int(n)
    async with db.execute(_BY_KECAMATAN, (start_utc, end_utc)) as cur:
        for kecamatan, n in await cur.fetchall():
            out.by_kecamatan[kecamatan] = int(n)
    return out
