"""/serahkan, the hand-off card's Terima / Tolak, and EIDD documents posted by the neighbouring 112."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.app import DispatchApp
from bot.eidd import MAX_BYTES
from bot.roster import CALL_TAKERS
from bot.services.common import Refused
from bot.services.eidd_import import import_document
from bot.services.handoff import accept, ask_reason, decline, serahkan
from handlers.common import STRANGER, Context, actor_of, answer, app_of, args_after_command, guarded
from handlers.decline import is_the_reason
from handlers.manage import number_and_rest
from routing.incident import parse_number

_CALLBACK = re.compile(r"^h:(\d{1,12}):([0-9a-f]{8}):([ax])$")
USAGE = "/serahkan <nomor> [catatan]"


@guarded("call_taker")
async def serahkan_command(update: Update, context: Context) -> None:
    parts = args_after_command(update).split(maxsplit=1)
    number = parse_number(parts[0]) if parts else None
    if number is None:
        number_and_rest(update, USAGE)  # raises the usual "Nomor kejadian tidak valid"
        return
    await serahkan(app_of(context), number, parts[1] if len(parts) > 1 else "", actor_of(update),
                   update_id=update.update_id)  # fmt: skip


@guarded("anyone")  # anyone in the hand-off group: the neighbour's staff are not ours to list
async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    match = _CALLBACK.match(query.data or "")
    if match is None:
        raise Refused("Tombol tidak dikenal.", "forged_callback")
    app = app_of(context)
    actor = actor_of(update)
    handoff_id, token, chat_id = int(match[1]), match[2], query.message.chat.id
    if match[3] == "a":
        number = await accept(app, handoff_id, token, chat_id, actor, update_id=update.update_id)
        await answer(query, f"#{number} diterima.")
        return
    await ask_reason(app, handoff_id, token, chat_id, actor, update_id=update.update_id)
    await answer(query, "Tulis alasan penolakan sebagai balasan.")


async def decline_reason(update: Update, context: Context, data: dict[str, object]) -> None:
    """Called by handlers/messages.py for the text that follows a Tolak on a hand-off card."""
    if not await is_the_reason(update, context, data):
        return
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None
    try:
        await decline(app, data, message.text or "", actor, update_id=update.update_id)
    except Refused as refusal:
        if refusal.reason != "field":  # an empty reason keeps the question open; anything else ends it
            async with app.store.transaction(app.clock()) as tx:
                await tx.drafts.delete(actor.id, actor.chat_id)
        raise


def _may_import(app: DispatchApp, user_id: int, chat_id: int) -> bool:
    return app.is_call_taker(user_id) or chat_id == app.roster.chat(CALL_TAKERS)


@guarded("anyone")
async def on_document(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    app = app_of(context)
    actor = actor_of(update)
    if not _may_import(app, actor.id, actor.chat_id):
        if actor.chat_id == actor.id:
            raise Refused(STRANGER, "stranger")
        return  # a file shared in some other group is none of our business
    document = message.document
    if not ((document.file_name or "").lower().endswith(".json") or document.mime_type == "application/json"):
        if actor.chat_id == actor.id:
            raise Refused("Kirim dokumen EIDD berformat JSON (.json).", "eidd_invalid")
        return  # call takers share other files in their group: only .json documents are imports
    if (document.file_size or 0) > MAX_BYTES:
        raise Refused(f"Dokumen terlalu besar (maksimal {MAX_BYTES // 1024} KB).", "eidd_invalid")
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    await import_document(app, data, actor, update_id=update.update_id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("serahkan", serahkan_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^h:"))
    application.add_handler(MessageHandler(filters.Document.ALL, on_document))
