"""Aggregate queries behind the reports: grouped in SQL, so a year of a million calls stays fast."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.connection import Connection


@dataclass(slots=True)
class Aggregates:
    # Prank and ghost calls per local day number (days since 1970-01-01 in the report's zone).
    prank_ghost_by_day: dict[int, int] = field(default_factory=dict)
    # Categorised calls (incidents and informasi alike) per (category, kecamatan or None).
    by_category_kecamatan: dict[tuple[str, str | None], int] = field(default_factory=dict)
    # Telephony figures per month: (incoming, to_agent, answered, percentage).
    telephony: dict[str, tuple[int, int, int, float]] = field(default_factory=dict)


# Grouping by local day (integer arithmetic) is several times cheaper per row than strftime to a
# month; the few hundred day rows are folded into months by the caller.
_PRANK_GHOST = """
SELECT (CAST(at AS INTEGER) + ?) / 86400 AS day, COUNT(*)
FROM calls
WHERE at >= ? AND at < ? AND type IN ('prank', 'ghost')
GROUP BY day
"""

# An informasi call logged without a category (a one-tap /info) still counts under `informasi`,
# so the figures from the bot and from imported history come from this one query.
_CATEGORISED = """
SELECT COALESCE(category, 'informasi') AS cat, kecamatan, COUNT(*)
FROM calls
WHERE at >= ? AND at < ? AND type IN ('incident', 'informasi')
  AND (category IS NOT NULL OR type = 'informasi')
GROUP BY cat, kecamatan
"""

_TELEPHONY = """
SELECT month, incoming, to_agent, answered, percentage
FROM telephony_months WHERE month >= ? AND month <= ?
"""


async def aggregate(
    db: Connection,
    start_utc: float,
    end_utc: float,
    utc_offset_seconds: int,
    first_month: str = "0000-00",
    last_month: str = "9999-99",
) -> Aggregates:
    """Counts for [start_utc, end_utc); telephony rows for the months first_month..last_month."""
    out = Aggregates()
    # Both reads in one transaction so a concurrent import cannot land between them.
    await db.execute("BEGIN")
    try:
        async with db.execute(_PRANK_GHOST, (utc_offset_seconds, start_utc, end_utc)) as cur:
            for day, n in await cur.fetchall():
                out.prank_ghost_by_day[int(day)] = int(n)
        async with db.execute(_CATEGORISED, (start_utc, end_utc)) as cur:
            for cat, kecamatan, n in await cur.fetchall():
                out.by_category_kecamatan[(str(cat), kecamatan)] = int(n)
        async with db.execute(_TELEPHONY, (first_month, last_month)) as cur:
            for month, incoming, to_agent, answered, pct in await cur.fetchall():
                out.telephony[str(month)] = (int(incoming), int(to_agent), int(answered), float(pct))
    finally:
        await db.execute("COMMIT")
    return out
