"""The integer primary keys PostgreSQL's connection returns from an INSERT (aiosqlite's lastrowid)."""

from __future__ import annotations

import pytest

from storage.db import connect
from storage.pg import PgConnection
from tests.dbread import on_postgres


@pytest.mark.skipif(not on_postgres(), reason="about a PostgreSQL database")
async def test_every_table_with_a_one_column_bigint_key_is_known(db_target: str) -> None:
    db = await connect(db_target)
    try:
        assert isinstance(db, PgConnection)
        assert {t: db.keys[t] for t in ("incidents", "outbox", "inbox", "roster_chat_requests")} == {
            "incidents": "id", "outbox": "id", "inbox": "update_id", "roster_chat_requests": "request_id",
        }  # fmt: skip
        keyed = await db.conn.fetch(
            "SELECT table_name FROM information_schema.table_constraints"
            " WHERE constraint_type = 'PRIMARY KEY' AND table_schema = current_schema()"
        )
        # Tables keyed by text or by two columns have no new key to return.
        assert (
            "drafts" not in db.keys
            and "telephony_months" not in db.keys
            and set(db.keys) < {r[0] for r in keyed}
        )
        cur = await db.execute("INSERT INTO events (at, kind, channel) VALUES (0, 'x', 'cli')")
        assert cur.lastrowid == 1
    finally:
        await db.close()
