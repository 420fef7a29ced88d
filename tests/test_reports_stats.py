"""routing.stats: periods in WIB, percentiles, shares and the table builders (pure, milliseconds)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from routing import stats

WIB = ZoneInfo("Asia/Jakarta")


def test_periods_are_cut_in_wib() -> None:
    year = stats.parse_period("2023", WIB)
    assert (year.kind, year.label, year.title) == ("year", "2023", "Tahun 2023")
    assert year.start.astimezone(UTC) == datetime(2022, 12, 31, 17, tzinfo=UTC)
    assert year.end.astimezone(UTC) == datetime(2023, 12, 31, 17, tzinfo=UTC)
    assert len(stats.months_in(year)) == 12

    q = stats.parse_period(" 2023-q4 ", WIB)
    assert (q.label, q.title, stats.months_in(q)) == (
        "2023-Q4",
        "Triwulan IV 2023",
        ["2023-10", "2023-11", "2023-12"],
    )
    assert q.end == datetime(2024, 1, 1, tzinfo=WIB)

    month = stats.parse_period("2024-02", WIB)
    assert (month.title, month.end - month.start) == ("Februari 2024", timedelta(days=29))

    day = stats.parse_period("2023-03-05", WIB)
    assert (day.kind, day.title, stats.months_in(day)) == ("day", "5 Maret 2023", ["2023-03"])
    assert day.start.timestamp() == datetime(2023, 3, 4, 17, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("text", ["", "23", "2023-Q5", "2023-13", "2023-02-30", "2023/03", "maret", "1969"])
def test_bad_periods_say_why_in_indonesian(text: str) -> None:
    with pytest.raises(ValueError, match="Periode"):
        stats.parse_period(text, WIB)


def test_local_day_numbers_fold_into_months() -> None:
    # 2023-02-28T17:30Z is 1 March 00:30 WIB.
    at = datetime(2023, 2, 28, 17, 30, tzinfo=UTC).timestamp()
    assert stats.month_of_local_day(int(at + 7 * 3600) // 86400) == "2023-03"
    assert stats.month_of_local_day(int(at) // 86400) == "2023-02"


def test_percentile_interpolates() -> None:
    assert stats.percentile([], 50) is None
    assert stats.percentile([7.0], 90) == 7.0
    assert stats.percentile([4, 1, 3, 2], 50) == 2.5
    assert stats.percentile([10, 20, 30, 40, 50], 90) == pytest.approx(46.0)
    assert stats.percentile([1, 2], 0) == 1 and stats.percentile([1, 2], 100) == 2
    with pytest.raises(ValueError):
        stats.percentile([1.0], 101)


def test_share_rounds_half_up_exactly() -> None:
    assert [stats.share(n, 710) for n in (289, 279, 142)] == [40.7, 39.3, 20.0]
    assert stats.share(1, 8) == 12.5 and stats.share(1, 16) == 6.3  # 6.25 -> 6.3, not banker's 6.2
    assert stats.share(3, 0) == 0.0


def test_table2_totals_from_rows() -> None:
    tel = {"2023-01": stats.TelephonyMonth("2023-01", 100, 10, 9, 97.0)}
    rows, total = stats.build_table2(["2023-01", "2023-02"], {"2023-01": 3, "2023-02": 4}, tel)
    assert rows[1] == stats.Table2Row("2023-02", None, None, None, None, 4)
    assert total == stats.Table2Row("TOTAL", 100, 10, 9, 97.0, 7)  # the mean of the months with figures
    _, empty = stats.build_table2(["2023-01"], {}, {})
    assert empty == stats.Table2Row("TOTAL", None, None, None, None, 0)


def test_tables_3_and_4_order() -> None:
    t3 = stats.build_table3({"b": 2, "a": 2, "c": 5, "z": 0}, {"a": "Kebencanaan", "b": "Keamanan"})
    assert [(r.category, r.count) for r in t3] == [("c", 5), ("b", 2), ("a", 2)]
    assert t3[0].name == "c"  # a code no longer in routing shows as itself
    t4 = stats.build_table4({"Sananwetan": 1}, always=["Kepanjenkidul", "Sananwetan"])
    assert [(r.kecamatan, r.count, r.percentage) for r in t4] == [
        ("Sananwetan", 1, 100.0),
        ("Kepanjenkidul", 0, 0.0),
    ]


def test_stats_module_is_pure() -> None:
    tree = ast.parse(Path(stats.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {
        "__future__",
        "math",
        "re",
        "collections",
        "dataclasses",
        "datetime",
        "fractions",
        "typing",
    }
    assert "now(" not in Path(stats.__file__).read_text(encoding="utf-8")
    assert stats.parse_period("2023", timezone(timedelta(hours=7))).start.utcoffset() == timedelta(hours=7)
