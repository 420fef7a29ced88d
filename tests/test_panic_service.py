"""bot/services/panic.py in process: who is told, the first tap wins, the messages lose their buttons."""

from __future__ import annotations

import json

import pytest

from bot.app import DispatchApp
from bot.services import panic
from bot.services.calls import log_call
from bot.services.common import Actor, Refused
from bot.settings import Settings
from routing.geo import load_centres
from routing.table import load_routing
from storage.uow import Store
from tests.dbread import rows

NOW = 1_700_000_000.0
REPORT = panic.PanicReport("blitar_in_hand", "081234567890", "Sari", -8.0990, 112.1625, 10.0, "tolong")


def outbox(db: str) -> list[tuple[str, str, dict[str, object]]]:
    found = rows(db, "SELECT kind, target, payload FROM outbox ORDER BY id")
    return [(kind, target, json.loads(payload)) for kind, target, payload in found]


async def test_private_call_takers_each_get_it_and_the_first_tap_wins(db_target: str) -> None:
    db = db_target
    store = await Store.open(db)
    routing = load_routing()
    app = DispatchApp(settings=Settings(access={"call_takers": [111, 112]}), store=store, routing=routing,
                      clock=lambda: NOW)  # fmt: skip
    try:
        received = await panic.receive_panic(app, REPORT, load_centres(routing))
        assert received.kelurahan == "Kauman" and not received.outside
        sent = outbox(db)
        assert [(k, t) for k, t, _ in sent] == [("text", "111"), ("text", "112")]
        async with store.transaction(NOW) as tx:  # as the delivery worker records them
            await tx.outbox.sent(1, 501)
            await tx.outbox.sent(2, 502)
        alert = await panic.open_alert(app, received.id, sent[0][2]["buttons"][1][0][1].split(":")[3])  # type: ignore[index]
        ani = Actor(id=111, name="Ani", chat_id=111)
        await log_call(app, "prank", alert.phone or "-", ani, update_id=None,
                       within=panic.claim(app, alert, "prank", ani))  # fmt: skip
        after = outbox(db)[2:]
        edits = [(t, p["message_id"]) for k, t, p in after if k == "edit_text"]
        assert edits == [("111", 501), ("112", 502)]
        assert all("Ditandai prank oleh Ani" in str(p["html"]) for k, _, p in after if k == "edit_text")
        notices = [(t, p["html"]) for k, t, p in after if k == "text"]
        assert ("112", f"🆘 P-{received.id}: Ditandai prank oleh Ani, 05:13 WIB.") in notices
        assert [t for t, _ in notices] == ["112", "111"]  # the other call taker, then the reply to Ani
        # Too late: Budi's tap on his copy changes nothing.
        budi = Actor(id=112, name="Budi", chat_id=112)
        with pytest.raises(Refused) as late:
            await panic.open_alert(app, alert.id, alert.token)
        assert late.value.reason == "panic_handled" and "oleh Ani" in late.value.message
        # Even a tap that read the alert before Ani's commit loses: the guarded UPDATE decides.
        with pytest.raises(Refused):
            await log_call(
                app, "ghost", "-", budi, update_id=None, within=panic.claim(app, alert, "ghost", budi)
            )
        with pytest.raises(Refused) as forged:
            await panic.open_alert(app, alert.id, "00000000")
        assert forged.value.reason == "forged_callback"
    finally:
        await store.close()
    assert rows(db, "SELECT type, phone FROM calls") == [("prank", "081234567890")]
    assert rows(db, "SELECT state, handled_by_name FROM panic_alerts") == [("prank", "Ani")]


def test_callback_data_is_parsed_strictly() -> None:
    assert panic.parse_callback("panic:p:12:ab12cd34") == ("prank", 12, "ab12cd34")
    assert panic.parse_callback("panic:f:1:0123abcd") == ("followed", 1, "0123abcd")
    for bad in ("panic:x:1:ab12cd34", "panic:p:-1:ab12cd34", "panic:p:1:AB12CD34", "panic:p:1:ab12cd3",
                "panic:p:1:ab12cd34:x", "s:1:ab12cd34:a", "panic:p:1234567890123:ab12cd34", "panic:p:١:ab12cd34"):  # fmt: skip
        assert panic.parse_callback(bad) is None, bad
