"""The report's sentences from the figures alone (bot/reports/facts.py): pure, no database, no document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

import pytest

from bot.reports import facts
from routing import stats
from routing.table import RoutingTable, load_routing
from tests.data import seed_2023, synthetic_2024

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def routing() -> RoutingTable:
    return load_routing()


def report_of(period: str, table2: Iterable[tuple[str, int, int, int, str, int]], categories: Mapping[str, int],
              kecamatan: Mapping[str, int], routing: RoutingTable, skip: Iterable[str] = ()) -> stats.Report:  # fmt: skip
    """A Report as bot.reports.service.build_report makes it, from table-shaped figures."""
    p = stats.parse_period(period, WIB)
    months = stats.months_in(p)
    rows = [r for r in table2 if r[0] in months]
    telephony = {
        m: stats.TelephonyMonth(m, i, a, d, float(pct.rstrip("%")))
        for m, i, a, d, pct, _ in rows
        if m not in set(skip)
    }
    t2, total = stats.build_table2(months, {r[0]: r[5] for r in rows}, telephony)
    names = {code: c.name for code, c in routing.categories.items()}
    return stats.Report(p, t2, total, stats.build_table3(categories, names),
                        stats.build_table4(kecamatan, always=routing.kecamatan), 0,
                        [m for m in months if m not in telephony])  # fmt: skip


def seed_report(routing: RoutingTable, period: str = "2023", skip: Iterable[str] = ()) -> stats.Report:
    kec = {k: n for k, n, _ in seed_2023.TABLE4}
    return report_of(period, seed_2023.TABLE2, dict(seed_2023.TABLE3), kec, routing, skip)


def synthetic_report(routing: RoutingTable, skip: Iterable[str] = ()) -> stats.Report:
    categories: dict[str, int] = {}
    for code, _, n in synthetic_2024.CALLS:
        categories[code] = categories.get(code, 0) + n
    kec = {"Sukorejo": 55, "Kepanjenkidul": 10, "Sananwetan": 25}
    return report_of("2024", synthetic_2024.TABLE2, categories, kec, routing, skip)


def test_indonesian_numbers_months_and_lists() -> None:
    assert (
        facts.number_id(1777) == "1.777"
        and facts.number_id(53814) == "53.814"
        and facts.number_id(None) == "-"
    )
    assert facts.number_id(1234567) == "1.234.567"
    assert facts.percent_id(95.3) == "95,3%" and facts.percent_id(98.0) == "98%"
    assert facts.percent_id(20.0, fixed=True) == "20,0%"
    assert facts.month_id("2023-04") == "April 2023" and facts.month_id("2024-12") == "Desember 2024"
    assert facts.join_id(["a"]) == "a" and facts.join_id(["a", "b", "c"]) == "a, b dan c"


def test_seed_year_facts(routing: RoutingTable) -> None:
    report = seed_report(routing)
    f = facts.call_facts(report, 95)
    assert f.most_to_agent == facts.Extreme(("2023-04",), 342)
    assert f.most_prank_ghost == facts.Extreme(("2023-06",), 263)
    assert f.sla_high == facts.Extreme(("2023-07",), 98) and f.sla_low == facts.Extreme(("2023-09",), 92)
    assert f.sla_period == 95.3 and f.missing == ()
    assert (f.share_part, f.share_whole, f.share) == (1777, 2983, 59.6)  # the seed printed 59% of "total"
    text = facts.calls_paragraph(f, report, "Call Center 112 Kota Blitar")
    assert "terbanyak ada pada bulan April 2023 dengan total panggilan 342" in text
    assert "prank dan ghost call terbanyak pada bulan Juni 2023 dengan total 263" in text
    assert "tertinggi pada bulan Juli 2023 sebesar 98%" in text
    assert "terendah pada bulan September 2023 sebesar 92%" in text
    assert "Hingga akhir tahun 2023, SLA Call Center 112 Kota Blitar diperoleh sebesar 95,3%" in text
    assert "melebihi standar yang ditentukan yakni sebesar 95%" in text
    assert "59,6% dari panggilan yang masuk ke agent (1.777 dari 2.983)" in text
    category = facts.category_paragraph(report, routing, "Kota Blitar")
    assert "adalah Permasalahan PJU (141 panggilan, 19,9% dari 710 panggilan berkategori)" in category
    assert "yang diampu oleh Dinas Perhubungan Kota Blitar" in category
    location = facts.location_paragraph(report, "Kota Blitar")
    assert (
        "adalah Kecamatan Kepanjenkidul dengan 289 panggilan (40,7% dari 710 panggilan berlokasi)" in location
    )
    notes = " ".join(facts.data_notes(report, f))
    assert "prank & ghost 1.777" in notes and "53.814" in notes and "lengkap" in notes


def test_the_standard_comes_from_the_settings(routing: RoutingTable) -> None:
    report = seed_report(routing)
    assert "memenuhi standar yang ditentukan yakni sebesar 95,3%" in facts.calls_paragraph(
        facts.call_facts(report, 95.3), report, "X"
    )
    assert "berada di bawah standar yang ditentukan yakni sebesar 97%" in facts.calls_paragraph(
        facts.call_facts(report, 97), report, "X"
    )


def test_another_year_states_its_own_figures(routing: RoutingTable) -> None:
    report = synthetic_report(routing)
    f = facts.call_facts(report, 95)
    text = facts.calls_paragraph(f, report, "Call Center 112 Kota Blitar")
    assert "pada bulan November 2024 dengan total panggilan 410" in text
    assert "prank dan ghost call terbanyak pada bulan Maret 2024 dengan total 120" in text
    assert "tertinggi pada bulan Februari 2024 sebesar 99%" in text
    assert "terendah pada bulan Agustus 2024 sebesar 90%" in text
    assert "sebesar 94,8%, berada di bawah standar" in text
    assert "31,4% dari panggilan yang masuk ke agent (830 dari 2.640)" in text
    for seed_figure in ("April", "342", "Juni", "263", "Juli", "98%", "2023"):
        assert seed_figure not in text
    category = facts.category_paragraph(report, routing, "Kota Blitar")
    assert "adalah Kebakaran (40 panggilan" in category and "UPTD Pemadam Kebakaran Kota Blitar" in category
    assert "Kecamatan Sukorejo dengan 55 panggilan (61,1% dari 90" in facts.location_paragraph(
        report, "Kota Blitar"
    )


def test_months_without_telephony_are_skipped_and_named(routing: RoutingTable) -> None:
    report = synthetic_report(routing, skip=("2024-11", "2024-02"))
    f = facts.call_facts(report, 95)
    assert f.missing == ("2024-02", "2024-11")
    text = facts.calls_paragraph(f, report, "Call Center 112 Kota Blitar")
    assert "November" not in text and "Februari" not in text and "410" not in text and "99%" not in text
    assert "pada bulan Oktober 2024 dengan total panggilan 280" in text
    assert "tertinggi pada bulan Juli 2024 dan Desember 2024 sebesar 97%" in text  # a tie names both
    assert "sebesar 94,7% (rata-rata SLA dari 10 bulan yang memiliki data platform telepon)" in text
    assert "32,8% dari panggilan yang masuk ke agent (685 dari 2.090 pada bulan yang memiliki" in text
    # Prank and ghost calls are the bot's own records: March still counts.
    assert "prank dan ghost call terbanyak pada bulan Maret 2024 dengan total 120" in text
    notes = facts.data_notes(report, f)
    (missing,) = [n for n in notes if n.startswith("Belum ada data platform telepon")]
    assert "Februari 2024 dan November 2024" in missing and "tidak ditebak" in missing


def test_a_period_without_any_telephony(routing: RoutingTable) -> None:
    report = seed_report(routing, "2023-Q2", skip=("2023-04", "2023-05", "2023-06"))
    f = facts.call_facts(report, 95)
    assert f.sla_high is None and f.most_to_agent is None and f.share is None
    text = facts.calls_paragraph(f, report, "X")
    assert (
        "SLA" not in text.split(". ")[0]
        and "Data platform telepon belum tersedia untuk Triwulan II 2023" in text
    )
    assert "prank dan ghost call terbanyak pada bulan Juni 2023 dengan total 263" in text
    (summed,) = [n for n in facts.data_notes(report, f) if n.startswith("Baris TOTAL")]
    assert summed.endswith("tidak diketik: prank & ghost 623.")  # 211 + 149 + 263; no "-" figures listed


def test_one_month(routing: RoutingTable) -> None:
    report = seed_report(routing, "2023-03")
    text = facts.calls_paragraph(facts.call_facts(report, 95), report, "X")
    assert text.startswith("Berdasarkan data yang didapatkan, pada Maret 2023 panggilan masuk ke agent")
    assert "berjumlah 270" in text and "serta prank dan ghost call berjumlah 159." in text
    assert "Selama Maret 2023, SLA X diperoleh sebesar 96%, melebihi" in text
    assert "58,9% dari panggilan yang masuk ke agent (159 dari 270)" in text


def test_ties_and_categories_without_an_agency(routing: RoutingTable) -> None:
    p = "2023-05"
    tie = report_of(p, seed_2023.TABLE2, {"informasi": 9, "kebakaran": 9, "pju": 2}, {"Sukorejo": 4, "Sananwetan": 4},
                    routing)  # fmt: skip
    category = facts.category_paragraph(tie, routing, "Kota Blitar")
    assert "Informasi, yang dilayani langsung oleh Call Taker" in category
    assert (
        "Kebakaran yang diampu oleh UPTD Pemadam Kebakaran Kota Blitar, masing-masing 9 panggilan" in category
    )
    location = facts.location_paragraph(tie, "Kota Blitar")
    assert "Kecamatan Sananwetan dan Kecamatan Sukorejo, masing-masing 4 panggilan (50,0%" in location

    info_first = report_of(p, seed_2023.TABLE2, {"informasi": 9, "ambulans": 3}, {}, routing)
    text = facts.category_paragraph(info_first, routing, "Kota Blitar")
    assert "adalah Informasi (9 panggilan" in text and "tanpa diteruskan ke instansi" in text
    # The lead of "ambulans" is a local group: the Puskesmas of the incident's kecamatan.
    assert (
        "diteruskan ke instansi adalah Permintaan Ambulance (3 panggilan) yang diampu oleh Puskesmas setempat"
        in text
    )
    assert "Belum ada panggilan dengan lokasi kejadian" in facts.location_paragraph(info_first, "Kota Blitar")

    empty = report_of(p, [], {}, {}, routing)
    assert facts.category_paragraph(empty, routing, "Kota Blitar").startswith(
        "Belum ada panggilan berkategori"
    )
    assert "tidak tercatat" not in facts.calls_paragraph(facts.call_facts(empty, 95), empty, "X")
