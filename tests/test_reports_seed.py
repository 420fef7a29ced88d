"""The 2023 seed report, rebuilt from imported call logs and telephony figures via the CLI functions."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.reports.cli import run_import_calls, run_import_telephony, run_report
from routing.table import RoutingTable, load_routing
from tests.data.seed_2023 import CALL_ROWS, TABLE2, TABLE3, TABLE4, write_seed_csvs

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def routing() -> RoutingTable:
    return load_routing()


@pytest.fixture
async def seeded(
    tmp_path: Path, db_target: str, routing: RoutingTable, capsys: pytest.CaptureFixture[str]
) -> str:
    telephony, calls = write_seed_csvs(tmp_path / "csv")
    db = db_target  # the SQLite file, or a PostgreSQL database
    assert await run_import_telephony(argparse.Namespace(file=str(telephony)), db, WIB, routing) == 0
    assert await run_import_calls(argparse.Namespace(file=str(calls)), db, WIB, routing) == 0
    out = capsys.readouterr().out
    assert CALL_ROWS == 2488  # 1,777 prank & ghost + 710 categorised + one call of 2024 (WIB)
    assert "Diimpor 12 bulan, 0 diperbarui, 0 sudah ada" in out
    assert "Diimpor 2.488 panggilan, 0 sudah ada" in out
    return db


async def report_json(db: str, routing: RoutingTable, capsys: pytest.CaptureFixture[str], period: str) -> Any:
    args = argparse.Namespace(period=period, format="json", charts=None)
    assert await run_report(args, db, WIB, routing) == 0
    return json.loads(capsys.readouterr().out)


async def test_annual_json_matches_seed(seeded: str, routing: RoutingTable, capsys: Any) -> None:
    data = await report_json(seeded, routing, capsys, "2023")
    assert data["period"] == "2023"
    rows = data["table2"]
    assert [r["month"] for r in rows] == [m for m, *_ in TABLE2]
    for row, (month, incoming, to_agent, answered, pct, prank_ghost) in zip(rows, TABLE2, strict=True):
        assert row == {
            "month": month,
            "incoming": incoming,
            "to_agent": to_agent,
            "answered": answered,
            "percentage": float(pct.rstrip("%")),
            "prank_ghost": prank_ghost,
        }
    total = data["table2_total"]
    # The seed prints 1,776; its own months sum to 1,777.
    assert total["prank_ghost"] == 1777
    assert (total["month"], total["incoming"], total["to_agent"], total["answered"]) == (
        "TOTAL",
        53814,
        2983,
        2472,
    )
    assert total["percentage"] == 95.3  # the mean of the months' service levels; the seed rounds to 95%
    assert [(r["category"], r["count"]) for r in data["table3"]] == TABLE3
    assert data["table3"][0]["name"] == routing.categories["pju"].name
    assert [(r["kecamatan"], r["count"], r["percentage"]) for r in data["table4"]] == TABLE4


async def test_markdown_reads_like_the_seed(seeded: str, routing: RoutingTable, capsys: Any) -> None:
    args = argparse.Namespace(period="2023", format="md", charts=None)
    assert await run_report(args, seeded, WIB, routing) == 0
    md = capsys.readouterr().out
    assert "Tabel 2 Jumlah Panggilan" in md
    assert "| 1 | Januari | 5.056 | 223 | 180 | 97% | 79 |" in md
    assert "**53.814**" in md and "**1.777**" in md and "**95,3%**" in md
    assert "| 1 | Permasalahan PJU | 141 |" in md
    assert "| 1 | Kepanjenkidul | 289 | 40,7% |" in md
    assert "| 3 | Sukorejo | 142 | 20,0% |" in md
    assert "Tanpa lokasi" not in md


async def test_csv_has_three_sections(seeded: str, routing: RoutingTable, capsys: Any) -> None:
    args = argparse.Namespace(period="2023", format="csv", charts=None)
    assert await run_report(args, seeded, WIB, routing) == 0
    sections = capsys.readouterr().out.strip().split("\n\n")
    assert [s.splitlines()[0] for s in sections] == [
        "month,incoming,to_agent,answered,percentage,prank_ghost",
        "category,name,count",
        "kecamatan,count,percentage",
        # then the prank & ghost patterns, after the three tables
        "weekday," + ",".join(f"h{h:02d}" for h in range(24)) + ",total",
        "prank_kecamatan,count,percentage",
    ]
    assert sections[0].splitlines()[-1] == "TOTAL,53814,2983,2472,95.3,1777"
    assert sections[2].splitlines()[1] == "Kepanjenkidul,289,40.7"


async def test_reimport_adds_nothing(seeded: str, tmp_path: Path, routing: RoutingTable, capsys: Any) -> None:
    telephony, calls = tmp_path / "csv" / "telephony-2023.csv", tmp_path / "csv" / "calls-2023.csv"
    args = argparse.Namespace(file=str(calls))
    assert await run_import_calls(args, seeded, WIB, routing) == 0
    assert await run_import_telephony(argparse.Namespace(file=str(telephony)), seeded, WIB, routing) == 0
    out = capsys.readouterr().out
    assert "Diimpor 0 panggilan, 2.488 sudah ada" in out
    assert "Diimpor 0 bulan, 0 diperbarui, 12 sudah ada" in out
    data = await report_json(seeded, routing, capsys, "2023")
    assert data["table2_total"]["prank_ghost"] == 1777


async def test_quarter_month_and_day_periods(seeded: str, routing: RoutingTable, capsys: Any) -> None:
    q1 = await report_json(seeded, routing, capsys, "2023-q1")
    assert q1["period"] == "2023-Q1"
    assert [r["month"] for r in q1["table2"]] == ["2023-01", "2023-02", "2023-03"]
    assert q1["table2_total"]["prank_ghost"] == 79 + 79 + 159
    assert q1["table2_total"]["to_agent"] == 223 + 176 + 270

    march = await report_json(seeded, routing, capsys, "2023-03")
    assert [(r["month"], r["prank_ghost"], r["incoming"]) for r in march["table2"]] == [
        ("2023-03", 159, 4803)
    ]

    # 00:30 WIB on 1 March is 28 February in UTC: it belongs to this day and this month.
    day = await report_json(seeded, routing, capsys, "2023-03-01")
    assert day["period"] == "2023-03-01"
    (row,) = day["table2"]
    assert row["prank_ghost"] >= 2  # the +07:00 and the Z-written boundary rows
    assert row["incoming"] is None  # telephony figures are monthly, not per day
    assert day["table2_total"]["percentage"] is None

    # December excludes the call at 2024-01-01 03:00 WIB (still 2023 in UTC).
    dec = await report_json(seeded, routing, capsys, "2023-12")
    assert dec["table2"][0]["prank_ghost"] == 117
    jan_2024 = await report_json(seeded, routing, capsys, "2024-01-01")
    assert jan_2024["table2_total"]["prank_ghost"] == 1


async def test_charts_written(seeded: str, tmp_path: Path, routing: RoutingTable, capsys: Any) -> None:
    out = tmp_path / "grafik"
    args = argparse.Namespace(period="2023", format="md", charts=str(out))
    assert await run_report(args, seeded, WIB, routing) == 0
    for n in (1, 2, 3):
        png = out / f"grafik-{n}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 5000
    assert "grafik-3.png" in capsys.readouterr().err


async def test_bad_period_is_refused(tmp_path: Path, routing: RoutingTable, capsys: Any) -> None:
    args = argparse.Namespace(period="2023-13", format="json", charts=None)
    assert await run_report(args, str(tmp_path / "db.sqlite3"), WIB, routing) == 2
    assert "Periode '2023-13'" in capsys.readouterr().err
