"""Escalation end to end: python run.py against the fake Bot API, tiny deadlines, a kill -9 mid-ladder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import CALL_TAKER, DAMKAR, POLRES, SUPERVISOR, SUPERVISORS_GROUP, World, make_world
from tests.test_e2e_dispatch import ONE_LINE, button, db_rows

# P1 (kebakaran): the card is repeated after 1 s, the supervisors are alerted after 6 s.
TINY_DEADLINES = """
[escalation]
ack_p1 = 1
alert_p1 = 6
"""


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, extra=TINY_DEADLINES):
        yield w


async def test_unanswered_card_repeats_then_alerts_once_across_kill_and_restart(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    first = await api.wait_message(DAMKAR, "#1")
    repeat = await api.wait_message(DAMKAR, "ULANG", timeout=10)
    assert repeat.message_id != first.message_id and "#1" in repeat.text
    assert [b["text"] for b in repeat.buttons] == ["Terima", "Berangkat", "Tiba", "Selesai", "Tolak"]
    await api.wait_message(POLRES, "ULANG")
    phoned = await api.wait_message(CALL_TAKER, "telepon lagi")
    assert "#1" in phoned.text and "PLN" in phoned.text

    # Kill -9 once the repeats are recorded as delivered, before the supervisors' step is due.
    def repeats_sent() -> bool:
        sql = "SELECT COUNT(*) FROM outbox WHERE kind = 'card_repeat' AND state = 'sent'"
        return db_rows(world, sql) == [(3,)]

    await api.wait_for(repeats_sent, timeout=10, recheck=0.1)
    assert api.messages_in(SUPERVISORS_GROUP) == []
    await world.bot.kill()
    await world.bot.start()

    alert = await api.wait_message(SUPERVISORS_GROUP, "#1", timeout=20)
    assert "Belum ada konfirmasi" in alert.text and "Damkar" in alert.text and "Polres" in alert.text
    await api.wait_message(CALL_TAKER, "🚨")
    levels = db_rows(world, "SELECT CAST(json_extract(data, '$.level') AS INTEGER), COUNT(*) FROM events"
                            " WHERE kind = 'escalated' GROUP BY 1 ORDER BY 1")  # fmt: skip
    assert levels == [(1, 5), (2, 5)]  # damkar, polres, bpbd, satpolpp, pln: each step once
    assert len([m for m in api.messages_in(DAMKAR) if "ULANG" in m.text]) == 1
    assert len([m for m in api.messages_in(SUPERVISORS_GROUP) if "#1" in m.text]) == 1

    # The repeated card is the live one: a tap on it works and is shown on it.
    api.tap(world.damkar_member, world.damkar, repeat.message_id, button(repeat, "Terima"))
    await api.wait_edit(DAMKAR, repeat.message_id, "Diterima")
    await api.wait_message(CALL_TAKER, "Damkar menerima #1")


async def test_laporan_hari_answers_a_supervisor_with_text_and_chart(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, "/prank 081299998888")
    await api.wait_message(CALL_TAKER, "prank")
    api.send_text(world.supervisor, world.supervisor, "/laporan hari")
    text = await api.wait_message(SUPERVISOR, "Ringkasan Harian", timeout=15)
    assert "Prank 1" in text.text and "WIB" in text.text
    chart = await api.wait_message(SUPERVISOR, "Panggilan dan kejadian", timeout=15)
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")
    api.send_text(world.supervisor, world.supervisor, "/laporan kemarin")
    await api.wait_message(SUPERVISOR, "Format: /laporan")
