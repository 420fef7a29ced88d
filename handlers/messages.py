"""Plain text and location pins: answers to a form step or to a Tolak; anything else is chatter."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.services.common import Refused, staff_chat
from handlers import decline, guided, handoff
from handlers.common import STRANGER, WRONG_CHAT, Context, actor_of, app_of, guarded

MAX_MESSAGE = 4096


@guarded("anyone")
async def on_message(update: Update, context: Context) -> None:
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None
    async with app.store.reading(app.clock()) as tx:
        draft = await tx.drafts.get(actor.id, actor.chat_id)
    if draft is None:
        if actor.chat_id == actor.id:  # a private chat: say what the bot understands
            if not app.is_call_taker(actor.id) and not app.is_supervisor(actor.id):
                raise Refused(STRANGER, "stranger")
            raise Refused("Perintah tidak dikenal. Ketik /bantu untuk daftar perintah.", "unknown_text")
        return  # responders talking among themselves in their group
    if message.text is not None and len(message.text) > MAX_MESSAGE:
        raise Refused(f"Pesan terlalu panjang (maksimal {MAX_MESSAGE} karakter).", "too_long")
    kind, step, data = draft
    if kind == "decline":
        await decline.on_reason(update, context, data)
    elif kind == "handoff_decline":
        await handoff.decline_reason(update, context, data)
    elif app.is_call_taker(actor.id):
        if not staff_chat(app, actor.chat_id):
            raise Refused(WRONG_CHAT, "wrong_chat")  # a form never runs in an agency group
        await guided.on_text(update, context, step, data)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(MessageHandler((filters.TEXT & ~filters.COMMAND) | filters.LOCATION, on_message))
