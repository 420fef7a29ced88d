"""Shared edge plumbing: who is asking, the app object, and turning refusals into polite replies."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.app import DispatchApp
from bot.services.common import Actor, Refused, refuse, staff_chat
from storage.uow import AlreadyHandled

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
Role = Literal["call_taker", "supervisor", "anyone"]

STRANGER = (
    "Maaf, Anda tidak terdaftar sebagai petugas 112 Kota Blitar, jadi perintah ini tidak bisa dijalankan. "
    "Hubungi admin bila ini keliru."
)
WRONG_CHAT = "Perintah ini hanya dilayani di chat pribadi dengan bot atau di grup call taker / supervisor."
# A tap's spinner is answered in the background, never awaited by the update loop; an answer still
# waiting after this long is useless to the responder (Telegram drops it too) and is given up.
ANSWER_TIMEOUT = 4.0
ANSWERS_IN_FLIGHT = 8
_answers: set[asyncio.Task[None]] = set()
_answer_slots = asyncio.Semaphore(ANSWERS_IN_FLIGHT)  # bounded: answers never hog the connection pool


def app_of(context: Context) -> DispatchApp:
    app = context.application.bot_data["app"]
    assert isinstance(app, DispatchApp)
    return app


def actor_of(update: Update) -> Actor:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    name = user.full_name or (user.username or str(user.id))
    return Actor(id=user.id, name=name[:64], chat_id=chat.id)


def allowed(app: DispatchApp, role: Role, user_id: int) -> bool:
    if role == "call_taker":
        return app.is_call_taker(user_id)
    if role == "supervisor":
        return app.is_supervisor(user_id) or app.is_call_taker(user_id)
    return True


def command_text(update: Update) -> str:
    message = update.effective_message
    if message is not None and message.text:
        return message.text
    if update.callback_query is not None:
        return f"callback:{update.callback_query.data}"
    return update.effective_message.__class__.__name__ if update.effective_message else "update"


def guarded(role: Role) -> Callable[[Handler], Handler]:
    """Authorise by numeric id, then run; a Refused becomes an audited, polite reply that changes nothing."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def run(update: Update, context: Context) -> None:
            app = app_of(context)
            if update.effective_user is None or update.effective_chat is None:
                return
            actor = actor_of(update)
            text = command_text(update)
            try:
                if _forwarded(update):
                    raise Refused("Pesan terusan tidak diproses; ketik perintahnya langsung.", "forwarded")
                if not allowed(app, role, actor.id):
                    raise Refused(STRANGER, "stranger")
                if role != "anyone" and not staff_chat(app, actor.chat_id):
                    # An agency group must not see other agencies' incidents, a caller's number or a form.
                    raise Refused(WRONG_CHAT, "wrong_chat")
                await handler(update, context)
            except Refused as refusal:
                await _answer_refusal(update, app, actor, refusal, text)
            except AlreadyHandled:
                log.info("update %s was already applied before a restart", update.update_id)

        return run

    return wrap


def _forwarded(update: Update) -> bool:
    message = update.effective_message
    return message is not None and update.callback_query is None and message.forward_origin is not None


async def _answer_refusal(
    update: Update, app: DispatchApp, actor: Actor, refusal: Refused, text: str
) -> None:
    query = update.callback_query
    quiet = refusal.reason == "stranger" and not app.stranger_replies.allow(actor.id)
    try:
        await refuse(app, actor, refusal, update_id=update.update_id, command=text,
                     reply_to=None if query or quiet else actor.chat_id)  # fmt: skip
    except AlreadyHandled:
        return
    if query is not None:
        await answer(query, refusal.message)


async def answer(query: CallbackQuery, text: str) -> None:
    """Stop the button's spinner, in the background: a slow answerCallbackQuery must not hold up the
    next update (someone else's /baru). Best effort: the state change is already committed either way.
    Answers carry no order that matters (each one is a toast on its own tap)."""
    task = asyncio.create_task(_answer(query, text))
    _answers.add(task)
    task.add_done_callback(_answers.discard)


async def _answer(query: CallbackQuery, text: str) -> None:
    try:
        async with asyncio.timeout(ANSWER_TIMEOUT), _answer_slots:
            await query.answer(text[:190], show_alert=len(text) > 60)
    except Exception as exc:  # the spinner stops by itself after a while; nothing is lost
        log.warning(
            "answerCallbackQuery failed: %s", type(exc).__name__ if isinstance(exc, TimeoutError) else exc
        )


def args_after_command(update: Update) -> str:
    message = update.effective_message
    text = message.text if message and message.text else ""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""
