"""The dispatch core end to end: python run.py against the fake Bot API over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e import CALL_TAKER, DAMKAR, POLRES, World, make_world

ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar, 2 orang terjebak"


def db_rows(world: World, sql: str, *args: object) -> list[tuple[object, ...]]:
    return world.rows(sql, *args)


def button(message: object, label: str) -> str:
    for b in message.buttons:  # type: ignore[attr-defined]
        if b["text"] == label:
            return str(b["callback_data"])
    raise AssertionError(f"no button {label!r} in {message.buttons}")  # type: ignore[attr-defined]


async def test_one_line_dispatch_reaches_groups_with_card_and_buttons(world: World) -> None:
    api = world.api
    started = time.monotonic()
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    damkar = await api.wait_message(DAMKAR, "#1", timeout=5)
    polres = await api.wait_message(POLRES, "#1", timeout=5)
    latency = time.monotonic() - started
    assert latency < 2.0, f"first cards took {latency:.2f}s"
    for card in (damkar, polres):
        assert "Sentul" in card.text and "Kepanjenkidul" in card.text
        assert "081234567890" not in card.text and "0812****7890" in card.text
        assert [b["text"] for b in card.buttons] == ["Terima", "Berangkat", "Tiba", "Selesai", "Tolak"]
    reply = await api.wait_message(CALL_TAKER, "#1")
    assert "Damkar" in reply.text and "Polres" in reply.text
    assert "telepon" in reply.text  # satpolpp and pln have no group: phoned, not silently skipped
    assert db_rows(world, "SELECT phone FROM incidents") == [("081234567890",)]


async def test_terima_edits_card_and_tells_call_taker(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    api.tap(world.damkar_member, world.damkar, card.message_id, button(card, "Terima"))
    edited = await api.wait_edit(DAMKAR, card.message_id, "Diterima")
    assert "Budi" in edited.text
    assert [b["text"] for b in edited.buttons] == ["Berangkat", "Tiba", "Selesai", "Tolak"]
    notice = await api.wait_message(CALL_TAKER, "Damkar menerima #1")
    assert "Budi" in notice.text


async def test_every_button_forward_and_decline_with_reason(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    for label, shown in (("Berangkat", "Berangkat"), ("Tiba", "Tiba di lokasi"), ("Selesai", "Selesai —")):
        current = api.message(DAMKAR, card.message_id)
        api.tap(world.damkar_member, world.damkar, card.message_id, button(current, label))
        await api.wait_edit(DAMKAR, card.message_id, shown)
    final = api.message(DAMKAR, card.message_id)
    assert final.buttons == []
    polres = await api.wait_message(POLRES, "#1")
    api.tap(world.polres_member, world.polres, polres.message_id, button(polres, "Tolak"))
    prompt = await api.wait_message(POLRES, "alasan")
    api.send_text(
        world.polres_member,
        world.polres,
        "Personel sedang di lokasi lain",
        reply_to_message_id=prompt.message_id,
    )
    await api.wait_edit(POLRES, polres.message_id, "Ditolak")
    notice = await api.wait_message(CALL_TAKER, "Polres menolak #1")
    assert "Personel sedang di lokasi lain" in notice.text and "/tambah 1" in notice.text
    states = db_rows(world, "SELECT agency, state FROM assignments ORDER BY agency")
    assert ("damkar", "cleared") in states and ("polres", "declined") in states


async def test_double_tap_is_one_event_and_going_back_is_refused(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    terima, tiba = button(card, "Terima"), button(card, "Tiba")
    api.tap(world.damkar_member, world.damkar, card.message_id, terima)
    api.tap(world.damkar_member, world.damkar, card.message_id, terima)
    api.tap(world.damkar_member, world.damkar, card.message_id, tiba)
    await api.wait_edit(DAMKAR, card.message_id, "Tiba di lokasi")
    back = api.tap(world.damkar_member, world.damkar, card.message_id, terima)
    await api.wait_for(lambda: back in api.answered_callbacks)
    rows = db_rows(world, "SELECT json_extract(data, '$.state') FROM events WHERE kind = 'status'")
    assert rows == [("acknowledged",), ("on_scene",)]
    refused = db_rows(world, "SELECT json_extract(data, '$.reason') FROM events WHERE kind = 'refused'")
    assert ("transition",) in refused


async def test_forged_and_foreign_chat_presses_change_nothing(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    terima = button(card, "Terima")
    polres_card = await api.wait_message(POLRES, "#1")
    # The damkar card's button pressed from the polres group, a forged token, garbage data:
    taps = [
        api.tap(world.polres_member, world.polres, polres_card.message_id, terima),
        api.tap(world.damkar_member, world.damkar, card.message_id, terima[:-10] + "deadbeef:a"),
        api.tap(world.damkar_member, world.damkar, card.message_id, "s:1:zzzz;DROP TABLE incidents:a"),
        api.tap(world.damkar_member, world.damkar, card.message_id, "x" * 64),
    ]
    await api.wait_for(lambda: all(t in api.answered_callbacks for t in taps))
    assert db_rows(world, "SELECT state FROM assignments WHERE state <> 'notified'") == []
    reasons = {
        r[0] for r in db_rows(world, "SELECT json_extract(data, '$.reason') FROM events WHERE kind='refused'")
    }
    assert {"foreign_chat", "forged_callback"} <= reasons


async def test_stranger_is_refused_and_reaches_no_group(world: World) -> None:
    api = world.api
    api.send_text(world.stranger, world.stranger, ONE_LINE)
    refusal = await api.wait_message(world.stranger.id, "tidak terdaftar")
    assert refusal is not None
    assert api.messages_in(DAMKAR) == [] and api.messages_in(POLRES) == []
    assert db_rows(world, "SELECT COUNT(*) FROM incidents") == [(0,)]
    assert db_rows(world, "SELECT actor_id FROM events WHERE kind = 'refused'") == [(world.stranger.id,)]


async def test_bad_inputs_get_clear_replies_and_store_nothing(world: World) -> None:
    api = world.api
    cases = [
        ("/baru gempa | Sentul | Jl. A | 0812345678 | x", "Kategori tidak dikenal"),
        ("/baru kebakaran | Atlantis | Jl. A | 0812345678 | x", "Kelurahan tidak dikenal"),
        ("/baru kebakaran | Sentul |  | 0812345678 | x", "Alamat tidak boleh kosong"),
        ("/baru kebakaran | Sentul | Jl. A | 12ab | x", "Nomor telepon tidak valid"),
        ("/baru kebakaran | Sentul | Jl. A", "Perlu 5 bagian"),
        ("/baru kebakaran | Sentul | Jl. A | 0812345678 | " + "x" * 1500, "terlalu panjang"),
    ]
    for text, expected in cases:
        api.send_text(world.call_taker, world.call_taker, text)
        await api.wait_message(CALL_TAKER, expected)
    assert db_rows(world, "SELECT COUNT(*) FROM incidents") == [(0,)]
    assert db_rows(world, "SELECT COUNT(*) FROM events WHERE kind = 'refused'") == [(len(cases),)]


async def test_html_in_fields_is_escaped_on_the_card(world: World) -> None:
    api = world.api
    api.send_text(
        world.call_taker,
        world.call_taker,
        "/baru kebakaran | Sentul | Jl. <b>Kenari</b> & Gg. <3 | - | <script>alert(1)</script>",
    )
    card = await api.wait_message(DAMKAR, "#1")
    assert "Jl. <b>Kenari</b> & Gg. <3" in card.text  # shown literally, not as markup
    assert "<script>alert(1)</script>" in card.text


async def test_calls_without_dispatch(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, "/prank 081299998888")
    await api.wait_message(CALL_TAKER, "prank dari 0812****8888")
    api.send_text(world.call_taker, world.call_taker, "/ghost")
    await api.wait_message(CALL_TAKER, "ghost")
    api.send_text(world.call_taker, world.call_taker, "/prank 081299998888")
    await api.wait_message(CALL_TAKER, "0812****8888: 1 prank dalam 30 hari")
    api.send_text(world.call_taker, world.call_taker, "/info Jadwal SIM keliling")
    await api.wait_message(CALL_TAKER, "informasi")
    rows = db_rows(world, "SELECT type, category FROM calls ORDER BY id")
    assert rows == [("prank", None), ("ghost", None), ("prank", None), ("informasi", "informasi")]


async def test_kill_between_commit_and_delivery_then_restart(world: World) -> None:
    api = world.api
    api.fail_next("sendMessage", 502, count=10_000)  # committed, but nothing can go out yet
    update_id = api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_for(lambda: db_rows(world, "SELECT COUNT(*) FROM outbox WHERE kind = 'card'") == [(3,)])
    await world.bot.kill()
    api.clear_faults()
    await world.bot.start()
    card = await api.wait_message(DAMKAR, "#1", timeout=15)
    await api.wait_confirmed(update_id)
    assert db_rows(world, "SELECT COUNT(*) FROM incidents") == [(1,)]
    api.tap(world.damkar_member, world.damkar, card.message_id, button(card, "Terima"))
    await api.wait_edit(DAMKAR, card.message_id, "Diterima")


async def test_old_card_buttons_work_after_kill_and_restart(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    await world.bot.restart()
    await api.wait_polling()
    api.tap(world.damkar_member, world.damkar, card.message_id, button(card, "Terima"))
    await api.wait_edit(DAMKAR, card.message_id, "Diterima")
    await api.wait_message(CALL_TAKER, "Damkar menerima #1")


async def test_429_and_502_on_send_are_delivered_later(world: World) -> None:
    api = world.api
    api.fail_next("sendMessage", 429, count=1, retry_after=1)
    api.fail_next("sendMessage", 502, count=2)
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#1", timeout=15)
    await api.wait_message(POLRES, "#1", timeout=15)
    await api.wait_message(CALL_TAKER, "#1", timeout=15)
    statuses = [c.http_status for c in api.calls_of("sendMessage")]
    assert 429 in statuses and 502 in statuses


async def test_a_card_telegram_refuses_warns_the_call_taker(tmp_path: Path) -> None:
    # PLN's group id is wrong (the bot is not in it): Telegram answers 400 "chat not found".
    async for world in make_world(tmp_path, extra="[agencies.pln]\nchat_id = -4040"):
        api = world.api
        api.send_text(world.call_taker, world.call_taker, ONE_LINE)
        await api.wait_message(DAMKAR, "#1")
        warning = await api.wait_message(CALL_TAKER, "untuk PLN gagal terkirim", timeout=15)
        assert "Hubungi lewat telepon" in warning.text
        failed = db_rows(
            world, "SELECT json_extract(data, '$.outbox_kind') FROM events WHERE kind = 'delivery_failed'"
        )
        assert failed == [("card",)]
