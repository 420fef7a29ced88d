"""Acknowledgement and arrival deadlines: a scanner that fires each escalation step exactly once.

Deadlines are computed from the database (notified_at / en_route_at and the incident's priority), so a
restart neither loses nor repeats a step: each step is a guarded UPDATE committed with its outbox rows
and its 'escalated' event. Step 1 re-posts the card (ULANG) and re-announces on the radio; step 2 alerts
the supervisors and the call taker. Agencies without a Telegram group are escalated to the call taker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.app import DispatchApp
from bot.clockwatch import settle_clock
from bot.render import place
from bot.reports.digest_text import duration_id
from bot.services.announce import announce
from bot.services.common import PRIORITY_NOTICE, card, esc, reply
from bot.settings import EscalationSettings
from bot.worker import DeadlineScanner
from storage.escalation import EscalationRepo, Waiting
from storage.records import AssignmentRecord, IncidentRecord
from storage.uow import Tx

log = logging.getLogger(__name__)
StepKind = Literal["repeat", "alert", "arrive"]
MAX_SLEEP = 30.0  # re-read the database at least this often, whatever happens to the wake-ups
RETRY_AFTER_ERROR = 5.0


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    due_at: float
    waiting: Waiting


def next_step(waiting: Waiting, cfg: EscalationSettings) -> Step | None:
    """The next escalation this assignment is heading for, with its due time; None when nothing is left."""
    p = waiting.priority
    if waiting.state == "notified":
        if waiting.escalation_level == 0:
            return Step("repeat", waiting.ack_base + cfg.ack(p), waiting)
        if waiting.escalation_level == 1:
            return Step("alert", waiting.ack_base + cfg.alert(p), waiting)
        return None
    limit = cfg.arrive(p)
    if waiting.state == "en_route" and not waiting.arrival_escalated and limit and waiting.en_route_at:
        return Step("arrive", waiting.en_route_at + waiting.arrive_shift + limit, waiting)
    return None


async def escalate_due(app: DispatchApp) -> float | None:
    """Fire every step due now (a step 2 that is also overdue follows its step 1 at once).

    Returns the epoch time of the next step still ahead, or None when nothing waits."""
    cfg = app.settings.escalation
    await settle_clock(app)  # a wall clock step moves the deadlines before any is judged due
    for _ in range(5):  # each round advances or drops every due step; 3 rounds cover a whole ladder
        now = app.clock()
        async with app.store.reading(now) as tx:
            waiting = await EscalationRepo(tx.db).waiting()
        steps = [s for s in (next_step(w, cfg) for w in waiting) if s is not None]
        due = [s for s in steps if s.due_at <= now]
        if not due:
            return min((s.due_at for s in steps), default=None)
        groups: dict[tuple[int, StepKind], list[Step]] = {}
        for step in due:
            groups.setdefault((step.waiting.incident_id, step.kind), []).append(step)
        for (incident_id, kind), group in groups.items():
            await _fire(app, incident_id, kind, group)
        app.wake_telegram()
        app.wake_radio()
    return app.clock()


async def _fire(app: DispatchApp, incident_id: int, kind: StepKind, group: Sequence[Step]) -> None:
    """One transaction per incident and step: the guarded updates, the outbox rows and the events."""
    async with app.store.transaction(app.clock()) as tx:
        incident = await tx.incidents.get(incident_id)
        if incident is None or incident.state != "open":
            return
        repo = EscalationRepo(tx.db)
        taken: list[AssignmentRecord] = []
        for step in group:
            aid = step.waiting.assignment_id
            took = (
                await repo.take_arrival(aid) if kind == "arrive" else await repo.take_level(aid, _level(kind))
            )
            assignment = await tx.assignments.get(aid) if took else None
            if assignment is not None:
                taken.append(assignment)
        if not taken:
            return
        for a in taken:
            await tx.events.add("escalated", "system", actor_name="sistem", incident_id=incident.id,
                                assignment_id=a.id, agency=a.agency, level=_level(kind), stage=kind,
                                by_phone=a.chat_id is None)  # fmt: skip
        if kind == "repeat":
            await _repeat(tx, app, incident, taken)
        else:
            shifts = {s.waiting.assignment_id: _shift_of(s) for s in group}
            await _alert(tx, app, incident, taken, kind, shifts)
    log.info("escalation %s for #%s: %s", kind, incident.number, ", ".join(a.agency for a in taken))


def _shift_of(step: Step) -> float:
    return step.waiting.arrive_shift if step.kind == "arrive" else step.waiting.ack_shift


def _level(kind: StepKind) -> int:
    return {"repeat": 1, "alert": 2, "arrive": 3}[kind]


def _names(app: DispatchApp, assignments: Sequence[AssignmentRecord]) -> str:
    return ", ".join(app.routing.agency_short(a.agency) for a in assignments)


def _heading(app: DispatchApp, incident: IncidentRecord) -> str:
    category = app.routing.categories.get(incident.category)
    name = category.name if category else incident.category
    return f"<b>#{incident.number}</b> {esc(name)} (P{incident.priority}) · {esc(place(incident))}"


async def _repeat(tx: Tx, app: DispatchApp, incident: IncidentRecord, taken: list[AssignmentRecord]) -> None:
    for a in taken:
        await card(tx, incident, a, "card_repeat")
    await announce(tx, app, incident, [a.agency for a in taken], repeat=True)
    phoned = [a for a in taken if a.chat_id is None]
    if phoned:
        names = esc(_names(app, phoned))
        text = f"☎️ {_heading(app, incident)}\nBelum ada konfirmasi dari {names}; telepon lagi."
        await reply(tx, app.call_taker_target(incident.call_taker_id), text, incident_id=incident.id,
                    priority=PRIORITY_NOTICE)  # fmt: skip


async def _alert(tx: Tx, app: DispatchApp, incident: IncidentRecord, taken: list[AssignmentRecord],
                 kind: StepKind, shifts: dict[int, float]) -> None:  # fmt: skip
    # The wall times shown are the recorded ones; how long it has been is counted from the shifted
    # base, which is what the deadline waited on (the same unless the wall clock was stepped).
    lines = [f"🚨 {_heading(app, incident)}"]
    if kind == "alert":
        first = min(taken, key=lambda a: a.notified_at)
        when = app.local(first.notified_at).strftime("%H:%M")
        waited = tx.now - (first.notified_at + shifts.get(first.id, 0.0))
        lines.append(f"Belum ada konfirmasi dari <b>{esc(_names(app, taken))}</b> "
                     f"sejak {when} WIB ({duration_id(waited)}).")  # fmt: skip
        phoned = [a for a in taken if a.chat_id is None]
        if phoned:
            lines.append(f"☎️ {esc(_names(app, phoned))} tanpa grup Telegram: telepon lagi.")
    else:
        for a in taken:
            left = a.en_route_at or a.notified_at
            name = esc(app.routing.agency_short(a.agency))
            waited = tx.now - (left + shifts.get(a.id, 0.0))
            lines.append(f"{name} berangkat {app.local(left).strftime('%H:%M')} WIB"
                         f" dan belum tiba di lokasi ({duration_id(waited)}).")  # fmt: skip
    lines.append(f"👉 /lihat {incident.number}")
    text = "\n".join(lines)
    targets = [*app.supervisor_targets(), app.call_taker_target(incident.call_taker_id)]
    for target in dict.fromkeys(targets):
        await reply(tx, target, text, incident_id=incident.id, priority=PRIORITY_NOTICE)


class EscalationScanner(DeadlineScanner):
    """Sleeps until the next deadline in the database, or until app.wake() says something changed."""

    def __init__(self, app: DispatchApp) -> None:
        self.app = app
        super().__init__("escalation", lambda: escalate_due(app), lambda: app.clock(), max_sleep=MAX_SLEEP,
                         retry_after_error=RETRY_AFTER_ERROR)  # fmt: skip
