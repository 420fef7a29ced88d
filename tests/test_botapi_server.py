"""The fake Bot API, checked through the real client: python-telegram-bot 22.8 over HTTP."""

# Optional fields are dereferenced freely: an AttributeError fails the test as clearly as an assert.
# mypy: disable-error-code="union-attr"

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatFullInfo,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from tests.botapi import Chat, FakeBotApi, User

TOKEN = "123456:TEST"
GROUP = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
    async with client:
        yield client


@pytest.fixture
def group(api: FakeBotApi) -> Chat:
    return api.group(GROUP, "Damkar Kota Blitar")


@pytest.fixture
def caller(api: FakeBotApi) -> User:
    return api.user(5001, "Sari", "sari_112")


def keyboard(*steps: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(s.title(), callback_data=f"42:{s}") for s in steps]])


async def test_get_me_and_wrong_token(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "dispatch112_bot", True)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with session.post(f"{api.base_url}{TOKEN}/noSuchMethod", json={}) as response:
            assert response.status == 404
            assert (await response.json())["ok"] is False
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):  # initialize() calls getMe
            pass


async def test_send_then_edit_with_keyboard(api: FakeBotApi, bot: Bot, group: Chat) -> None:
    sent = await bot.send_message(
        GROUP, "<b>#42</b> Kebakaran", parse_mode="HTML", reply_markup=keyboard("terima")
    )
    assert sent.chat.id == GROUP and sent.chat.type == "supergroup" and sent.from_user.is_bot
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "42:terima"
    second = await bot.send_message(GROUP, "next")
    assert second.message_id == sent.message_id + 1

    recorded = api.messages_in(GROUP)[0]
    assert recorded.text == "#42 Kebakaran" and recorded.html == "<b>#42</b> Kebakaran"
    assert recorded.entities == [{"type": "bold", "offset": 0, "length": 3}]
    assert recorded.buttons[0]["callback_data"] == "42:terima"

    edited = await bot.edit_message_text(
        "#42 Kebakaran: diterima", GROUP, sent.message_id, reply_markup=keyboard("berangkat", "tiba")
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    assert recorded.text == "#42 Kebakaran: diterima" and len(recorded.edits) == 1
    assert recorded.edits[0].text == "#42 Kebakaran"
    assert [b["callback_data"] for b in recorded.buttons] == ["42:berangkat", "42:tiba"]

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "#42 Kebakaran: diterima", GROUP, sent.message_id, reply_markup=keyboard("berangkat", "tiba")
        )
    # Dropping reply_markup is a change: Telegram removes the keyboard.
    await bot.edit_message_reply_markup(GROUP, sent.message_id)
    assert recorded.reply_markup is None
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("x", GROUP, 999)
    assert [c.http_status for c in api.calls_of("editMessageText")] == [200, 400, 400]


async def test_refusals(api: FakeBotApi, bot: Bot, group: Chat) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "halo")
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(GROUP, "x" * 4097)
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(GROUP, "<b>Jl. Merdeka", parse_mode="HTML")
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(GROUP, "RT 3 < RT 4", parse_mode="HTML")
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(GROUP, "<blink>x</blink>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            GROUP,
            "x",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="d" * 65)]]),
        )
    assert api.messages == []

    ok = await bot.send_message(
        GROUP,
        'RT 3 &lt; RT 4 &amp; <a href="https://x.test/?a=1&amp;b=2">peta</a> <i>"ok"</i>',
        parse_mode="HTML",
    )
    assert ok.text == 'RT 3 < RT 4 & peta "ok"'
    assert [(e.type, e.offset, e.length) for e in ok.entities] == [("text_link", 14, 4), ("italic", 19, 4)]
    assert ok.entities[0].url == "https://x.test/?a=1&b=2"


async def test_retry_after_and_gateway_errors(api: FakeBotApi, bot: Bot, group: Chat) -> None:
    api.fail_next("sendMessage", 429, retry_after=7)
    with warnings.catch_warnings():
        # 22.8 warns that retry_after becomes a timedelta; either form must say 7 s.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(GROUP, "a")
        assert caught.value.retry_after in (7, dtm.timedelta(seconds=7))

    api.fail_next("sendMessage", 502, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as failed:
            await bot.send_message(GROUP, "b")
        assert type(failed.value) is NetworkError and "Bad Gateway" in str(failed.value)
    await bot.send_message(GROUP, "c")

    api.outage(503)
    with pytest.raises(NetworkError):
        await bot.get_updates()
    api.end_outage()
    assert await bot.get_updates() == ()
    assert [m.text for m in api.messages] == ["c"]
    assert [c.http_status for c in api.calls_of("sendMessage")] == [429, 502, 502, 200]


async def test_long_poll_gets_update_sent_after_it_started(api: FakeBotApi, bot: Bot, caller: User) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_polling()
    update_id = api.send_text(caller, caller, "/baru@dispatch112_bot kebakaran")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 2
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message.chat.type == "private" and message.from_user.id == caller.id
    assert message.parse_entities() and list(message.parse_entities().values()) == ["/baru@dispatch112_bot"]

    # Not confirmed yet: asking again returns it again.
    assert [u.update_id for u in await bot.get_updates()] == [update_id]
    assert api.confirmed_offset <= update_id
    assert await bot.get_updates(offset=update_id + 1) == ()
    await api.wait_confirmed(update_id, timeout=1)
    assert api.pending_updates == []


async def test_second_concurrent_poll_is_a_conflict(api: FakeBotApi, bot: Bot, caller: User) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await api.wait_polling()
    # A second bot instance: one Bot keeps a single connection for getUpdates.
    async with Bot(TOKEN, base_url=api.base_url) as twin:
        with pytest.raises(Conflict):
            await twin.get_updates(timeout=0)
    api.send_text(caller, caller, "halo")
    assert len(await asyncio.wait_for(first, 3)) == 1


async def test_tap_gives_callback_query_with_current_message(
    api: FakeBotApi, bot: Bot, group: Chat, caller: User
) -> None:
    card = await bot.send_message(GROUP, "#42 Kebakaran", reply_markup=keyboard("terima"))
    await bot.edit_message_text("#42 Kebakaran (1)", GROUP, card.message_id, reply_markup=keyboard("tiba"))
    query_id = api.tap(caller, group, card.message_id, "42:tiba")
    forged = api.tap(caller, group, 31337, "42:selesai")

    updates = await bot.get_updates()
    query = updates[0].callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "42:tiba", caller.id)
    assert query.message.message_id == card.message_id and query.message.text == "#42 Kebakaran (1)"
    assert query.message.reply_markup == keyboard("tiba")
    assert query.message.chat.id == GROUP
    other = updates[1].callback_query
    # PTB 22.8 parses an InaccessibleMessage (date 0) as a Message that reports so.
    assert other.id == forged and other.message.message_id == 31337 and not other.message.is_accessible

    assert await bot.answer_callback_query(query_id, text="Diterima")
    assert api.answered_callbacks[query_id]["text"] == "Diterima"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_send_photo_is_stored_and_downloadable(api: FakeBotApi, bot: Bot, group: Chat) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    sent = await bot.send_photo(GROUP, png, caption="<b>Peta</b> #42", parse_mode="HTML")
    assert sent.photo and sent.caption == "Peta #42"
    stored = api.messages_in(GROUP)[-1]
    assert stored.photo == png and stored.caption == "Peta #42"
    assert json.loads(json.dumps(api.calls_of("sendPhoto")[0].params))["chat_id"] == str(GROUP)
    downloaded = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == png

    doc = await bot.send_document(GROUP, b"no,waktu\n42,10:00\n", filename="laporan.csv")
    assert doc.document.file_name == "laporan.csv"
    assert api.messages_in(GROUP)[-1].document == b"no,waktu\n42,10:00\n"


async def test_voice_notes_both_ways(api: FakeBotApi, bot: Bot, group: Chat, caller: User) -> None:
    ogg = b"OggS" + bytes(range(256)) * 4
    sent = await bot.send_voice(GROUP, ogg, caption="🎙 <b>Damkar-1</b> · #42", parse_mode="HTML")
    assert sent.voice is not None and sent.caption == "🎙 Damkar-1 · #42"
    assert api.messages_in(GROUP)[-1].voice == ogg
    assert bytes(await (await bot.get_file(sent.voice.file_id)).download_as_bytearray()) == ogg
    # A user's voice note replying to the bot's message: the update quotes it, getFile serves the audio.
    api.send_voice(caller, group, b"OggS-user", duration=3.4, reply_to_message_id=sent.message_id)
    api.send_voice(caller, group, b"ID3-mp3", duration=2, as_audio="lagu.mp3")
    voice_update, audio_update = (await bot.get_updates())[-2:]
    message = voice_update.message
    assert message is not None and message.voice is not None
    assert message.reply_to_message is not None and message.reply_to_message.caption == "🎙 Damkar-1 · #42"
    assert bytes(await (await bot.get_file(message.voice.file_id)).download_as_bytearray()) == b"OggS-user"
    audio = audio_update.message.audio if audio_update.message else None
    assert audio is not None and audio.file_name == "lagu.mp3" and audio.mime_type == "audio/mpeg"


async def test_other_methods_parse(api: FakeBotApi, bot: Bot, group: Chat, caller: User) -> None:
    info = await bot.get_chat(GROUP)
    assert isinstance(info, ChatFullInfo) and info.title == "Damkar Kota Blitar"
    assert (await bot.get_chat(caller.id)).first_name == "Sari"
    assert (await bot.get_chat_member(GROUP, caller.id)).status == "member"
    assert (await bot.get_chat_member(GROUP, bot.id)).status == "administrator"
    api.set_member_status(group, caller, "left")
    assert (await bot.get_chat_member(GROUP, caller.id)).status == "left"

    commands = [BotCommand("baru", "Kejadian baru"), BotCommand("aktif", "Kejadian aktif")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    assert await bot.send_chat_action(GROUP, "typing")
    pin = await bot.send_location(GROUP, -8.0983, 112.1681)
    assert pin.location.latitude == pytest.approx(-8.0983)
    assert await bot.delete_message(GROUP, pin.message_id)
    assert api.messages_in(GROUP)[-1].deleted
    with pytest.raises(BadRequest):
        await bot.delete_message(GROUP, pin.message_id)
    assert await bot.leave_chat(GROUP)
    assert api.left_chats == [GROUP]
    assert await bot.delete_webhook() and await bot.set_webhook("https://example.invalid/hook")
    assert await bot.close() and await bot.log_out()


async def test_bot_added_to_group_and_location(api: FakeBotApi, bot: Bot, caller: User) -> None:
    new_group = api.group(-100777, "Polsek Sananwetan")
    api.add_bot_to_group(caller, new_group)
    pin_id = api.send_location(caller, new_group, -8.1, 112.16)
    updates = await bot.get_updates()
    assert updates[0].my_chat_member.new_chat_member.status == "member"
    assert updates[1].message.new_chat_members[0].id == bot.id
    assert updates[2].update_id == pin_id and updates[2].message.location.longitude == pytest.approx(112.16)


async def test_timed_out_send_may_still_be_delivered(api: FakeBotApi, group: Chat) -> None:
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(TOKEN, base_url=api.base_url, request=request) as impatient:
        api.delay_next("sendMessage", 5, deliver=True)
        with pytest.raises(TimedOut):
            await impatient.send_message(GROUP, "mungkin terkirim")
        assert [m.text for m in api.messages] == ["mungkin terkirim"]

        api.delay_next("sendMessage", 5, deliver=False)
        with pytest.raises(TimedOut):
            await impatient.send_message(GROUP, "hilang")
        # The server notices the client hung up and drops the request unperformed.
        await api.wait_for(lambda: [c for c in api.calls_of("sendMessage") if c.http_status == 499][1:], 2)
        assert [m.text for m in api.messages] == ["mungkin terkirim"]


async def test_sends_per_window(api: FakeBotApi, bot: Bot, group: Chat) -> None:
    for n in range(3):
        await bot.send_message(GROUP, f"m{n}")
    assert api.sends_per_window(GROUP, 60) == 3
    assert api.sends_per_window(-1, 60) == 0


async def test_wait_for_times_out_with_a_dump(api: FakeBotApi, bot: Bot, group: Chat) -> None:
    await bot.send_message(GROUP, "sudah ada")
    assert (await api.wait_message(GROUP, "sudah")).text == "sudah ada"
    with pytest.raises(TimeoutError, match="sudah ada"):
        await api.wait_message(GROUP, "belum", timeout=0.05)


async def test_wait_for_can_recheck_outside_state(api: FakeBotApi) -> None:
    outside = asyncio.Event()  # stands for a database row the server never hears about
    asyncio.get_running_loop().call_later(0.05, outside.set)
    assert await api.wait_for(outside.is_set, timeout=2, recheck=0.02)


async def test_application_polling_runs_a_command(api: FakeBotApi, caller: User) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Halo {update.effective_user.first_name}")

    app = ApplicationBuilder().token(TOKEN).base_url(api.base_url).base_file_url(api.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        update_id = api.send_text(caller, caller, "/start")
        reply = await api.wait_message(caller.id, "Halo Sari", timeout=5)
        assert reply.reply_to_message_id is None or reply.reply_to_message_id > 0
        await app.updater.stop()
        await app.stop()
    await api.wait_confirmed(update_id, timeout=2)
    assert [c.method for c in api.calls][:2] == ["getMe", "deleteWebhook"]
    # Stopping cancels the long-poll and confirms with a last getUpdates; that must not be a 409.
    assert [c.http_status for c in api.calls_of("getUpdates")][-1] == 200
    assert all(c.http_status != 409 for c in api.calls)


async def test_group_lifecycle_as_telegram_sends_it(api: FakeBotApi, bot: Bot, caller: User) -> None:
    old = api.group(-4001, "Damkar")
    api.add_bot_to_group(caller, old)
    api.promote_bot(caller, old)
    api.restrict_bot(caller, old)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.send_message(old.id, "x")
    api.add_bot_to_group(caller, old)
    new = api.migrate_group(caller, old, -1004001)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(old.id, "x")
    assert migrated.value.new_chat_id == -1004001
    await bot.send_message(new.id, "ok")
    api.kick_bot(caller, new)
    with pytest.raises(Forbidden, match=r"(?i)kicked from the supergroup chat"):
        await bot.send_message(new.id, "x")
    api.share_chat(caller, 7, new)
    api.open_link(caller, "https://t.me/dispatch112_bot?start=abc_DEF-1")
    updates = await bot.get_updates(timeout=0)
    members = [u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member]
    assert members == ["member", "administrator", "restricted", "member", "member", "kicked"]  # + the join
    promoted = [u.my_chat_member for u in updates if u.my_chat_member][1]
    assert promoted.old_chat_member.status == "member"  # old and new status, as Telegram reports them
    migration = [(u.message.chat.id, u.message.migrate_to_chat_id, u.message.migrate_from_chat_id)
                 for u in updates if u.message and (u.message.migrate_to_chat_id or u.message.migrate_from_chat_id)]  # fmt: skip
    assert migration == [(-4001, -1004001, None), (-1004001, None, -4001)]
    shared = next(u.message.chat_shared for u in updates if u.message and u.message.chat_shared)
    assert (shared.request_id, shared.chat_id) == (7, -1004001)
    assert updates[-1].message.text == "/start abc_DEF-1"
