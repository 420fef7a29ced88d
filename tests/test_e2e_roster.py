"""The centre set up from Telegram alone, and a group's life (upgrade, removal, return), end to end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

from tests.botapi import FakeBotApi
from tests.dbread import new_target, storage_toml
from tests.e2e import (
    ADMIN,
    BPBD,
    CALL_TAKER,
    CALL_TAKERS_GROUP,
    CLOCK_JOBS_OFF,
    DAMKAR,
    POLRES,
    SUPERVISORS_GROUP,
    TOKEN,
    BotProcess,
    World,
    bot_env,
    make_world,
)

ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar"
NEW_DAMKAR = -1009003


def db_rows(world: World, sql: str, *args: object) -> list[tuple[object, ...]]:
    return world.rows(sql, *args)


def button(message: object, label: str) -> str:
    for b in message.buttons:  # type: ignore[attr-defined]
        if b["text"] == label:
            return str(b["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def fresh_world(tmp_path: Path) -> AsyncIterator[World]:
    """A fresh install: the token (env) and one admin id; nothing else about the city (and, as in every
    end-to-end bot, no roll-call or digest by the clock)."""
    async with FakeBotApi(token=TOKEN) as api:
        db = new_target(tmp_path)
        settings = tmp_path / "settings.toml"
        settings.write_text(
            f'[telegram]\nbase_url = "{api.base_url}"\nbase_file_url = "{api.base_file_url}"\npoll_timeout = 2\n'
            f"[storage]\n{storage_toml(db, tmp_path)}\n[access]\nadmins = [{ADMIN}]\n[mumble]\nenabled = false\n"
            + "\n".join(CLOCK_JOBS_OFF)
        )
        bot = BotProcess(tmp_path, bot_env(settings))
        world = World(api, bot, db)
        await bot.start()
        try:
            await api.wait_polling(timeout=20)
            yield world
        finally:
            await bot.stop()


async def test_fresh_install_set_up_from_telegram_alone(tmp_path: Path) -> None:
    async for world in fresh_world(tmp_path):
        await _fresh_install(world)


async def _fresh_install(world: World) -> None:
    api = world.api
    admin = api.user(ADMIN, "Admin Kominfo", "admin112")
    for group in (world.damkar, world.polres, world.bpbd, world.call_takers):
        api.add_bot_to_group(admin, group)
    await api.wait_message(DAMKAR, "Grup ini belum terdaftar")
    await api.wait_message(ADMIN, "Damkar Kota Blitar")  # the admin is told who added it where
    api.send_text(admin, world.damkar, "/daftar damkar")
    welcome = await api.wait_message(DAMKAR, "terdaftar sebagai grup")
    assert "Terima" in welcome.text and "Tolak" in welcome.text
    api.send_text(admin, world.polres, "/daftar@dispatch112_bot polres")
    await api.wait_message(POLRES, "terdaftar sebagai grup")
    # BPBD through Telegram's own chat picker.
    api.send_text(admin, admin, "/hubungkan bpbd")
    await api.wait_message(ADMIN, "Pilih grup")
    markup = [c for c in api.calls_of("sendMessage") if "keyboard" in str(c.params.get("reply_markup"))][-1]
    request = markup.params["reply_markup"]["keyboard"][0][0]["request_chat"]
    assert request["chat_is_channel"] is False
    api.share_chat(admin, request["request_id"], world.bpbd)
    await api.wait_message(BPBD, "terdaftar sebagai grup")
    api.send_text(admin, world.call_takers, "/daftar petugas")
    await api.wait_message(CALL_TAKERS_GROUP, "grup call taker")
    # A call taker invited with a one-time link.
    api.send_text(admin, admin, "/undang petugas")
    invite = await api.wait_message(ADMIN, "t.me/dispatch112_bot?start=")
    link = next(w for w in invite.text.split() if w.startswith("https://t.me/"))
    api.open_link(world.call_taker, link)
    await api.wait_message(CALL_TAKER, "terdaftar sebagai petugas")
    await api.wait_message(ADMIN, "kini terdaftar sebagai petugas")
    # Dispatch and a tap: the full loop works with nothing but Telegram.
    api.send_text(world.call_taker, world.call_takers, ONE_LINE)
    await api.wait_message(CALL_TAKERS_GROUP, "#1")
    card = await api.wait_message(DAMKAR, "#1")
    await api.wait_message(POLRES, "#1")
    await api.wait_message(BPBD, "#1")
    api.tap(world.damkar_member, world.damkar, card.message_id, button(card, "Terima"))
    await api.wait_message(CALL_TAKERS_GROUP, "Damkar menerima #1")
    # Each audience sees its own commands; a second use of the invite is refused.
    await api.wait_for(lambda: "baru" in api.commands_for(CALL_TAKER))
    assert "undang" in api.commands_for(ADMIN) and "undang" not in api.commands_for(CALL_TAKER)
    assert "daftar" in api.commands_for(DAMKAR) and "baru" in api.commands_for(CALL_TAKERS_GROUP)
    api.open_link(world.stranger, link)
    await api.wait_message(world.stranger.id, "sudah dipakai")
    api.send_text(admin, admin, "/petugas")
    listing = await api.wait_message(ADMIN, "Petugas 112")
    assert "Ani" in listing.text and "petugas" in listing.text
    kinds = db_rows(world, "SELECT json_extract(data, '$.what') FROM events WHERE kind = 'roster_changed'")
    assert {k for (k,) in kinds} >= {"group_bound", "chat_requested", "invite_created", "person_enrolled"}
    # /cabut takes effect at once, without a restart.
    api.send_text(admin, admin, f"/cabut {CALL_TAKER}")
    await api.wait_message(ADMIN, "dicabut")
    api.send_text(world.call_taker, world.call_taker, "/aktif")
    await api.wait_message(CALL_TAKER, "tidak terdaftar")


async def test_group_upgraded_while_a_card_is_in_flight_gets_it_on_its_new_id(tmp_path: Path) -> None:
    async for world in make_world(tmp_path):
        await _upgrade_in_flight(world)


async def _upgrade_in_flight(world: World) -> None:
    api = world.api
    # Telegram upgraded the group and the bot saw no service message: only the send error tells.
    api.migrate_group(world.damkar_member, world.damkar, NEW_DAMKAR, service_messages=False)
    api.delay_next(f"sendMessage:{NEW_DAMKAR}", 30, deliver=True)  # the resend arrives; its answer hangs
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(NEW_DAMKAR, "#1", timeout=15)
    await world.bot.kill()  # kill -9 in the middle of the resend
    await world.bot.start()
    await api.wait_for(lambda: db_rows(world, "SELECT chat_id, message_id FROM assignments WHERE agency = "
                                              "'damkar'")[0][1] is not None, timeout=20, recheck=0.2)  # fmt: skip
    chat_id, message_id = db_rows(
        world, "SELECT chat_id, message_id FROM assignments WHERE agency = 'damkar'"
    )[0]
    assert chat_id == NEW_DAMKAR
    card = api.message(NEW_DAMKAR, int(str(message_id)))
    assert card is not None and "#1" in card.text
    assert not [m for m in api.messages_in(DAMKAR)]  # nothing reached the old id
    assert 1 <= len([m for m in api.messages_in(NEW_DAMKAR) if "#1" in m.text]) <= 2  # at most one repeat
    api.tap(world.damkar_member, NEW_DAMKAR, card.message_id, button(card, "Terima"))
    await api.wait_message(CALL_TAKER, "Damkar menerima #1")
    assert db_rows(world, "SELECT chat_id FROM roster_groups WHERE key = 'agency:damkar'") == [(NEW_DAMKAR,)]
    moved = db_rows(world, "SELECT json_extract(data, '$.source') FROM events WHERE kind = 'roster_changed'")
    assert ("send_error",) in moved
    assert NEW_DAMKAR not in api.left_chats and DAMKAR not in api.left_chats


async def test_upgrade_seen_from_service_messages_reposts_open_cards(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    old_card = await api.wait_message(DAMKAR, "#1")
    api.migrate_group(world.damkar_member, world.damkar, NEW_DAMKAR)
    card = await api.wait_message(NEW_DAMKAR, "#1", timeout=15)
    assert [b["text"] for b in card.buttons][:1] == ["Terima"]
    api.tap(world.damkar_member, NEW_DAMKAR, card.message_id, button(card, "Terima"))
    await api.wait_message(CALL_TAKER, "Damkar menerima #1")
    assert old_card.message_id  # the old card stays in the old chat; the new one works
    assert NEW_DAMKAR not in api.left_chats
    # Telegram's "bot joined the new supergroup" came first; its announcements were withdrawn, not sent.
    withdrawn = [(state,) for state, payload in db_rows(world, "SELECT state, payload FROM outbox")
                 if json.loads(str(payload)).get("unbound_chat") == NEW_DAMKAR]  # fmt: skip
    assert withdrawn and {s for (s,) in withdrawn} == {"superseded"}
    assert db_rows(world, "SELECT COUNT(*) FROM roster_unbound") == [(0,)]
    assert not [m for m in api.messages_in(NEW_DAMKAR) if "belum terdaftar" in m.text]


async def test_kicked_agency_becomes_phone_notice_and_one_alert_then_returns(world: World) -> None:
    api = world.api
    # Removed without the bot seeing it: the 403 on the send is the signal.
    api.set_member_status(world.damkar, api.bot_user, "kicked")
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    notice = await api.wait_message(CALL_TAKER, "Telepon Damkar", timeout=15)
    assert "#1" in notice.text
    alert = await api.wait_message(SUPERVISORS_GROUP, "tidak bisa dihubungi")
    assert "Damkar" in alert.text
    api.send_text(world.call_taker, world.call_taker, ONE_LINE.replace("Kenari 17", "Kenari 19"))
    second = await api.wait_message(CALL_TAKER, "#2 ")
    assert "Damkar (grup tidak terjangkau)" in second.text.split("Hubungi lewat telepon")[1]
    api.kick_bot(world.damkar_member, world.damkar)  # the my_chat_member that follows: no second alert
    await api.wait_for(lambda: db_rows(world, "SELECT COUNT(*) FROM events WHERE kind = 'group_unreachable'")
                       == [(2,)], timeout=10, recheck=0.1)  # fmt: skip
    alerts = [m for m in api.messages_in(SUPERVISORS_GROUP) if "tidak bisa dihubungi" in m.text]
    assert len(alerts) == 1
    # Added back: reachable again, both open incidents' cards re-posted with working buttons.
    api.add_bot_to_group(world.damkar_member, world.damkar)
    await api.wait_message(SUPERVISORS_GROUP, "terhubung kembali")
    await api.wait_message(DAMKAR, "#2", timeout=15)
    card = await api.wait_message(DAMKAR, "#1", timeout=15)
    api.tap(world.damkar_member, world.damkar, card.message_id, button(card, "Terima"))
    await api.wait_message(CALL_TAKER, "Damkar menerima #1")


async def test_rollcall_summary_names_the_silent_agency(tmp_path: Path) -> None:
    # Started by /apel, not by the clock: the scheduled ones stay off as in every end-to-end test.
    async for world in make_world(tmp_path, extra="[rollcall]\nenabled = false\nwindow = 4"):
        await _rollcall(world)


async def _rollcall(world: World) -> None:
    api = world.api
    api.send_text(world.supervisor, world.supervisor, "/apel")
    await api.wait_message(world.supervisor.id, "Apel siaga dikirim ke 3 grup")
    damkar = await api.wait_message(DAMKAR, "Apel siaga 112")
    polres = await api.wait_message(POLRES, "Apel siaga 112")
    await api.wait_message(BPBD, "Apel siaga 112")
    api.tap(world.damkar_member, world.damkar, damkar.message_id, button(damkar, "✅ Siap"))
    api.tap(world.polres_member, world.polres, polres.message_id, button(polres, "✅ Siap"))
    forged = api.tap(world.stranger, world.polres, polres.message_id, button(damkar, "✅ Siap"))
    await api.wait_for(lambda: forged in api.answered_callbacks)
    summary = await api.wait_message(SUPERVISORS_GROUP, "Hasil apel siaga", timeout=15)
    ready, silent = summary.text.split("\n")[1:3]
    assert "Damkar — Budi" in ready and "Polres — Joko" in ready
    assert "BPBD" in silent and "Damkar" not in silent
    api.send_text(world.call_taker, world.call_taker, "/instansi")
    overview = await api.wait_message(CALL_TAKER, "Instansi")
    assert "apel terakhir" in overview.text and "telepon saja" in overview.text
    assert len([m for m in api.messages_in(SUPERVISORS_GROUP) if "Hasil apel" in m.text]) == 1


async def test_bot_not_allowed_to_post_then_promoted(world: World) -> None:
    api = world.api
    api.restrict_bot(world.polres_member, world.polres)
    alert = await api.wait_message(SUPERVISORS_GROUP, "tidak boleh mengirim pesan")
    assert "Polres" in alert.text
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    confirmation = await api.wait_message(CALL_TAKER, "#1 ")
    assert "Polres" in confirmation.text.split("Hubungi lewat telepon")[1]
    await api.wait_message(DAMKAR, "#1")
    api.promote_bot(world.polres_member, world.polres)  # made an admin: may post again
    card = await api.wait_message(POLRES, "#1", timeout=15)
    api.tap(world.polres_member, world.polres, card.message_id, button(card, "Terima"))
    await api.wait_message(CALL_TAKER, "Polres menerima #1")
