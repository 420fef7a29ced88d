"""/daftar, /lepas, /undang, /start <kode>, /petugas, /cabut, /radio, /hubungkan and chat_shared: the centre set
up from Telegram. Authorisation is by numeric id against the roster ([access] admins always count)."""

from __future__ import annotations

from telegram import KeyboardButton, KeyboardButtonRequestChat, ReplyKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.services.common import Refused
from bot.services.radio_users import radio_users
from bot.services.roster import (
    bind_group,
    create_invite,
    enroll,
    group_key,
    list_people,
    request_chat,
    require_admin,
    revoke,
    unbind_group,
)
from handlers.common import Context, actor_of, app_of, args_after_command, guarded


@guarded("anyone")
async def daftar(update: Update, context: Context) -> None:
    app = app_of(context)
    actor = actor_of(update)
    chat = update.effective_chat
    assert chat is not None
    require_admin(app, actor)
    if chat.type not in ("group", "supergroup"):
        raise Refused("Ketik /daftar <kode_instansi> di grup yang mau didaftarkan, bukan di chat pribadi. "
                      "Dari sini: /hubungkan <kode_instansi>.", "private_chat")  # fmt: skip
    word = args_after_command(update).strip()
    if not word:
        raise Refused("Format: /daftar <kode_instansi> | petugas | supervisor", "format")
    await bind_group(app, actor, word, chat.id, chat.title, update_id=update.update_id)


@guarded("anyone")
async def lepas(update: Update, context: Context) -> None:
    word = args_after_command(update).strip()
    app = app_of(context)
    require_admin(app, actor_of(update))
    if not word:
        raise Refused("Format: /lepas <kode_instansi> | petugas | supervisor", "format")
    await unbind_group(app, actor_of(update), word, update_id=update.update_id)


@guarded("anyone")
async def undang(update: Update, context: Context) -> None:
    await create_invite(
        app_of(context), actor_of(update), args_after_command(update), update_id=update.update_id
    )


@guarded("anyone")
async def start_with_code(update: Update, context: Context) -> None:
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None and user is not None
    if chat.type != "private":
        raise Refused("Buka tautan undangan di chat pribadi dengan bot.", "not_private")
    await enroll(app_of(context), actor_of(update), args_after_command(update), user.username,
                 update_id=update.update_id)  # fmt: skip


@guarded("anyone")
async def petugas(update: Update, context: Context) -> None:
    await list_people(app_of(context), actor_of(update), update_id=update.update_id)


@guarded("anyone")
async def cabut(update: Update, context: Context) -> None:
    await revoke(app_of(context), actor_of(update), args_after_command(update), update_id=update.update_id)


@guarded("anyone")
async def radio(update: Update, context: Context) -> None:
    await radio_users(
        app_of(context), actor_of(update), args_after_command(update), update_id=update.update_id
    )


@guarded("anyone")
async def hubungkan(update: Update, context: Context) -> None:
    """Telegram's own chat picker: the admin picks the group, the bot receives chat_shared."""
    app = app_of(context)
    actor = actor_of(update)
    require_admin(app, actor)
    if actor.chat_id != actor.id:
        raise Refused("Ketik /hubungkan <kode_instansi> di chat pribadi dengan bot; di grup, pakai /daftar.",
                      "not_private")  # fmt: skip
    word = args_after_command(update).strip()
    if not word:
        raise Refused("Format: /hubungkan <kode_instansi> | petugas | supervisor", "format")
    key = group_key(app, word)
    request_id, text = await request_chat(app, actor, key, update_id=update.update_id)
    # A reply keyboard cannot go through the outbox (it carries inline keyboards only). The request is
    # committed first; if this send fails the admin simply types /hubungkan again.
    button = KeyboardButton("Pilih grup", request_chat=KeyboardButtonRequestChat(
        request_id=request_id, chat_is_channel=False, bot_is_member=True))  # fmt: skip
    markup = ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)
    message = update.effective_message
    assert message is not None
    await message.reply_html(text, reply_markup=markup)


@guarded("anyone")
async def chat_shared(update: Update, context: Context) -> None:
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None and message.chat_shared is not None
    require_admin(app, actor)
    await bind_group(app, actor, "", message.chat_shared.chat_id, message.chat_shared.title,
                     update_id=update.update_id, chat_request=message.chat_shared.request_id)  # fmt: skip


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("daftar", daftar))
    application.add_handler(CommandHandler("lepas", lepas))
    application.add_handler(CommandHandler("undang", undang))
    application.add_handler(CommandHandler("start", start_with_code, has_args=True))
    application.add_handler(CommandHandler("petugas", petugas))
    application.add_handler(CommandHandler("cabut", cabut))
    application.add_handler(CommandHandler("hubungkan", hubungkan))
    application.add_handler(CommandHandler("radio", radio))
    application.add_handler(MessageHandler(filters.StatusUpdate.CHAT_SHARED, chat_shared))
