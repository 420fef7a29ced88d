"""storage/pg_sql.translate: the repositories' SQLite text as PostgreSQL reads it (pure; one case on a
real PostgreSQL that the CAST rule keeps SQLite's truncation)."""

from __future__ import annotations

import sqlite3

import pytest

from storage.pg_sql import Statement, translate
from tests.dbread import is_url, rows

KEYS = {"incidents": "id", "events": "id"}


def text(sql: str, *, many: bool = False) -> str:
    return translate(sql, KEYS, many=many).text


def test_placeholders_are_numbered_in_order() -> None:
    assert (
        text("SELECT a FROM t WHERE b = ? AND c > ? LIMIT ?")
        == "SELECT a FROM t WHERE b = $1 AND c > $2 LIMIT $3"
    )


def test_a_question_mark_inside_quotes_is_text_not_a_placeholder() -> None:
    sql = "SELECT a FROM t WHERE b = ? AND note = 'apa? kenapa?' AND c = ?"
    assert text(sql) == "SELECT a FROM t WHERE b = $1 AND note = 'apa? kenapa?' AND c = $2"


def test_insert_or_ignore_becomes_on_conflict_do_nothing() -> None:
    assert text("INSERT OR IGNORE INTO seen (update_id) VALUES (?)") == (
        "INSERT INTO seen (update_id) VALUES ($1) ON CONFLICT DO NOTHING"
    )
    assert text("insert or ignore into seen (update_id) values (?);") == (
        "INSERT INTO seen (update_id) values ($1) ON CONFLICT DO NOTHING"
    )


def test_insert_or_ignore_with_returning_puts_the_conflict_clause_before_it() -> None:
    statement = translate("INSERT OR IGNORE INTO seen (update_id) VALUES (?) RETURNING update_id", KEYS)
    assert statement == Statement(
        "INSERT INTO seen (update_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING update_id", True, False
    )


def test_insert_or_ignore_keeps_an_explicit_on_conflict() -> None:
    sql = "INSERT OR IGNORE INTO seen (k) VALUES (?) ON CONFLICT (k) DO UPDATE SET n = seen.n + 1"
    assert text(sql) == "INSERT INTO seen (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET n = seen.n + 1"


def test_two_argument_max_and_min_are_greatest_and_least_but_aggregates_stay() -> None:
    assert text("SELECT MAX(a, b), MIN(c, ?), MAX(x), min(y) FROM t") == (
        "SELECT GREATEST(a, b), LEAST(c, $1), MAX(x), min(y) FROM t"
    )


def test_scalar_max_with_a_nested_call_keeps_its_inner_commas() -> None:
    assert text("SELECT MAX(COALESCE(a, 0), b) FROM t") == "SELECT GREATEST(COALESCE(a, 0), b) FROM t"
    # An aggregate of a call with commas is still the aggregate.
    assert text("SELECT MAX(COALESCE(a, 0)) FROM t") == "SELECT MAX(COALESCE(a, 0)) FROM t"


def test_cast_as_integer_truncates_as_sqlite_does() -> None:
    assert text("SELECT CAST(at AS INTEGER) FROM events") == "SELECT CAST(trunc(at) AS BIGINT) FROM events"
    assert (
        text("SELECT cast( e.at as integer ) FROM events e")
        == "SELECT CAST(trunc(e.at) AS BIGINT) FROM events e"
    )


def test_json_extract_compared_with_one_reads_true_or_one() -> None:
    sql = "SELECT id FROM drafts WHERE json_extract(data, '$.open') = 1"
    assert text(sql) == "SELECT id FROM drafts WHERE (data::jsonb ->> 'open') IN ('true', '1')"


def test_json_extract_compared_with_a_parameter_reads_the_field_as_text() -> None:
    sql = "SELECT id FROM drafts WHERE json_extract(data, '$.chat_id') = ?"
    assert text(sql) == "SELECT id FROM drafts WHERE (data::jsonb ->> 'chat_id') = $1"
    # `= 10` is not `= 1`: only the boolean form reads true.
    sql = "SELECT id FROM drafts WHERE json_extract(data, '$.n') = 10"
    assert text(sql) == "SELECT id FROM drafts WHERE (data::jsonb ->> 'n') = 10"


def test_an_insert_into_a_keyed_table_returns_its_new_key_as_lastrowid() -> None:
    assert translate("INSERT INTO incidents (kind) VALUES (?)", KEYS) == Statement(
        "INSERT INTO incidents (kind) VALUES ($1) RETURNING id", True, True
    )


def test_no_returning_added_for_unkeyed_tables_executemany_or_an_explicit_returning() -> None:
    assert translate("INSERT INTO seen (k) VALUES (?)", KEYS) == Statement(
        "INSERT INTO seen (k) VALUES ($1)", False, False
    )
    assert translate("INSERT INTO incidents (kind) VALUES (?)", KEYS, many=True) == Statement(
        "INSERT INTO incidents (kind) VALUES ($1)", False, False
    )
    assert translate("INSERT INTO incidents (kind) VALUES (?) RETURNING id, kind", KEYS) == Statement(
        "INSERT INTO incidents (kind) VALUES ($1) RETURNING id, kind", True, False
    )


def test_reads_fetch_and_writes_execute() -> None:
    assert translate("SELECT 1", KEYS).rows
    assert translate("  WITH x AS (SELECT 1) SELECT * FROM x", KEYS).rows
    assert not translate("UPDATE incidents SET state = ? WHERE id = ?", KEYS).rows
    assert translate("UPDATE incidents SET state = ? WHERE id = ? RETURNING id", KEYS).rows
    assert translate("BEGIN IMMEDIATE", KEYS) == Statement("BEGIN", False, False)


# Halves both ways (PostgreSQL's CAST rounds them, to even), negatives (trunc goes toward zero, not
# down), and an hour-boundary timestamp as the reports' day/hour arithmetic meets it.
VALUES = (-2.5, -1.5, -0.5, -0.4, 0.5, 1.5, 2.5, -3.7, 3.7, 1_700_000_000.5, -86_399.5)


def test_the_cast_rule_agrees_with_sqlite_on_postgresql(db_target: str) -> None:
    if not is_url(db_target):
        pytest.skip("compares SQLite with PostgreSQL: run with DISPATCH_TEST_BACKEND=postgresql")
    sql = "SELECT x, CAST(x AS INTEGER) FROM nums ORDER BY x"
    with sqlite3.connect(":memory:") as lite:
        lite.execute("CREATE TABLE nums (x DOUBLE PRECISION)")
        lite.executemany("INSERT INTO nums (x) VALUES (?)", [(v,) for v in VALUES])
        expected = lite.execute(sql).fetchall()
    rows(db_target, "CREATE TABLE nums (x DOUBLE PRECISION)")
    for v in VALUES:
        rows(db_target, "INSERT INTO nums (x) VALUES (?)", v)
    assert expected == [(v, int(v)) for v in sorted(VALUES)]  # SQLite truncates toward zero
    assert rows(db_target, sql) == expected
    # Why the rule is there: PostgreSQL's own cast (which translate leaves alone) rounds.
    plain = rows(db_target, "SELECT CAST(x AS BIGINT) FROM nums ORDER BY x")
    assert [n for (n,) in plain] != [n for _x, n in expected]
