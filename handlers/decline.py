"""Tolak asks for a reason; the reason is a reply to that prompt, from the person who tapped, within a
few minutes, and only while the assignment is still where it was when Tolak was tapped."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update

from bot.app import DispatchApp
from bot.services.common import PRIORITY_LOW, Refused, esc, reply, sent_message_id
from bot.services.status import Origin, report_status
from handlers.common import Context, actor_of, answer, app_of
from routing.model import AssignmentState

# How long a Tolak waits for its reason. Long enough to type one; short enough that an abandoned
# Tolak does not turn later talk into a decline.
DECLINE_WAIT = 300.0
ASKED_AGAIN = "Alasan sudah diminta: balas pesan permintaan alasan di grup."
EXPIRED = (
    "Permintaan alasan Tolak sudah kedaluwarsa (lebih dari 5 menit); tidak ada yang dicatat. "
    "Tekan Tolak lagi pada kartu bila tetap menolak."
)
NOT_A_REPLY = "Alasan Tolak dikirim sebagai balasan (reply) pada pesan permintaan alasan dari bot."


def _waiting(
    draft: tuple[str, str, dict[str, Any]] | None, assignment_id: int, state: str, now: float
) -> bool:
    if draft is None or draft[0] != "decline":
        return False
    data = draft[2]
    fresh = now - float(data.get("asked_at", 0)) < DECLINE_WAIT
    return fresh and data.get("assignment_id") == assignment_id and data.get("from") == state


async def ask_reason(update: Update, context: Context, assignment_id: int, origin: Origin) -> None:
    """Remember who is declining and from which state, and ask once for the reason as a reply."""
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
        draft = await tx.drafts.get(actor.id, actor.chat_id)
        again = _waiting(draft, assignment_id, assignment.state, tx.now)
        if not again:
            if draft is not None and draft[0] == "decline" and draft[2].get("prompt") is not None:
                await tx.outbox.withdraw(int(draft[2]["prompt"]))  # one prompt per person at a time
            mention = f'<a href="tg://user?id={actor.id}">{esc(actor.name)}</a>'
            prompt = await reply(tx, actor.chat_id, f"{mention}, tulis alasan menolak <b>#{incident.number}</b> "
                                 "sebagai balasan pesan ini.", force_reply=True, priority=PRIORITY_LOW)  # fmt: skip
            await tx.drafts.put(actor.id, actor.chat_id, "decline", "reason", {
                "assignment_id": assignment_id, "token": assignment.token, "from": assignment.state,
                "asked_at": tx.now, "prompt": prompt,
            })  # fmt: skip
    if not again:
        app.wake()
    await answer(query, ASKED_AGAIN if again else "Tulis alasan penolakan di grup.")


async def is_the_reason(update: Update, context: Context, data: dict[str, Any]) -> bool:
    """Whether this message answers the waiting Tolak: a reply to the bot's prompt, in time. An expired
    wait is forgotten; a reply to another bot message is refused politely; other talk is not a reason.
    Shared by the agency cards' Tolak and the hand-off card's Tolak."""
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None
    now = app.clock()
    prompt_row = data.get("prompt")
    replied = message.reply_to_message
    to_bot = _from_bot(replied, context.bot.id)
    # Only a reply to the bot can be the reason: only then is the prompt's send result waited for.
    prompt_id = await sent_message_id(app, int(prompt_row)) if to_bot and prompt_row is not None else None
    to_prompt = to_bot and replied is not None and prompt_id is not None and replied.message_id == prompt_id
    if now - float(data.get("asked_at", 0)) >= DECLINE_WAIT:
        await _forget(app, actor.id, actor.chat_id)
        if to_bot:
            raise Refused(EXPIRED, "decline_expired")
        return False
    if not to_prompt:
        if to_bot:
            raise Refused(NOT_A_REPLY, "decline_not_reply")
        return False  # talk among the responders: not a reason
    return True


async def on_reason(update: Update, context: Context, data: dict[str, Any]) -> None:
    """A message from someone whose Tolak is waiting: only a reply to the prompt is the reason."""
    if not await is_the_reason(update, context, data):
        return
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None
    origin = Origin(chat_id=actor.chat_id, token=str(data["token"]))
    try:
        await report_status(app, int(str(data["assignment_id"])), AssignmentState.DECLINED, actor, origin,
                            reason=message.text or "", update_id=update.update_id,
                            only_from=str(data.get("from")))  # fmt: skip
    except Refused as refusal:
        if refusal.reason == "field":
            raise  # an empty or over-long reason: keep waiting for a better one
        await _forget(app, actor.id, actor.chat_id)
        raise
    await _forget(app, actor.id, actor.chat_id)


def _from_bot(message: Message | None, bot_id: int) -> bool:
    return message is not None and message.from_user is not None and message.from_user.id == bot_id


async def _forget(app: DispatchApp, user_id: int, chat_id: int) -> None:
    async with app.store.transaction(app.clock()) as tx:
        await tx.drafts.delete(user_id, chat_id)
