"""What every use case shares: who acts, refusals, and the outbox rows they enqueue."""

from __future__ import annotations

import asyncio
import contextlib
import html
from dataclasses import dataclass
from typing import Any

from bot.app import DispatchApp
from bot.roster import CALL_TAKERS, SUPERVISORS
from routing.fields import mask_phones_in
from storage.records import AssignmentRecord, IncidentRecord
from storage.uow import Tx

# Lower goes first. Replies to a call taker must never wait behind a backlog of cards.
PRIORITY_REPLY = 0
PRIORITY_NOTICE = 1
PRIORITY_DIGEST = 9
# Tolak prompts, refusals, replies to strangers and the flood warning: in an agency group they must
# never take a card's place (cards are 1-3, edits of cards 4-6), however many taps ask for them.
PRIORITY_LOW = 7
# An edit of a card already in its group waits behind new cards: a new incident's first card must
# reach its group quickly even when a busy group is at its 20-a-minute limit.
EDIT_OFFSET = 3


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    name: str
    chat_id: int
    channel: str = "telegram"


class Refused(Exception):
    """A request we decline; `message` is shown to the user, `reason` is audited."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def number_label(incident: IncidentRecord) -> str:
    return f"#{incident.number}"


def staff_chat(app: DispatchApp, chat_id: int) -> bool:
    """A private chat, or the call takers' or supervisors' group: where staff commands may answer."""
    group = app.roster.group_of_chat(chat_id)
    return chat_id > 0 or (group is not None and group.key in (CALL_TAKERS, SUPERVISORS))


async def reply(tx: Tx, chat_id: int, text_html: str, *, incident_id: int | None = None,
                priority: int = PRIORITY_REPLY, **extra: Any) -> int:  # fmt: skip
    return await tx.outbox.add(
        "telegram", "text", chat_id, priority, {"html": text_html, **extra}, incident_id=incident_id
    )


async def card(tx: Tx, incident: IncidentRecord, assignment: AssignmentRecord, kind: str = "card",
               *, also_message_id: int | None = None) -> int | None:  # fmt: skip
    """Queue a render of the card; returns its outbox row (None: the agency has no group)."""
    if assignment.chat_id is None:
        return None
    payload = {"also_message_id": also_message_id} if also_message_id else None
    is_edit = kind == "card" and assignment.message_id is not None
    return await tx.outbox.add(
        "telegram", kind, assignment.chat_id, incident.priority + (EDIT_OFFSET if is_edit else 0), payload,
        incident_id=incident.id, assignment_id=assignment.id,
    )  # fmt: skip


async def open_send_early(tx: Tx, app: DispatchApp, row_id: int, target: int) -> None:
    """A new incident's first cards and its confirmation, when this process's delivery worker may
    send them at once: the send attempt opens in this transaction and the send starts the moment it
    commits (bot/delivery.py prepare_opened), with no fsynced commit of its own first and no pass.
    Killed before the result, the next process finds the attempt open and marks the resend, as for
    any send a crash cut. A row the worker would hold (pacer, a chat busy, any other row waiting for
    the chat) is left to open its attempt when it goes, as before: so one attempt a chat is open at
    most, and a kill leaves one message a chat in doubt."""
    if tx.opened is None or not app.claim_send(str(target)):
        return
    if await tx.outbox.begin_attempt_if_alone(row_id):
        tx.opened.append(row_id)


async def refuse(app: DispatchApp, actor: Actor, refusal: Refused, *, update_id: int | None,
                 command: str, reply_to: int | None = None) -> None:  # fmt: skip
    """Audit a refusal and answer it politely; nothing else changes. The audit keeps caller numbers
    masked: the events are kept for good, the full number only for [privacy] phone_retention_days."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        await tx.events.add(
            "refused", actor.channel, actor_id=actor.id, actor_name=actor.name,
            command=mask_phones_in(command)[:200], reason=refusal.reason,
            message=mask_phones_in(refusal.message),
        )  # fmt: skip
        if reply_to is not None:
            staff = app.is_call_taker(actor.id) or app.is_supervisor(actor.id)
            urgent = staff and staff_chat(app, reply_to)
            await reply(
                tx, reply_to, esc(refusal.message), priority=PRIORITY_REPLY if urgent else PRIORITY_LOW
            )
    app.wake()


# How long a handler waits for the delivery worker to record the message a send became (below).
SEND_RESULT_WAIT = 2.0


async def sent_message_id(app: DispatchApp, row_id: int, wait: float = SEND_RESULT_WAIT) -> int | None:
    """The Telegram message an outbox row became, or None while it is not sent. A row whose request is
    out may already be on the screen before its result is committed (a quick reply to a prompt, a bot
    under load): then this waits for the delivery worker's record, up to `wait` seconds. Only then:
    a row still queued is not waited for, so nobody's message holds up the intake for long."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        recorded = app.next_recorded()
        async with app.store.reading(app.clock()) as tx:
            message_id = await tx.outbox.message_id(row_id)
            sending = message_id is None and await tx.outbox.in_flight(row_id)
        left = deadline - asyncio.get_running_loop().time()
        if not sending or left <= 0:
            return message_id
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(left):
                await recorded.wait()
