"""Taps on agency cards: Terima / Berangkat / Tiba / Selesai / Tolak."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.render import parse_callback
from bot.services.common import Refused
from bot.services.status import Origin, report_status
from handlers import decline
from handlers.common import Context, actor_of, answer, app_of, guarded
from routing.assignment import LABELS
from routing.model import AssignmentState


@guarded("anyone")
async def tap(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    parsed = parse_callback(query.data or "")
    if parsed is None:
        raise Refused("Tombol tidak dikenal.", "forged_callback")
    assignment_id, token, target = parsed
    app = app_of(context)
    actor = actor_of(update)
    origin = Origin(chat_id=query.message.chat.id, token=token, message_id=query.message.message_id)
    if target is AssignmentState.DECLINED:
        await decline.ask_reason(update, context, assignment_id, origin)
        return
    change = await report_status(app, assignment_id, target, actor, origin, update_id=update.update_id)
    note = (
        f"Tercatat: {LABELS[target]}"
        if change.changed
        else f"Sudah tercatat: {LABELS[AssignmentState(change.assignment.state)]}"
    )
    await answer(query, f"#{change.incident.number} {note}")


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(tap, pattern=r"^s:"))
    application.add_handler(CallbackQueryHandler(tap, pattern=r"^(?!g:)"))  # anything else is forged
