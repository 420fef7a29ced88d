"""A second, made-up year (2024) whose extremes fall elsewhere than the seed's, for the report document.

Its most calls to agents are in November, most prank and ghost calls in March, the highest service level
in February and the lowest in August; the top category is Kebakaran (Damkar) and the top kecamatan is
Sukorejo. `skip` leaves months out of the telephony file, as a platform export with a gap would.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

# month, incoming, to_agent, answered, percentage, prank & ghost
TABLE2 = [
    ("2024-01", 3100, 150, 140, "96", 40),
    ("2024-02", 3000, 140, 138, "99", 35),
    ("2024-03", 3500, 260, 230, "95", 120),
    ("2024-04", 3300, 200, 181, "94", 60),
    ("2024-05", 3200, 190, 170, "95", 55),
    ("2024-06", 3250, 210, 190, "96", 70),
    ("2024-07", 3400, 230, 205, "97", 80),
    ("2024-08", 3350, 220, 180, "90", 75),
    ("2024-09", 3150, 180, 165, "93", 50),
    ("2024-10", 3600, 280, 250, "94", 90),
    ("2024-11", 3900, 410, 350, "92", 110),
    ("2024-12", 3000, 170, 160, "97", 45),
]
# category code, kecamatan place, count
CALLS = [
    ("kebakaran", "Tlumpu", 30),
    ("kebakaran", "Sentul", 10),
    ("pju", "Rembang", 25),
    ("ambulans", "Turi", 20),
    ("informasi", "Sukorejo", 5),
]
TOP_KECAMATAN = ("Sukorejo", 55)  # Tlumpu 30 + Turi 20 + Sukorejo 5 of 90 located calls


def write_csvs(directory: Path, skip: Iterable[str] = ()) -> tuple[Path, Path]:
    skipped = set(skip)
    directory.mkdir(parents=True, exist_ok=True)
    telephony = directory / "telephony-2024.csv"
    with telephony.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["month", "incoming", "to_agent", "answered", "percentage"])
        w.writerows(row[:5] for row in TABLE2 if row[0] not in skipped)
    calls = directory / "calls-2024.csv"
    with calls.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "type", "category", "location", "agencies", "phone"])
        for month, *_, prank_ghost in TABLE2:
            for i in range(prank_ghost):
                stamp = f"{month}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+07:00"
                w.writerow([stamp, "ghost" if i % 2 else "prank", "", "", "", ""])
        n = 0
        for code, place, count in CALLS:
            for _ in range(count):
                n += 1
                stamp = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T10:{n % 60:02d}:00+07:00"
                kind = "informasi" if code == "informasi" else "incident"
                w.writerow([stamp, kind, code, place, "", ""])
    return telephony, calls
