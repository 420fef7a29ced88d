"""Field teams' commands on Mumble: the same use cases as the Telegram buttons."""

from __future__ import annotations

import logging

from bot.app import DispatchApp
from bot.render import place
from bot.services.common import Actor, Refused, refuse
from bot.services.status import Origin, find_assignment, report_status
from radio_bridge.commands import HELP_TEXT, CommandError, FieldCommand, parse
from radio_bridge.link import RadioLink
from radio_bridge.message import RadioMessage
from routing.assignment import LABELS
from routing.model import AssignmentState

log = logging.getLogger(__name__)
TARGETS = {
    "terima": AssignmentState.ACKNOWLEDGED,
    "berangkat": AssignmentState.EN_ROUTE,
    "tiba": AssignmentState.ON_SCENE,
    "selesai": AssignmentState.CLEARED,
    "tolak": AssignmentState.DECLINED,
}
MAX_COMMAND = 1000


class FieldCommands:
    def __init__(self, app: DispatchApp, link: RadioLink) -> None:
        self.app = app
        self.link = link

    async def on_message(self, message: RadioMessage) -> None:
        actor = Actor(id=0, name=message.sender[:64], chat_id=0, channel="radio")
        try:
            command = parse(message.text[:MAX_COMMAND])
            if command is None:
                return
            answer = await self._run(command, message, actor)
        except CommandError as exc:
            answer = exc.message
        except Refused as refusal:
            await refuse(self.app, actor, refusal, update_id=None, command=message.text)
            answer = refusal.message
        try:
            await self.link.reply(message, answer)
        except Exception as exc:  # the change is committed; a lost reply is only a lost courtesy
            log.warning("radio reply to %s failed: %s", message.sender, exc)

    async def _run(self, command: FieldCommand, message: RadioMessage, actor: Actor) -> str:
        if command.verb == "bantu":
            return HELP_TEXT
        if command.verb == "aktif":
            return await self._active()
        agency = self.app.mumble_agency(message.sender)
        if agency is None:
            raise Refused(
                f"Nama pengguna radio '{message.sender}' belum terdaftar untuk instansi mana pun. Hubungi call taker.",
                "unmapped_radio_user",
            )
        assert command.number is not None
        target = TARGETS[command.status or command.verb]
        incident, assignment = await find_assignment(self.app, command.number, agency)
        change = await report_status(self.app, assignment.id, target, actor, Origin(agency=agency),
                                     reason=command.reason, update_id=None)  # fmt: skip
        short = self.app.routing.agency_short(agency)
        label = LABELS[target]
        if not change.changed:
            return f"#{incident.number} {short}: sudah tercatat {label}."
        return f"#{incident.number} {short}: {label} tercatat. Terima kasih."

    async def _active(self) -> str:
        async with self.app.store.reading(self.app.clock()) as tx:
            lines = []
            for incident in await tx.incidents.open_incidents():
                category = self.app.routing.categories.get(incident.category)
                states = ", ".join(
                    f"{self.app.routing.agency_short(a.agency)} {LABELS[AssignmentState(a.state)]}"
                    for a in await tx.assignments.for_incident(incident.id)
                )
                name = category.name if category else incident.category
                lines.append(f"#{incident.number} {name}, {place(incident)}: {states or '-'}")
        return "\n".join(lines[:30]) or "Tidak ada kejadian aktif."
