"""The reports' prank and ghost patterns (by hour, weekday and kecamatan) as md, csv, json and
digest lines; appended after Tables 2-4, which stay as they are."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.services.common import esc
from routing.prank import DAYS_ID, PrankPatterns, prank_patterns
from routing.table import RoutingTable
from storage.connection import Connection
from storage.prank_stats import prank_counts

HEADING = "Pola Prank & Ghost"


async def read_patterns(db: Connection, start: float, end: float, offset: int,
                        routing: RoutingTable) -> PrankPatterns:  # fmt: skip
    counts = await prank_counts(db, start, end, offset)
    return prank_patterns(counts.by_slot, counts.by_kecamatan, tuple(routing.kecamatan))


def _peak(p: PrankPatterns) -> str:
    peak = p.peak
    if peak is None:
        return "tidak ada panggilan prank/ghost"
    day, hour, n = peak
    return f"{DAYS_ID[day]} {hour:02d}.00-{hour:02d}.59 ({n} panggilan)"


def render_md(p: PrankPatterns, title: str) -> str:
    out = ["", f"## {HEADING} {title}", "", f"Total prank & ghost: {p.total}; paling ramai: {_peak(p)}.", ""]
    out += ["### Per jam (WIB) dan hari", "", "| Hari | " + " | ".join(f"{h:02d}" for h in range(24)) + " | Total |",
            "| --- |" + " ---: |" * 25]  # fmt: skip
    for d, row in enumerate(p.grid):
        out.append(f"| {DAYS_ID[d]} | " + " | ".join(str(n) for n in row) + f" | {p.by_day[d]} |")
    out.append("| **Total** | " + " | ".join(f"**{n}**" for n in p.by_hour) + f" | **{p.total}** |")
    out += ["", "### Per kecamatan (bila lokasi diketahui)", "", "| No | Kecamatan | Jumlah | Persentase |",
            "| ---: | --- | ---: | ---: |"]  # fmt: skip
    for i, k in enumerate(p.by_kecamatan, start=1):
        out.append(f"| {i} | {k.kecamatan} | {k.count} | {str(k.percentage).replace('.', ',')}% |")
    out += ["", f"Prank/ghost yang lokasinya tidak diketahui: {p.unknown_location}."]
    return "\n".join(out) + "\n"


def render_csv(p: PrankPatterns) -> str:
    """Two more tables after the report's three: weekday x hour, then by kecamatan."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    buf.write("\n")
    w.writerow(["weekday", *(f"h{h:02d}" for h in range(24)), "total"])
    for d, row in enumerate(p.grid):
        w.writerow([DAYS_ID[d], *row, p.by_day[d]])
    buf.write("\n")
    w.writerow(["prank_kecamatan", "count", "percentage"])
    for r in p.by_kecamatan:
        w.writerow([r.kecamatan, r.count, r.percentage])
    w.writerow(["", p.unknown_location, ""])
    return buf.getvalue()


def as_dict(p: PrankPatterns) -> dict[str, Any]:
    return {
        "total": p.total,
        "weekdays": list(DAYS_ID),
        "by_weekday_hour": [list(row) for row in p.grid],
        "by_hour": list(p.by_hour),
        "by_weekday": list(p.by_day),
        "by_kecamatan": [
            {"kecamatan": r.kecamatan, "count": r.count, "percentage": r.percentage} for r in p.by_kecamatan
        ],
        "unknown_location": p.unknown_location,
    }


def digest_lines(p: PrankPatterns) -> list[str]:
    """For the monthly (and yearly) digest: the busiest slot, hours and days, kecamatan."""
    if not p.total:
        return [f"🧒 <b>{esc(HEADING)}</b>: tidak ada."]
    hours = sorted(range(24), key=lambda h: (-p.by_hour[h], h))[:3]
    days = sorted(range(7), key=lambda d: (-p.by_day[d], d))[:3]
    lines = [f"🧒 <b>{esc(HEADING)}</b> ({p.total}): paling ramai {esc(_peak(p))}",
             "Jam teramai: " + ", ".join(f"{h:02d}.00 ({p.by_hour[h]})" for h in hours if p.by_hour[h]),
             "Hari teramai: " + ", ".join(f"{DAYS_ID[d]} ({p.by_day[d]})" for d in days if p.by_day[d])]  # fmt: skip
    known = [r for r in p.by_kecamatan if r.count]
    if known:
        lines.append("Per kecamatan: " + ", ".join(f"{esc(r.kecamatan)} {r.count}" for r in known)
                     + f"; tanpa lokasi {p.unknown_location}")  # fmt: skip
    return lines
