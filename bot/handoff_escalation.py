"""An unanswered hand-off climbs a ladder like an assignment (bot/escalation.py), kept small and
separate: after [handoff] repeat_after the card is re-posted (ULANG), after alert_after the
supervisors and the call taker are alerted. Each step is a guarded UPDATE committed with its outbox
rows and event, so a restart neither loses nor repeats one."""

from __future__ import annotations

import logging

from bot.app import DispatchApp
from bot.escalation import MAX_SLEEP, RETRY_AFTER_ERROR
from bot.render import place
from bot.services.common import PRIORITY_NOTICE, esc, reply
from bot.services.handoff import NEIGHBOUR, post_card
from bot.worker import DeadlineScanner
from storage.handoffs import HandoffRecord

log = logging.getLogger(__name__)


def due_at(app: DispatchApp, handoff: HandoffRecord) -> float:
    cfg = app.settings.handoff
    wait = cfg.repeat_after if handoff.escalation_level == 0 else cfg.alert_after
    return handoff.created_at + wait


async def escalate_handoffs(app: DispatchApp) -> float | None:
    """Fire every due step; the time of the next one ahead, or None."""
    for _ in range(3):
        now = app.clock()
        async with app.store.reading(now) as tx:
            pending = await tx.handoffs.pending()
        due = [h for h in pending if due_at(app, h) <= now]
        if not due:
            return min((due_at(app, h) for h in pending), default=None)
        for handoff in due:
            await _fire(app, handoff)
        app.wake_telegram()
        app.wake_radio()
    return app.clock()


async def _fire(app: DispatchApp, handoff: HandoffRecord) -> None:
    level = handoff.escalation_level + 1
    async with app.store.transaction(app.clock()) as tx:
        if not await tx.handoffs.take_level(handoff.id, level):
            return
        incident = await tx.incidents.get(handoff.incident_id)
        assert incident is not None
        await tx.events.add("handoff_escalated", "system", actor_name="sistem", incident_id=incident.id,
                            handoff_id=handoff.id, level=level)  # fmt: skip
        if level == 1:
            await post_card(tx, app, incident, handoff, repeat=True)
        else:
            since = app.local(handoff.created_at).strftime("%H:%M")
            text = (f"🚨 Serah terima <b>#{incident.number}</b> ({esc(place(incident))}) belum dijawab "
                    f"{NEIGHBOUR} sejak {since} WIB. Telepon 112 Kabupaten Blitar. 👉 /lihat {incident.number}")  # fmt: skip
            targets = [*app.supervisor_targets(), app.call_taker_target(incident.call_taker_id)]
            for target in dict.fromkeys(targets):
                await reply(tx, target, text, incident_id=incident.id, priority=PRIORITY_NOTICE)
    log.info("hand-off escalation %d for #%s", level, incident.number)


class HandoffScanner(DeadlineScanner):
    def __init__(self, app: DispatchApp) -> None:
        self.app = app
        super().__init__("handoff escalation", lambda: escalate_handoffs(app), lambda: app.clock(),
                         max_sleep=MAX_SLEEP, retry_after_error=RETRY_AFTER_ERROR)  # fmt: skip
