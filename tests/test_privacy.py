"""Phone retention, in process with an injected clock."""

from __future__ import annotations

import json

from bot.app import DispatchApp
from bot.services.calls import log_call
from bot.services.common import Actor
from bot.services.incidents import IncidentForm, dispatch_incident
from bot.services.privacy import DAY, purge_personal_data, purge_phones
from bot.settings import Settings
from routing.fields import mask_phones_in
from routing.table import load_routing
from storage.uow import Store
from tests.dbread import rows

START = 1_700_000_000.0


async def test_full_numbers_are_deleted_after_retention_and_audited(db_target: str) -> None:
    now = [START]
    store = await Store.open(db_target)
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
    assert rows(db_target, "SELECT phone, phone_masked FROM incidents") == [(None, "0812****7890")]
    phones = rows(db_target, "SELECT phone FROM calls ORDER BY id")
    assert phones == [(None,), (None,), ("081277776666",)]
    events = rows(db_target, "SELECT data FROM events WHERE kind='phones_deleted'")
    assert [json.loads(data)["count"] for (data,) in events] == [3]


async def test_abandoned_forms_are_deleted_after_a_day(db_target: str) -> None:
    now = [START]
    store = await Store.open(db_target)
    app = DispatchApp(settings=Settings(), store=store, routing=load_routing(), clock=lambda: now[0])
    try:
        async with store.transaction(now[0]) as tx:
            await tx.drafts.put(1, 1, "baru", "description", {"phone": "081234567890"})
        now[0] += DAY - 60
        async with store.transaction(now[0]) as tx:
            await tx.drafts.put(2, 2, "baru", "phone", {})
        assert await purge_personal_data(app) == 0
        now[0] += 120  # the first form is now a day old, the second two minutes
        assert await purge_personal_data(app) == 1
        async with store.reading(now[0]) as tx:
            assert await tx.drafts.get(1, 1) is None
            assert await tx.drafts.get(2, 2) is not None
    finally:
        await store.close()


def test_phone_numbers_in_audited_text_are_masked() -> None:
    cases = {
        "/baru x | Atlantis | Jl. Laut 1 | 081234567890 | api": "/baru x | Atlantis | Jl. Laut 1 | 0812****7890 | api",
        "/prank +62 812-3456-7890": "/prank 0812****7890",
        "/prank (0342) 801234": "/prank 03****34",
        "/lihat 42": "/lihat 42",
        "/tutup 1234 tertangani": "/tutup 1234 tertangani",
        "Nomor telepon tidak valid: 0812345678901234567": "Nomor telepon tidak valid: 0812****4567",
        "callback:a:12:3f9a0c1d": "callback:a:12:3f9a0c1d",
    }
    for text, masked in cases.items():
        assert mask_phones_in(text) == masked, text
