"""`python run.py report | import-calls | import-telephony` as an operator types them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.data.seed_2023 import write_seed_csvs
from tests.dbread import new_target, on_postgres, rows, storage_toml

ROOT = Path(__file__).resolve().parent.parent


def write_settings(tmp_path: Path, db: str) -> None:
    # Only [storage] (and the zone) are needed for these commands: no token, no chats.
    (tmp_path / "settings.toml").write_text(
        f'timezone = "Asia/Jakarta"\n[storage]\n{storage_toml(db, tmp_path)}\n', encoding="utf-8"
    )


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    settings = tmp_path / "settings.toml"
    if not settings.exists():
        write_settings(tmp_path, new_target(tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env["DISPATCH_SETTINGS"] = str(settings)
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_run_py_imports_and_reports(tmp_path: Path, db_target: str) -> None:
    write_settings(tmp_path, db_target)  # the SQLite file, or a PostgreSQL database by url
    telephony, calls = write_seed_csvs(tmp_path / "csv")
    done = run(tmp_path, "import-telephony", str(telephony))
    assert (done.returncode, done.stdout.strip()) == (0, "Diimpor 12 bulan, 0 diperbarui, 0 sudah ada")
    done = run(tmp_path, "import-calls", str(calls))
    assert (done.returncode, done.stdout.strip()) == (0, "Diimpor 2.488 panggilan, 0 sudah ada")
    done = run(tmp_path, "import-calls", str(calls))
    assert (done.returncode, done.stdout.strip()) == (0, "Diimpor 0 panggilan, 2.488 sudah ada")
    # Into the database [storage] names (on PostgreSQL: not the SQLite path beside it).
    assert rows(db_target, "SELECT COUNT(*) FROM calls") == [(2488,)]
    assert rows(db_target, "SELECT COUNT(*) FROM telephony_months") == [(12,)]
    assert on_postgres() != (tmp_path / "dispatch.sqlite3").exists()

    done = run(tmp_path, "report", "--period", "2023", "--format", "json", "--charts", str(tmp_path / "g"))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["table2_total"]["prank_ghost"] == 1777
    assert [k["percentage"] for k in data["table4"]] == [40.7, 39.3, 20.0]
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == [
        "grafik-1.png",
        "grafik-2.png",
        "grafik-3.png",
        "grafik-prank-ghost.png",
    ]
    patterns = data["prank_ghost_patterns"]
    assert patterns["total"] == 1777 == sum(patterns["by_weekday"]) == sum(patterns["by_hour"])

    done = run(tmp_path, "report", "--period", "2023-03")
    assert done.returncode == 0 and "| 1 | Maret | 4.803 | 270 | 226 | 96% | 159 |" in done.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "timestamp,type,category,location,agencies,phone\n2023-03-05T21:14:00+07:00,prank,pju,,,\n"
    )
    done = run(tmp_path, "import-calls", str(bad))
    assert done.returncode == 1 and "Baris 1: panggilan prank tidak boleh berkategori" in done.stderr
