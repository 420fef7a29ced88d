"""Bench 3: `python run.py report --period 2023 --format json` over a million recorded calls.

The database is built directly (schema from the product's migrations, rows with sqlite3
executemany), not through import-calls. The calls follow the seed's 2023 shape: months weighted
like Table 2's answered calls, a day/night curve in WIB, ~71% prank and ghost, ~5% informasi,
~24% incidents with Table 3's category mix and Table 4's kecamatan split; rows are inserted in
time order, as the bot records them.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from storage.db import connect
from tests.bench_common import table
from tests.data.seed_2023 import TABLE2, TABLE3, TABLE4
from tests.e2e import ROOT

WIB = timezone(timedelta(hours=7))
# Share of answered calls per hour of day (WIB): quiet at night, busy from late morning to evening.
HOURS = [2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 8, 7, 5, 4, 3]
KELURAHAN = {
    "Kepanjenkidul": ["Kepanjenkidul", "Kepanjenlor", "Kauman", "Bendo", "Tanggung", "Sentul", "Ngadirejo"],
    "Sananwetan": ["Rembang", "Klampok", "Plosokerep", "Karangtengah", "Sananwetan", "Bendogerit", "Gedog"],
    "Sukorejo": ["Tlumpu", "Karangsari", "Turi", "Blitar", "Sukorejo", "Pakunden", "Tanjungsari"],
}


@dataclass
class Built:
    rows: int
    seconds: float
    size_mb: float
    expected_prank_ghost: int
    expected_categorised: int


def _rows(n: int, rng: random.Random) -> tuple[list[tuple[Any, ...]], int, int]:
    months = [m for m in range(1, 13)]
    month_w = [row[3] for row in TABLE2]  # answered calls
    prank_ghost = sum(r[5] for r in TABLE2)
    categorised = sum(c for _, c in TABLE3)
    cats = [code for code, _ in TABLE3]
    cat_w = [c for _, c in TABLE3]
    kecs = [k for k, _, _ in TABLE4]
    kec_w = [c for _, c, _ in TABLE4]
    share_pg = prank_ghost / (prank_ghost + categorised)
    month_start = [datetime(2023, m, 1, tzinfo=WIB).timestamp() for m in months] + [
        datetime(2024, 1, 1, tzinfo=WIB).timestamp()
    ]
    out: list[tuple[Any, ...]] = []
    n_pg = n_cat = 0
    picked_months = rng.choices(range(12), weights=month_w, k=n)
    picked_hours = rng.choices(range(24), weights=HOURS, k=n)
    for i in range(n):
        m = picked_months[i]
        days = int((month_start[m + 1] - month_start[m]) // 86400)
        at = month_start[m] + rng.randrange(days) * 86400 + picked_hours[i] * 3600 + rng.random() * 3600
        phone = f"08{rng.randrange(10**9, 10**10)}" if rng.random() < 0.6 else None
        masked = f"{phone[:4]}****{phone[-4:]}" if phone else None
        taker = 1000 + rng.randrange(8)
        if rng.random() < share_pg:
            kind = "prank" if rng.random() < 0.67 else "ghost"
            out.append((kind, at, None, None, None, "", phone, masked, None, taker, None, "bot"))
            n_pg += 1
        else:
            cat = rng.choices(cats, weights=cat_w)[0]
            kec = rng.choices(kecs, weights=kec_w)[0]
            kel = rng.choice(KELURAHAN[kec])
            kind = "informasi" if cat == "informasi" else "incident"
            out.append((kind, at, cat, kel, kec, "", phone, masked, None, taker, None, "bot"))
            n_cat += 1
    out.sort(key=lambda r: r[1])
    return out, n_pg, n_cat


def build(path: Path, n: int) -> Built:
    began = time.monotonic()
    asyncio.run(_schema(path))
    rows, n_pg, n_cat = _rows(n, random.Random(112))
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA journal_mode=MEMORY")  # bulk load only; back to WAL below, as the bot runs it
        db.execute("PRAGMA cache_size=-200000")
        indexes = db.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'calls' AND sql IS NOT NULL"
        ).fetchall()
        db.execute("BEGIN")
        for name, _ in indexes:  # rebuilt after the load, with the product's own definitions
            db.execute(f'DROP INDEX "{name}"')
        db.executemany(
            "INSERT INTO calls (type, at, category, kelurahan, kecamatan, agencies, phone, phone_masked,"
            " note,"
            " call_taker_id, incident_id, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        for _, sql in indexes:
            db.execute(sql)
        scale = n / sum(r[3] for r in TABLE2)
        db.executemany(
            "INSERT INTO telephony_months (month, incoming, to_agent, answered, percentage)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (m, round(inc * scale), round(ag * scale), round(ans * scale), float(str(p).rstrip("%")))
                for m, inc, ag, ans, p, _ in TABLE2
            ],
        )
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    return Built(n, time.monotonic() - began, size, n_pg, n_cat)


async def _schema(path: Path) -> None:
    db = await connect(path)
    await db.close()


@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    output: str


def report_once(settings: Path, period: str = "2023") -> Run:
    """One `run.py report` child, timed and measured by the small tests.bench_rss launcher."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env["DISPATCH_SETTINGS"] = str(settings)
    out_path = settings.with_suffix(".out")
    cmd = [
        sys.executable,
        "-m",
        "tests.bench_rss",
        str(out_path),
        sys.executable,
        str(ROOT / "run.py"),
        "report",
        "--period",
        period,
        "--format",
        "json",
    ]
    done = subprocess.run(
        cmd, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300, check=True
    )
    measured = json.loads(done.stdout)
    text = out_path.read_text(encoding="utf-8", errors="replace")
    if measured["exit"] != 0:
        raise RuntimeError(f"report exited {measured['exit']}: {text[-500:]}")
    return Run(measured["seconds"], measured["maxrss_kb"] / 1024, text)


def run(workdir: Path, rows: int = 1_000_000, repeats: int = 3) -> dict[str, Any]:
    db = workdir / "calls.sqlite3"
    # Built in a child process: a million rows in this process would also inflate the report
    # children's measured peak RSS (see tests/bench_rss.py).
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench_report", str(db), str(rows)],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    built = Built(**json.loads(done.stdout))
    settings = workdir / "settings.toml"
    settings.write_text(f'timezone = "Asia/Jakarta"\n[storage]\npath = "{db}"\n')
    empty = workdir / "empty.sqlite3"
    asyncio.run(_schema(empty))
    empty_settings = workdir / "empty.toml"
    empty_settings.write_text(f'timezone = "Asia/Jakarta"\n[storage]\npath = "{empty}"\n')
    baseline = report_once(empty_settings)
    runs = [report_once(settings) for _ in range(repeats)]
    data = json.loads(runs[0].output)
    counted_pg = data["table2_total"]["prank_ghost"]
    counted_cat = sum(c["count"] for c in data["table3"])
    return {"built": built, "runs": runs, "baseline": baseline, "counted": (counted_pg, counted_cat)}


def render(result: dict[str, Any]) -> str:
    built: Built = result["built"]
    runs: list[Run] = result["runs"]
    baseline: Run = result["baseline"]
    times = sorted(r.seconds for r in runs)
    rows = [
        [
            f"{built.rows:,} calls",
            f"{times[len(times) // 2]:.2f} s",
            f"{times[0]:.2f} s",
            f"{times[-1]:.2f} s",
            f"{max(r.maxrss_mb for r in runs):.0f} MB",
        ],
        [
            "empty database (start-up cost)",
            f"{baseline.seconds:.2f} s",
            "",
            "",
            f"{baseline.maxrss_mb:.0f} MB",
        ],
    ]
    main = table(
        ["python run.py report --period 2023 --format json", "median", "min", "max", "peak RSS"], rows
    )
    pg, cat = result["counted"]
    ok = (pg, cat) == (built.expected_prank_ghost, built.expected_categorised)
    notes = [
        f"{len(runs)} runs, warm page cache; peak RSS = ru_maxrss of the report child (os.wait4)",
        f"database: {built.size_mb:.0f} MB, built in {built.seconds:.1f} s "
        "(executemany, product schema and indexes)",
        f"totals check: prank+ghost {pg:,} / categorised {cat:,} counted vs {built.expected_prank_ghost:,} / "
        f"{built.expected_categorised:,} inserted: {'OK' if ok else 'MISMATCH'}",
    ]
    return main + "\n\n" + "\n".join(notes)


if __name__ == "__main__":
    target, count = Path(sys.argv[1]), int(sys.argv[2])
    print(json.dumps(asdict(build(target, count))))
