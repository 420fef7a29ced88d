"""`report --format docx`: the document read back with python-docx against the JSON report and the data."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
from docx.document import Document

from bot.reports.cli import run_import_calls, run_import_telephony, run_report
from bot.settings import ReportSettings
from routing import stats
from routing.table import RoutingTable
from tests.data import synthetic_2024
from tests.dbread import new_target, storage_toml
from tests.test_reports_seed import report_json, routing, seeded

__all__ = ["routing", "seeded"]  # fixtures shared with the seed's report tests
WIB = ZoneInfo("Asia/Jakarta")
ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


async def write_docx(
    db: str, routing: RoutingTable, out: Path, period: str, cfg: ReportSettings | None = None
) -> Document:
    args = argparse.Namespace(period=period, format="docx", charts=None, output=str(out))
    assert await run_report(args, db, WIB, routing, cfg) == 0
    return docx.Document(str(out))


def cells(doc: Document, n: int) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in doc.tables[n].rows]


def number(text: str) -> int | None:
    return None if text == "-" else int(text.replace(".", ""))


def percent(text: str) -> float | None:
    return None if text == "-" else float(text.removesuffix("%").replace(",", "."))


def text_of(doc: Document) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def paragraph_with(doc: Document, *needles: str) -> str:
    found = [p.text for p in doc.paragraphs if all(n in p.text for n in needles)]
    assert found, f"no paragraph holds {needles}:\n{text_of(doc)}"
    return found[0]


def assert_tables_match(doc: Document, data: dict[str, Any], period_kind: str = "year") -> None:
    """Every figure of Tables 2-4 in the document equals the JSON report's."""
    t2 = cells(doc, 0)
    assert t2[0] == ["No", "Waktu", "Total Panggilan Masuk", "Total Panggilan Masuk ke Agent",
                     "Total Panggilan Dijawab", "Persentase Panggilan", "Prank & Ghost"]  # fmt: skip
    keys = ("incoming", "to_agent", "answered")
    body, total = t2[1:-1], t2[-1]
    assert len(body) == len(data["table2"])
    for i, (row, want) in enumerate(zip(body, data["table2"], strict=True), start=1):
        assert row[0] == str(i)
        if period_kind != "day":
            assert row[1] == stats.MONTHS_ID[int(want["month"][5:7]) - 1]
        assert [number(c) for c in row[2:5]] == [want[k] for k in keys]
        assert percent(row[5]) == want["percentage"] and number(row[6]) == want["prank_ghost"]
    want = data["table2_total"]
    assert total[1] == "TOTAL"
    assert [number(c) for c in total[2:5]] == [want[k] for k in keys]
    assert percent(total[5]) == want["percentage"] and number(total[6]) == want["prank_ghost"]

    t3 = cells(doc, 1)
    assert t3[0] == ["No", "Kategori", "Jumlah Insiden"]
    assert [(r[1], number(r[2])) for r in t3[1:-1]] == [(c["name"], c["count"]) for c in data["table3"]]
    assert t3[-1][1:] == ["TOTAL", f"{sum(c['count'] for c in data['table3']):,}".replace(",", ".")]

    t4 = cells(doc, 2)
    assert t4[0] == ["No", "Berdasarkan Wilayah", "Jumlah", "Persentase"]
    assert [(r[1], number(r[2]), percent(r[3])) for r in t4[1:-1]] == [
        (k["kecamatan"], k["count"], k["percentage"]) for k in data["table4"]
    ]


def pictures(doc: Document) -> list[bytes]:
    blobs = []
    for shape in doc.inline_shapes:
        rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        blobs.append(doc.part.related_parts[rid].blob)
    return blobs


async def test_seed_year_document(seeded: str, routing: RoutingTable, tmp_path: Path, capsys: Any) -> None:
    data = await report_json(seeded, routing, capsys, "2023")
    doc = await write_docx(seeded, routing, tmp_path / "laporan.docx", "2023")
    assert "Dokumen ditulis" in capsys.readouterr().err
    assert_tables_match(doc, data)
    assert cells(doc, 0)[-1][2:] == ["53.814", "2.983", "2.472", "95,3%", "1.777"]
    assert cells(doc, 2)[1] == ["1", "Kepanjenkidul", "289", "40,7%"]

    blobs = pictures(doc)
    assert len(blobs) == 3 and len(set(blobs)) == 3  # Grafik 1-3, each its own picture
    assert all(b.startswith(PNG) and len(b) > 5000 for b in blobs)

    text = text_of(doc)
    assert text.splitlines()[:3] == ["LAPORAN TAHUNAN", "CALL CENTER 112 KOTA BLITAR", "TAHUN 2023"]
    for heading in ("a. Jumlah Panggilan", "b. Panggilan Berdasarkan Kategori Kejadian",
                    "c. Panggilan Berdasarkan Kategori Lokasi Kejadian", "Catatan data"):  # fmt: skip
        assert any(p.text == heading and p.style.name.startswith("Heading") for p in doc.paragraphs)
    calls = paragraph_with(doc, "April 2023", "342")
    assert "Juni 2023 dengan total 263" in calls and "Juli 2023 sebesar 98%" in calls
    assert "95,3%, melebihi standar yang ditentukan yakni sebesar 95%" in calls
    assert "59,6% dari panggilan yang masuk ke agent (1.777 dari 2.983)" in calls
    paragraph_with(doc, "Permasalahan PJU", "Dinas Perhubungan")
    paragraph_with(doc, "Kecamatan Kepanjenkidul", "289")
    paragraph_with(doc, "TOTAL Tabel 2 dijumlahkan", "1.777")
    paragraph_with(doc, "lengkap untuk setiap bulan")
    # The seed's foreign terms are in italics, as it sets them.
    runs = [r for p in doc.paragraphs if p.text == calls for r in p.runs]
    assert any(r.text == "prank" and r.italic for r in runs)


async def test_another_year_changes_the_sentences(seeded: str, routing: RoutingTable, tmp_path: Path,
                                                  capsys: Any) -> None:  # fmt: skip
    telephony, calls = synthetic_2024.write_csvs(tmp_path / "csv")
    assert await run_import_telephony(argparse.Namespace(file=str(telephony)), seeded, WIB, routing) == 0
    assert await run_import_calls(argparse.Namespace(file=str(calls)), seeded, WIB, routing) == 0
    capsys.readouterr()
    data = await report_json(seeded, routing, capsys, "2024")
    doc = await write_docx(seeded, routing, tmp_path / "2024.docx", "2024")
    assert_tables_match(doc, data)
    text = text_of(doc)
    assert "TAHUN 2024" in text
    calls_text = paragraph_with(doc, "November 2024", "410")
    assert "Maret 2024 dengan total 120" in calls_text and "Februari 2024 sebesar 99%" in calls_text
    assert "Agustus 2024 sebesar 90%" in calls_text and "94,8%, berada di bawah standar" in calls_text
    paragraph_with(doc, "Kebakaran (40 panggilan", "UPTD Pemadam Kebakaran Kota Blitar")
    paragraph_with(doc, "Kecamatan Sukorejo dengan 55 panggilan")
    for seed_fact in ("April 2023", "342", "Permasalahan PJU (141", "Kepanjenkidul dengan"):
        assert seed_fact not in text


async def test_a_month_without_telephony_is_said_missing(tmp_path: Path, routing: RoutingTable,
                                                        capsys: Any) -> None:  # fmt: skip
    db = new_target(tmp_path, "gap.sqlite3")
    telephony, calls = synthetic_2024.write_csvs(tmp_path / "csv", skip=("2024-11",))
    assert await run_import_telephony(argparse.Namespace(file=str(telephony)), db, WIB, routing) == 0
    assert await run_import_calls(argparse.Namespace(file=str(calls)), db, WIB, routing) == 0
    capsys.readouterr()
    data = await report_json(db, routing, capsys, "2024")
    doc = await write_docx(db, routing, tmp_path / "gap.docx", "2024")
    assert_tables_match(doc, data)
    november = cells(doc, 0)[11]
    assert november[1:] == ["November", "-", "-", "-", "-", "110"]  # not a zero, not a guess
    calls_text = paragraph_with(doc, "terbanyak ada pada bulan")
    assert "November" not in calls_text and "410" not in calls_text
    assert "Oktober 2024 dengan total panggilan 280" in calls_text
    assert "rata-rata SLA dari 11 bulan yang memiliki data platform telepon" in calls_text
    paragraph_with(doc, "Belum ada data platform telepon untuk November 2024", "tidak ditebak")


async def test_quarter_and_month_documents(
    seeded: str, routing: RoutingTable, tmp_path: Path, capsys: Any
) -> None:
    q2 = await write_docx(seeded, routing, tmp_path / "q2.docx", "2023-Q2")
    assert_tables_match(q2, await report_json(seeded, routing, capsys, "2023-Q2"))
    assert text_of(q2).splitlines()[0] == "LAPORAN TRIWULAN" and "TRIWULAN II 2023" in text_of(q2)
    assert [r[1] for r in cells(q2, 0)[1:-1]] == ["April", "Mei", "Juni"]
    paragraph_with(q2, "April 2023 dengan total panggilan 342", "Selama Triwulan II 2023")

    march = await write_docx(seeded, routing, tmp_path / "m.docx", "2023-03")
    assert_tables_match(march, await report_json(seeded, routing, capsys, "2023-03"))
    assert text_of(march).splitlines()[:3] == ["LAPORAN BULANAN", "CALL CENTER 112 KOTA BLITAR", "MARET 2023"]
    paragraph_with(march, "pada Maret 2023 panggilan masuk ke agent", "270")
    assert len(pictures(march)) == 3


async def test_docx_needs_an_output_file(tmp_path: Path, routing: RoutingTable, capsys: Any) -> None:
    args = argparse.Namespace(period="2023", format="docx", charts=None, output=None)
    assert await run_report(args, str(tmp_path / "db.sqlite3"), WIB, routing) == 2
    assert "--output" in capsys.readouterr().err


def test_the_command_line_with_report_settings(seeded: str, tmp_path: Path) -> None:
    """`python run.py report --format docx --output FILE` as the office runs it, with its [report] settings."""
    settings = tmp_path / "settings.toml"
    settings.write_text(
        f'[storage]\n{storage_toml(seeded, tmp_path)}\n[report]\nname = "UPT Layanan 112 Uji"\nsla_target = 96\n',
        encoding="utf-8",
    )
    out = tmp_path / "out" / "laporan-2023.docx"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env["DISPATCH_SETTINGS"] = str(settings)
    cmd = [sys.executable, "run.py", "report", "--period", "2023", "--format", "docx", "--output", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = docx.Document(str(out))
    assert text_of(doc).splitlines()[1] == "UPT LAYANAN 112 UJI"
    assert doc.core_properties.title == "Laporan Tahunan UPT Layanan 112 Uji Tahun 2023"
    paragraph_with(doc, "SLA UPT Layanan 112 Uji diperoleh sebesar 95,3%, berada di bawah standar", "96%")
    assert not list(out.parent.glob(".*.tmp"))
