"""Issue 15's intake defects, end to end: edits, abandoned Tolak, slow tap answers, Tolak floods,
tap backlogs and live locations, /batal_form and the update types asked for."""

from __future__ import annotations

import json
import time

from tests.botapi import players
from tests.botapi.model import SentMessage
from tests.e2e import CALL_TAKER, DAMKAR, World
from tests.test_e2e_hostile import ONE_LINE, db_rows, refusals

EDITED = "tidak diproses ulang"


def button(message: SentMessage, label: str) -> str:
    return next(b["callback_data"] for b in message.buttons if b["text"] == label)


def press(world: World, message: SentMessage, label: str) -> str:
    return world.api.tap(world.call_taker, world.call_taker, message.message_id, button(message, label))


async def handled(world: World, update_id: int) -> None:
    """Wait until the bot has handled (or dropped) this update."""
    sql = "SELECT COUNT(*) FROM inbox WHERE update_id = ? AND handled_at IS NOT NULL"
    await world.api.wait_for(lambda: db_rows(world, sql, update_id) == [(1,)], timeout=15, recheck=0.05)


def said(world: World, chat_id: int, words: str) -> int:
    return sum(1 for m in world.api.messages_in(chat_id) if words in m.current_text)


async def test_edited_commands_and_form_answers_are_not_run_again(quiet_world: World) -> None:
    world = quiet_world  # counts every message in a group: no ULANG re-post may join them
    api, me = world.api, world.call_taker
    first = api.send_text(me, me, ONE_LINE)
    await api.wait_message(DAMKAR, "#1")
    await api.wait_message(CALL_TAKER, "#1 ")
    api.send_text(me, me, ONE_LINE.replace("Kenari 17", "Melati 2"))
    await api.wait_message(CALL_TAKER, "#2 ")
    edits = [
        (first, ONE_LINE.replace("Kenari 17", "Kenari 71")),  # /baru one line: no second incident
        (api.send_text(me, me, "/prank 081299990000"), "/prank 081288880000"),  # no second prank
        (api.send_text(me, me, "/tutup 9 tertangani"), "/tutup 1 tertangani"),  # #1 must stay open
        (api.send_text(me, me, "/batal 9 salah"), "/batal 2 salah input"),  # #2 must stay open
    ]
    await api.wait_for(lambda: db_rows(world, "SELECT COUNT(*) FROM calls WHERE type = 'prank'") == [(1,)],
                       recheck=0.05)  # fmt: skip
    await api.wait_for(lambda: refusals(world).count("unknown_incident") == 2, recheck=0.05)
    before = db_rows(world, "SELECT id, state, address FROM incidents ORDER BY id")
    for n, (update_id, text) in enumerate(edits, start=1):
        api.edit_text(me, me, api.message_ids[update_id], text)
        await api.wait_for(lambda n=n: said(world, CALL_TAKER, EDITED) == n, timeout=10)
    reply = next(m for m in api.messages_in(CALL_TAKER) if EDITED in m.current_text)
    assert "/batal" in reply.text and "/tambah" in reply.text  # how to correct instead
    assert db_rows(world, "SELECT id, state, address FROM incidents ORDER BY id") == before
    assert db_rows(world, "SELECT COUNT(*) FROM calls") == [(3,)]
    assert len(api.messages_in(DAMKAR)) == 2  # no second card
    # A guided-form answer edited after the form moved on is not taken again either.
    api.send_text(me, me, "/baru")
    press(world, await api.wait_message(CALL_TAKER, "pilih kategori"), "Pohon Tumbang")
    press(world, await api.wait_message(CALL_TAKER, "Pilih kecamatan"), "Sananwetan")
    press(world, await api.wait_message(CALL_TAKER, "pilih kelurahan"), "Bendogerit")
    await api.wait_message(CALL_TAKER, "alamat")
    answer = api.send_text(me, me, "Jl. Merdeka 5")
    await api.wait_message(CALL_TAKER, "nomor telepon")
    api.edit_text(me, me, api.message_ids[answer], "081234567890")
    await api.wait_for(lambda: said(world, CALL_TAKER, EDITED) == 5, timeout=10)
    draft = db_rows(world, "SELECT step, json_extract(data, '$.address') FROM drafts")
    assert draft == [("phone", "Jl. Merdeka 5")]
    assert refusals(world).count("edited") == 5


async def _tolak(world: World, who: object) -> tuple[SentMessage, SentMessage]:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    api.tap(who, world.damkar, card.message_id, button(card, "Tolak"))  # type: ignore[arg-type]
    prompt = await api.wait_message(DAMKAR, "alasan menolak")
    return card, prompt


async def test_tolak_reason_must_reply_to_the_prompt(world: World) -> None:
    api = world.api
    card, prompt = await _tolak(world, world.damkar_member)
    chatter = api.send_text(world.damkar_member, world.damkar, "siap, kami cek dulu")
    on_card = api.send_text(
        world.damkar_member, world.damkar, "ini apa?", reply_to_message_id=card.message_id
    )
    someone = api.send_text(
        api.user(504, "Eko"), world.damkar, "batal saja", reply_to_message_id=prompt.message_id
    )
    await handled(world, chatter)
    await handled(world, on_card)
    await handled(world, someone)  # another member answering Budi's prompt is not Budi's reason
    assert db_rows(world, "SELECT state FROM assignments WHERE agency = 'damkar'") == [("notified",)]
    api.send_text(world.damkar_member, world.damkar, "Armada habis", reply_to_message_id=prompt.message_id)
    edited = await api.wait_edit(DAMKAR, card.message_id, "Ditolak")
    assert "Armada habis" in edited.text


async def test_a_later_step_clears_an_abandoned_tolak(world: World) -> None:
    api = world.api
    card, prompt = await _tolak(world, world.damkar_member)
    other = api.user(503, "Dedi")
    api.tap(other, world.damkar, card.message_id, button(card, "Berangkat"))
    await api.wait_edit(DAMKAR, card.message_id, "Berangkat")
    late = api.send_text(
        world.damkar_member, world.damkar, "sudah jalan", reply_to_message_id=prompt.message_id
    )
    await handled(world, late)
    assert db_rows(world, "SELECT state FROM assignments WHERE agency = 'damkar'") == [("en_route",)]
    assert said(world, CALL_TAKER, "menolak") == 0
    assert db_rows(world, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_an_abandoned_tolak_expires(world: World) -> None:
    api = world.api
    _card, prompt = await _tolak(world, world.damkar_member)
    # The prompt was asked ten minutes ago (the JSON changed here, not with SQLite's json_set).
    for user_id, chat_id, data in db_rows(world, "SELECT user_id, chat_id, data FROM drafts"):
        changed = json.dumps({**json.loads(str(data)), "asked_at": time.time() - 600})
        db_rows(
            world, "UPDATE drafts SET data = ? WHERE user_id = ? AND chat_id = ?", changed, user_id, chat_id
        )
    late = api.send_text(world.damkar_member, world.damkar, "eh lupa", reply_to_message_id=prompt.message_id)
    await handled(world, late)
    assert db_rows(world, "SELECT state FROM assignments WHERE agency = 'damkar'") == [("notified",)]
    await api.wait_message(DAMKAR, "kedaluwarsa")
    assert "decline_expired" in refusals(world)
    assert db_rows(world, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_slow_tap_answers_do_not_hold_up_the_next_card(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    api.delay_next("answerCallbackQuery", 60, count=6)  # Telegram answering taps very slowly
    for _ in range(6):
        api.tap(world.damkar_member, world.damkar, card.message_id, button(card, "Terima"))
    api.send_text(world.call_taker, world.call_taker, ONE_LINE.replace("Kenari 17", "Melati 2"))
    await api.wait_message(DAMKAR, "#2", timeout=5)


async def test_tolak_taps_do_not_starve_the_groups_cards(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    for _ in range(28):
        api.tap(world.damkar_member, world.damkar, card.message_id, button(card, "Tolak"))
    api.send_text(world.call_taker, world.call_taker, ONE_LINE.replace("Kenari 17", "Melati 2"))
    await api.wait_message(DAMKAR, "#2", timeout=8)  # a P1 card: its deadline is 60 s
    await api.wait_message(DAMKAR, "alasan menolak")
    await api.wait_for(lambda: len(api.answered_callbacks) == 28)
    assert said(world, DAMKAR, "alasan menolak") == 1  # one prompt per person and assignment


async def test_a_backlog_of_taps_after_a_restart_is_not_a_flood(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    await world.bot.stop()
    # Forty taps over two minutes were stored before the bot stopped, none handled yet.
    start = time.time() - 120
    rows = []
    for i in range(40):
        _query, payload = players.callback_query(api.state, world.damkar_member, world.damkar,
                                                   card.message_id, button(card, "Terima"))  # fmt: skip
        update_id = api.state.next_update_id
        api.state.next_update_id += 1
        rows.append(
            (update_id, json.dumps({"update_id": update_id, "callback_query": payload}), start + 3 * i)
        )
    for row in rows:
        db_rows(world, "INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)", *row)
    await world.bot.start()
    await api.wait_for(lambda: len(api.answered_callbacks) == 40, timeout=20)
    assert "flood" not in refusals(world)
    assert db_rows(world, "SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == [(0,)]


async def test_a_shared_live_location_is_not_a_flood(world: World) -> None:
    api = world.api
    shared = api.send_location(world.damkar_member, world.damkar, -8.09, 112.16, live_period=900)
    last = shared
    for i in range(40):
        last = api.move_live_location(world.damkar_member, world.damkar, api.message_ids[shared],
                                      -8.09 + i / 10000, 112.16)  # fmt: skip
    await handled(world, last)
    assert "flood" not in refusals(world)
    assert said(world, DAMKAR, "Terlalu banyak") == 0
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#1")


async def test_batal_form_cancels_the_guided_form(world: World) -> None:
    api, me = world.api, world.call_taker
    api.send_text(me, me, "/baru")
    await api.wait_message(CALL_TAKER, "pilih kategori")
    api.send_text(me, me, "/batal_form")
    await api.wait_message(CALL_TAKER, "Formulir dibatalkan")
    assert db_rows(world, "SELECT COUNT(*) FROM drafts") == [(0,)]


async def test_asks_only_for_the_update_types_it_handles(world: World) -> None:
    await world.api.wait_for(lambda: world.api.state.allowed_updates is not None)
    assert sorted(world.api.state.allowed_updates or []) == [
        "callback_query", "edited_message", "message", "my_chat_member",
    ]  # fmt: skip
