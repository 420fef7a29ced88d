"""Edited messages: never run a command or a form step again.

PTB's CommandHandler and MessageHandler also fire on edited_message, so an edited /baru line would
dispatch a second incident. This handler sits in a group before every other one and stops the update."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.services.common import Refused
from handlers.common import STRANGER, Context, actor_of, app_of, guarded

EDITED = (
    "Pesan yang diedit tidak diproses ulang; perintah aslinya tetap berlaku seperti semula. "
    "Untuk memperbaiki kejadian: /batal <nomor> <alasan> lalu kirim /baru lagi, atau "
    "/tambah <nomor> <kode_instansi> untuk instansi yang kurang. Dalam formulir: ketik jawabannya lagi."
)
# Before every feature's handlers (group 0): an edit never reaches them.
GROUP = -1


@guarded("anyone")
async def _refuse_edit(update: Update, context: Context) -> None:
    message = update.edited_message
    assert message is not None
    if message.location is not None:
        return  # a live location moving: a position update, not an answer
    app = app_of(context)
    actor = actor_of(update)
    async with app.store.reading(app.clock()) as tx:
        draft = await tx.drafts.get(actor.id, actor.chat_id)
    is_command = (message.text or "").startswith("/")
    if draft is None and not is_command:
        return  # people correcting their own chatter in a group
    if draft is None and not (app.is_call_taker(actor.id) or app.is_supervisor(actor.id)):
        raise Refused(STRANGER, "stranger")
    raise Refused(EDITED, "edited")


async def on_edit(update: Update, context: Context) -> None:
    await _refuse_edit(update, context)
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit), group=GROUP)
