"""Taps on agency cards: Terima / Berangkat / Tiba / Selesai / Tolak."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.app import DispatchApp
from bot.render import parse_callback
from bot.services.common import Refused, reply
from bot.services.status import Origin, report_status
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
        await _ask_reason(update, context, assignment_id, origin)
        return
    change = await report_status(app, assignment_id, target, actor, origin, update_id=update.update_id)
    note = (
        f"Tercatat: {LABELS[target]}"
        if change.changed
        else f"Sudah tercatat: {LABELS[AssignmentState(change.assignment.state)]}"
    )
    await answer(query, f"#{change.incident.number} {note}")


async def _ask_reason(update: Update, context: Context, assignment_id: int, origin: Origin) -> None:
    """Tolak needs a reason: remember who is declining, and ask for it as a reply."""
    app = app_of(context)
    actor = actor_of(update)
    query = update.callback_query
    assert query is not None
    async with app.store.transaction(app.clock(), update.update_id) as tx:
        assignment = await tx.assignments.get(assignment_id)
        if assignment is None or assignment.chat_id != origin.chat_id or assignment.token != origin.token:
            raise Refused("Tombol ini hanya berlaku di grup instansi yang ditugaskan.", "foreign_chat")
        incident = await tx.incidents.get(assignment.incident_id)
        assert incident is not None
        if assignment.state in ("cleared", "declined") or incident.state != "open":
            raise Refused(f"#{incident.number}: status sudah final.", "transition")
        await tx.drafts.put(actor.id, actor.chat_id, "decline", "reason", {"assignment_id": assignment_id,
                                                                           "token": assignment.token})  # fmt: skip
        mention = f'<a href="tg://user?id={actor.id}">{actor.name}</a>'
        await reply(tx, actor.chat_id, f"{mention}, tulis alasan menolak <b>#{incident.number}</b> "
                    "sebagai balasan pesan ini.", force_reply=True)  # fmt: skip
    app.wake()
    await answer(query, "Tulis alasan penolakan di grup.")


async def decline_reason(update: Update, context: Context, data: dict[str, object]) -> None:
    """The text that follows a Tolak tap from the same person in the same group."""
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None
    origin = Origin(chat_id=actor.chat_id, token=str(data["token"]))
    assignment_id = int(str(data["assignment_id"]))
    try:
        await report_status(app, assignment_id, AssignmentState.DECLINED, actor, origin,
                            reason=message.text or "", update_id=update.update_id)  # fmt: skip
    except Refused as refusal:
        if refusal.reason == "field":
            raise  # an empty or over-long reason: keep waiting for a better one
        await _forget(app, actor.id, actor.chat_id)
        raise
    await _forget(app, actor.id, actor.chat_id)


async def _forget(app: DispatchApp, user_id: int, chat_id: int) -> None:
    async with app.store.transaction(app.clock()) as tx:
        await tx.drafts.delete(user_id, chat_id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(tap, pattern=r"^s:"))
    application.add_handler(CallbackQueryHandler(tap, pattern=r"^(?!g:)"))  # anything else is forged
