"""Responder status: a tap on a card and a command on the radio are the same use case."""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import DispatchApp
from bot.services.announce import radio_note
from bot.services.common import PRIORITY_NOTICE, Actor, Refused, card, esc, reply
from routing.assignment import LABELS, VERBS, AlreadyDone, TransitionRefused, advance
from routing.fields import MAX_REASON, FieldError, clean_text
from routing.model import AssignmentState
from storage.records import AssignmentRecord, IncidentRecord
from storage.uow import Tx


@dataclass(frozen=True, slots=True)
class StatusChange:
    incident: IncidentRecord
    assignment: AssignmentRecord
    changed: bool
    state: AssignmentState


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the command came from, checked against the assignment: a card's group, or a radio user's agency."""

    chat_id: int | None = None
    agency: str | None = None
    token: str | None = None
    message_id: int | None = None  # the card that was tapped


def _check_origin(assignment: AssignmentRecord, origin: Origin) -> None:
    if origin.chat_id is not None and origin.chat_id != assignment.chat_id:
        raise Refused("Tombol ini hanya berlaku di grup instansi yang ditugaskan.", "foreign_chat")
    if origin.token is not None and origin.token != assignment.token:
        raise Refused("Tombol tidak dikenal.", "forged_callback")
    if origin.agency is not None and origin.agency != assignment.agency:
        raise Refused("Anda tidak terdaftar untuk instansi ini.", "wrong_agency")


async def report_status(
    app: DispatchApp,
    assignment_id: int,
    target: AssignmentState,
    actor: Actor,
    origin: Origin,
    *,
    reason: str | None = None,
    update_id: int | None,
    only_from: str | None = None,
) -> StatusChange:
    """Apply one step. only_from: the state the person saw when they asked (a Tolak tap), so a late
    reason cannot decline a unit that has moved on meanwhile."""
    if reason is not None:
        try:
            reason = clean_text(reason, "Alasan", MAX_REASON)
        except FieldError as exc:
            raise Refused(exc.message, "field") from None
    async with app.store.transaction(app.clock(), update_id) as tx:
        assignment = await tx.assignments.get(assignment_id)
        if assignment is None:
            raise Refused("Tugas tidak ditemukan.", "unknown_assignment")
        _check_origin(assignment, origin)
        incident = await tx.incidents.get(assignment.incident_id)
        assert incident is not None
        if incident.state != "open":
            raise Refused(f"Kejadian #{incident.number} sudah tidak aktif.", "incident_not_open")
        if only_from is not None and assignment.state != only_from:
            now_label = LABELS[AssignmentState(assignment.state)]
            raise Refused(f"#{incident.number} sudah berubah ({now_label}) sejak Tolak ditekan; penolakan tidak "
                          "dicatat. Tekan Tolak lagi bila tetap menolak.", "stale_decline")  # fmt: skip
        try:
            new_state = advance(AssignmentState(assignment.state), target, reason)
        except AlreadyDone:
            return StatusChange(incident, assignment, False, target)
        except TransitionRefused as exc:
            raise Refused(exc.message, "transition") from None
        await tx.assignments.move(assignment.id, new_state.value, tx.now, reason)
        await tx.drafts.delete_declines(assignment.id)  # any later step ends every Tolak still waiting
        await tx.events.add(
            "status", actor.channel, actor_id=actor.id, actor_name=actor.name, incident_id=incident.id,
            assignment_id=assignment.id, agency=assignment.agency, state=new_state.value, previous=assignment.state,
            reason=reason,
        )  # fmt: skip
        updated = await tx.assignments.get(assignment.id)
        assert updated is not None
        # A card sent twice around a crash: the copy that was tapped is kept current too.
        also = origin.message_id if origin.message_id not in (None, assignment.message_id) else None
        await card(tx, incident, updated, also_message_id=also)
        await _tell_call_taker(tx, app, incident, updated, actor, reason)
    app.wake()
    return StatusChange(incident, updated, True, new_state)


async def _tell_call_taker(tx: Tx, app: DispatchApp, incident: IncidentRecord, assignment: AssignmentRecord,
                           actor: Actor, reason: str | None) -> None:  # fmt: skip
    state = AssignmentState(assignment.state)
    agency = app.routing.agency_short(assignment.agency)
    via = "radio" if actor.channel == "radio" else "Telegram"
    when = app.local(tx.now).strftime("%H:%M")
    text = (
        f"{esc(agency)} {VERBS[state]} <b>#{incident.number}</b> ({esc(actor.name)}, {when} WIB, lewat {via})"
    )
    if state is AssignmentState.DECLINED:
        text += (
            f"\nAlasan: {esc(reason or '-')}"
            f"\n👉 Tambahkan instansi lain: <code>/tambah {incident.number} &lt;kode_instansi&gt;</code>"
        )
    await reply(tx, app.call_taker_target(incident.call_taker_id), text, incident_id=incident.id,
                priority=PRIORITY_NOTICE)  # fmt: skip
    await radio_note(tx, app, incident, f"#{incident.number} {agency}: {LABELS[state]}")


async def find_assignment(
    app: DispatchApp, number: int, agency: str
) -> tuple[IncidentRecord, AssignmentRecord]:
    async with app.store.reading(app.clock()) as tx:
        incident = await tx.incidents.by_number(number)
        if incident is None:
            raise Refused(f"Kejadian #{number} tidak ditemukan.", "unknown_incident")
        assignment = await tx.assignments.find(incident.id, agency)
    if assignment is None:
        raise Refused(f"{app.routing.agency_short(agency)} tidak ditugaskan pada #{number}.", "not_assigned")
    return incident, assignment
