"""import-calls and import-telephony: every row checked first, nothing stored from a bad file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.reports.cli import run_import_calls, run_import_telephony, run_report
from routing.table import RoutingTable, load_routing
from storage.db import connect
from tests import dbread

WIB = ZoneInfo("Asia/Jakarta")
CALLS_HEADER = "timestamp,type,category,location,agencies,phone\n"
TELEPHONY_HEADER = "month,incoming,to_agent,answered,percentage\n"


@pytest.fixture(scope="module")
def routing() -> RoutingTable:
    return load_routing()


@pytest.fixture
def db(db_target: str) -> str:
    return db_target


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


async def count(db: str, table: str) -> int:
    conn = await connect(db)
    try:
        async with conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:
            row = await cur.fetchone()
    finally:
        await conn.close()
    assert row is not None
    return int(row[0])


async def import_calls(db: str, routing: RoutingTable, file: str) -> int:
    return await run_import_calls(argparse.Namespace(file=file), db, WIB, routing)


async def test_bad_rows_import_nothing_and_are_named(
    tmp_path: Path, db: str, routing: RoutingTable, capsys: Any
) -> None:
    good = "2023-03-05T21:14:00+07:00,incident,kebakaran,Sentul,damkar;polres,081234567890\n"
    text = CALLS_HEADER + good
    text += "2023-03-05T21:20:00+07:00,incident,banjir-bandang,Sentul,damkar,\n"  # 2: unknown category
    text += "05/03/2023 21:14,prank,,,,\n"  # 3: not ISO 8601
    text += "2023-03-05T21:14:00+07:00,incident,pju,Rembang,dishub;pemadam,\n"  # 4: unknown agency
    text += "2023-03-05T21:14:00+07:00,prank,pju,,,\n"  # 5: prank with a category
    text += "2023-03-05T21:14:00,ghost,,,,\n"  # 6: no offset
    text += "2023-03-05T21:14:00+07:00,incident,,Sentul,,\n"  # 7: incident without category
    text += "2023-03-05T21:14:00+07:00,informasi,informasi,Atlantis,,\n"  # 8: unknown place
    text += "2023-03-05T21:14:00+07:00,panik,,,,\n"  # 9: unknown type
    text += "2023-03-05T21:14:00+07:00,ghost,,,,12ab\n"  # 10: bad phone
    text += "2023-03-05T21:14:00+07:00,ghost,,\n"  # 11: wrong width
    text += good
    text += "0223-03-05T21:14:00+07:00,ghost,,,,\n"  # 13: a typo in the year
    assert await import_calls(db, routing, write(tmp_path, "bad.csv", text)) == 1
    err = capsys.readouterr().err
    for row, reason in [
        (2, "kategori 'banjir-bandang' tidak dikenal"),
        (3, "bukan ISO 8601"),
        (4, "instansi 'pemadam' tidak dikenal"),
        (5, "panggilan prank tidak boleh berkategori"),
        (6, "tanpa zona waktu"),
        (7, "kategori wajib untuk incident"),
        (8, "lokasi 'Atlantis'"),
        (9, "tipe 'panik' tidak dikenal"),
        (10, "nomor telepon '12ab' tidak sah"),
        (11, "ada 4 kolom, seharusnya 6"),
        (13, "tahun harus antara 2000 dan 2099"),
    ]:
        assert f"Baris {row}: " in err and reason in err.split(f"Baris {row}: ")[1].splitlines()[0]
    assert "Baris 1:" not in err and "Baris 12:" not in err
    assert "Tidak ada yang diimpor" in err and "11 baris bermasalah" in err
    assert await count(db, "calls") == 0


async def test_identical_rows_in_one_file_are_both_kept(
    tmp_path: Path, db: str, routing: RoutingTable, capsys: Any
) -> None:
    row = "2023-03-05T21:14:00+07:00,ghost,,,,\n"
    file = write(tmp_path, "twice.csv", CALLS_HEADER + row + row)
    assert await import_calls(db, routing, file) == 0
    assert await import_calls(db, routing, file) == 0
    out = capsys.readouterr().out
    assert "Diimpor 2 panggilan, 0 sudah ada" in out and "Diimpor 0 panggilan, 2 sudah ada" in out
    # The same instant written in UTC is the same call.
    utc = write(tmp_path, "utc.csv", CALLS_HEADER + "2023-03-05T14:14:00Z,GHOST,,,,\n")
    assert await import_calls(db, routing, utc) == 0
    assert "Diimpor 0 panggilan, 1 sudah ada" in capsys.readouterr().out
    assert await count(db, "calls") == 2


async def test_places_agencies_and_phones_are_normalised(
    tmp_path: Path, db: str, routing: RoutingTable, capsys: Any
) -> None:
    text = CALLS_HEADER
    text += (
        "2023-03-05T21:14:00+07:00,incident,Kebakaran,KEPANJEN KIDUL, DAMKAR ; polres ;,+62 812-3456-7890\n"
    )
    text += "2023-03-05T21:15:00+07:00,incident,pju,kec. sanan wetan,dishub,\n"
    text += "2023-03-05T21:16:00+07:00,informasi,informasi,,,\n"
    text += "2023-03-05T21:17:00+07:00,incident,pju,garum,112-kab-blitar\n".replace("\n", ",\n")
    assert await import_calls(db, routing, write(tmp_path, "ok.csv", text)) == 0
    rows = dbread.rows(
        db,
        "SELECT category, kelurahan, kecamatan, agencies, phone, phone_masked, source FROM calls ORDER BY id",
    )
    assert rows[0] == (
        "kebakaran",
        "Kepanjenkidul",
        "Kepanjenkidul",
        "damkar;polres",
        "081234567890",
        "0812****7890",
        "import",
    )
    assert rows[1][1:3] == (None, "Sananwetan")
    assert rows[2][1:3] == (None, None)
    assert rows[3][2] == "Garum"
    capsys.readouterr()
    args = argparse.Namespace(period="2023-03-05", format="md", charts=None)
    assert await run_report(args, db, WIB, routing) == 0
    md = capsys.readouterr().out
    assert "Tanpa lokasi: 1 panggilan" in md
    # A call outside the city keeps its kecamatan in Table 4; the city's three always show.
    assert "| Garum | 1 | 33,3% |" in md and "| Sukorejo | 0 | 0,0% |" in md


async def test_wrong_header_and_missing_file(
    tmp_path: Path, db: str, routing: RoutingTable, capsys: Any
) -> None:
    bad = write(tmp_path, "h.csv", "waktu,tipe\n2023-03-05T21:14:00+07:00,ghost\n")
    assert await import_calls(db, routing, bad) == 1
    assert "kolom hilang: timestamp, type" in capsys.readouterr().err
    assert await import_calls(db, routing, str(tmp_path / "nope.csv")) == 1
    assert "tidak ditemukan" in capsys.readouterr().err
    # The phone column may be left out.
    short = write(
        tmp_path, "s.csv", "timestamp,type,category,location,agencies\n2023-03-05T21:14:00+07:00,ghost,,,\n"
    )
    assert await import_calls(db, routing, short) == 0


async def test_telephony_upsert_and_bad_rows(
    tmp_path: Path, db: str, routing: RoutingTable, capsys: Any
) -> None:
    async def run(text: str) -> int:
        file = write(tmp_path, "t.csv", TELEPHONY_HEADER + text)
        return await run_import_telephony(argparse.Namespace(file=file), db, WIB, routing)

    assert await run('2023-01,5.056,223,180,97%\n2023-02,3897,176,147,"97,5%"\n') == 0
    assert await run("2023-01,5056,223,180,97\n2023-02,3897,176,150,96\n2023-03,4803,270,226,96%\n") == 0
    out = capsys.readouterr().out
    assert "Diimpor 2 bulan, 0 diperbarui, 0 sudah ada" in out
    assert "Diimpor 1 bulan, 1 diperbarui, 1 sudah ada" in out
    bad = "2023-04,1,1,1,90\n2023-13,1,1,1,90\n2023-05,10,20,5,90\n2023-06,x,1,1,90\n"
    bad += "2023-07,9,5,4,120%\n2023-04,1,1,1,9\n"
    assert await run(bad) == 1
    err = capsys.readouterr().err
    assert "Baris 2: bulan '2023-13'" in err
    assert "Baris 3: harus dijawab" in err
    assert "Baris 4: incoming 'x' bukan bilangan bulat" in err
    assert "Baris 5: persentase '120%' harus antara 0 dan 100" in err
    assert "Baris 6: bulan 2023-04 muncul dua kali" in err
    assert await count(db, "telephony_months") == 3
    args = argparse.Namespace(period="2023-Q1", format="json", charts=None)
    assert await run_report(args, db, WIB, routing) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["percentage"] for r in data["table2"]] == [97.0, 96.0, 96.0]
    assert data["table2_total"]["answered"] == 180 + 150 + 226
