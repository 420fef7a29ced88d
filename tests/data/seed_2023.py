"""Builds the import CSVs that reproduce the seed's 2023 Tables 2, 3 and 4 (laporan tahunan 2023).

Deterministic (fixed random seed). The calls file holds exactly the seed's prank & ghost count per month,
710 categorised calls matching Table 3 and Table 4, plus rows that only a WIB month cut places right.
"""

from __future__ import annotations

import calendar
import csv
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

WIB = timezone(timedelta(hours=7))

# Table 2: month, incoming, to agent, answered, percentage (as printed), prank & ghost.
TABLE2 = [
    ("2023-01", 5056, 223, 180, "97%", 79),
    ("2023-02", 3897, 176, 147, "97%", 79),
    ("2023-03", 4803, 270, 226, "96%", 159),
    ("2023-04", 4801, 342, 278, "94%", 211),
    ("2023-05", 5118, 282, 223, "94%", 149),
    ("2023-06", 5242, 324, 270, "93%", 263),
    ("2023-07", 4786, 282, 239, "98%", 159),
    ("2023-08", 3949, 266, 238, "97%", 174),
    ("2023-09", 3632, 161, 133, "92%", 86),
    ("2023-10", 4398, 219, 190, "95", 125),
    ("2023-11", 4463, 251, 198, "95", 176),
    ("2023-12", 3669, 187, 150, "96", 117),
]

# Table 3 in the seed's order: routing code, count.
TABLE3 = [
    ("pju", 141),
    ("informasi", 126),
    ("ambulans", 88),
    ("evakuasi-hewan", 51),
    ("evakuasi", 49),
    ("kecelakaan-ringan", 49),
    ("sarang-tawon", 45),
    ("listrik", 40),
    ("kebakaran", 27),
    ("pohon-tumbang", 23),
    ("perambasan-pohon", 18),
    ("ambulans-wilayah", 16),
    ("kamtibmas", 13),
    ("ambulans-rs", 10),
    ("odgj", 5),
    ("penemuan-mayat", 3),
    ("trantibum", 2),
    ("bencana", 2),
    ("kecelakaan-berat", 1),
    ("kriminal", 1),
]

TABLE4 = [("Kepanjenkidul", 289, 40.7), ("Sananwetan", 279, 39.3), ("Sukorejo", 142, 20.0)]

# How call takers typed places over the years: kelurahan, kecamatan, upper case, spaced.
PLACES = {
    "Kepanjenkidul": ["Sentul", "KEPANJEN KIDUL", "kauman", "Bendo", "Kepanjen Lor", "Ngadirejo"],
    "Sananwetan": ["Rembang", "SANANWETAN", "Klampok", "plosokerep", "Karang Tengah", "Gedog"],
    "Sukorejo": ["Tlumpu", "SUKOREJO", "Turi", "Pakunden", "Tanjungsari", "Karangsari"],
}

# Concrete agency codes (history need not match today's routing; case and spaces vary on purpose).
AGENCIES = {
    "pju": "dishub",
    "ambulans": "puskesmas-sukorejo;DINKES",
    "kebakaran": "damkar; polres; bpbd",
    "pohon-tumbang": "dlh;bpbd",
    "kamtibmas": "polres",
    "odgj": "satpolpp",
}


# (timestamp as written, the WIB month it belongs to) for prank rows near month cuts.
# 00:30 WIB on the 1st is still the previous month in UTC; 23:30 WIB on the last day is the same month.
def boundary_rows() -> list[tuple[str, str]]:
    rows = []
    for m in range(1, 13):
        first = datetime(2023, m, 1, 0, 30, tzinfo=WIB)
        rows.append((first.isoformat(), f"2023-{m:02d}"))
        last_day = calendar.monthrange(2023, m)[1]
        late = datetime(2023, m, last_day, 23, 30, tzinfo=WIB)
        rows.append((late.isoformat(), f"2023-{m:02d}"))
    # Written in UTC: 2023-02-28T17:30Z is 1 March 00:30 WIB.
    rows.append(("2023-02-28T17:30:00Z", "2023-03"))
    return rows


# In UTC this is still 2023, in WIB it is 2024: a UTC cut would wrongly count it in 2023.
DECOY_2024 = "2023-12-31T20:00:00Z"


def _random_moment(rng: random.Random, month: int) -> str:
    days = calendar.monthrange(2023, month)[1]
    # Stay clear of the first and last hours so only boundary_rows() sit on a month cut.
    start = datetime(2023, month, 1, 2, 0, tzinfo=WIB)
    seconds = rng.randrange(0, (days - 1) * 86400 + 20 * 3600)
    moment = start + timedelta(seconds=seconds)
    if rng.random() < 0.2:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def _phone(rng: random.Random) -> str:
    return "" if rng.random() < 0.4 else f"08{rng.randrange(10**9, 10**10)}"


def write_seed_csvs(directory: Path) -> tuple[Path, Path]:
    """Write telephony-2023.csv and calls-2023.csv into directory; return their paths."""
    rng = random.Random(2023)
    directory.mkdir(parents=True, exist_ok=True)
    telephony = directory / "telephony-2023.csv"
    with telephony.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["month", "incoming", "to_agent", "answered", "percentage"])
        for month, incoming, to_agent, answered, pct, _ in TABLE2:
            w.writerow([month, incoming, to_agent, answered, pct])

    rows: list[list[str]] = []
    boundary = boundary_rows()
    for month_text, *_, prank_ghost in TABLE2:
        month = int(month_text[5:])
        stamps = [t for t, m in boundary if m == month_text]
        stamps += [_random_moment(rng, month) for _ in range(prank_ghost - len(stamps))]
        for i, stamp in enumerate(stamps):
            rows.append([stamp, "prank" if i % 3 else "ghost", "", "", "", _phone(rng)])
    # Two identical rows in one file are two calls: both must be kept.
    rows[-2] = rows[-1][:]

    kecamatan = [k for k, n, _ in TABLE4 for _ in range(n)]
    rng.shuffle(kecamatan)
    codes = [code for code, n in TABLE3 for _ in range(n)]
    for code, kec in zip(codes, kecamatan, strict=True):
        kind = "informasi" if code == "informasi" else "incident"
        place = rng.choice(PLACES[kec])
        stamp = _random_moment(rng, rng.randrange(1, 13))
        rows.append([stamp, kind, code, place, AGENCIES.get(code, ""), _phone(rng)])
    # An incident at 00:15 WIB on 1 January 2023 (still 2022 in UTC) belongs to January 2023.
    rows[-1][0] = "2023-01-01T00:15:00+07:00"
    rows.append([DECOY_2024, "ghost", "", "", "", ""])
    rng.shuffle(rows)

    calls = directory / "calls-2023.csv"
    with calls.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "type", "category", "location", "agencies", "phone"])
        w.writerows(rows)
    return telephony, calls


CALL_ROWS = sum(r[5] for r in TABLE2) + sum(n for _, n in TABLE3) + 1  # + the 2024 decoy
