"""Phone retention, in process with an injected clock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.app import DispatchApp
from bot.services.calls import log_call
from bot.services.common import Actor
from bot.services.incidents import IncidentForm, dispatch_incident
from bot.services.privacy import DAY, purge_phones
from bot.settings import Settings
from routing.table import load_routing
from storage.uow import Store

START = 1_700_000_000.0


async def test_full_numbers_are_deleted_after_retention_and_audited(tmp_path: Path) -> None:
    now = [START]
    store = await Store.open(tmp_path / "db.sqlite3")
    app = DispatchApp(settings=Settings(), store=store, routing=load_routing(), clock=lambda: now[0])
    actor = Actor(id=1, name="Ani", chat_id=1)
    try:
        form = IncidentForm("kebakaran", "Sentul", "Jl. A", "081234567890", "api")
        await dispatch_incident(app, form, actor, update_id=None)
        await log_call(app, "prank", "081299998888", actor, update_id=None)
        now[0] += 89 * DAY
        assert await purge_phones(app) == 0
        await log_call(app, "prank", "081277776666", actor, update_id=None)  # recent: kept
        now[0] += 2 * DAY
        assert await purge_phones(app) == 3  # the incident and its call row, and the old prank
        assert await purge_phones(app) == 0
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT phone, phone_masked FROM incidents").fetchall() == [(None, "0812****7890")]
        phones = db.execute("SELECT phone FROM calls ORDER BY id").fetchall()
        assert phones == [(None,), (None,), ("081277776666",)]
        events = db.execute(
            "SELECT json_extract(data, '$.count') FROM events WHERE kind='phones_deleted'"
        ).fetchall()
        assert events == [(3,)]
