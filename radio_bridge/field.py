"""Field teams' commands on Mumble: the same use cases as the Telegram buttons.

Who may command: a name on Mumble proves nothing (anyone who knows the server
password can connect as "Damkar-1" if that name is not registered). A command is
taken only from a user the server says is registered (it has a Mumble user id,
which needs a client certificate) whose registered name, or whose certificate
hash, is mapped to an agency in ``[mumble.users]``. Anyone else is refused, for
every command including ``!aktif`` and ``!bantu``, and audited each time; the
refusal is *said* at most once a minute per sender (and a few a minute in all),
so a stranger's flood cannot spend the bot's text budget.
"""

from __future__ import annotations

import logging
import time

from bot.app import DispatchApp
from bot.render import place
from bot.services.common import Actor, Refused, refuse
from bot.services.status import Origin, find_assignment, report_status
from radio_bridge.commands import HELP_TEXT, CommandError, FieldCommand, parse
from radio_bridge.guard import Once
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


def field_agency(app: DispatchApp, name: str, user_id: int | None, cert_hash: str | None) -> str | None:
    """The agency a REGISTERED Mumble user speaks for, by registered name or certificate hash; None for
    anyone else. One rule for the ! commands and for voice."""
    if user_id is None:
        return None  # not registered: the name proves nothing
    agency = app.mumble_agency(name)
    if agency is None and cert_hash:
        # A certificate hash may be the key instead of the name (it survives a rename).
        agency = app.mumble_agency(cert_hash) or app.mumble_agency(cert_hash.upper())
    return agency


class FieldCommands:
    def __init__(self, app: DispatchApp, link: RadioLink, strangers: Once | None = None) -> None:
        self.app = app
        self.link = link
        self.strangers = strangers or Once(interval=60.0)

    def agency_of(self, message: RadioMessage) -> str | None:
        return field_agency(self.app, message.sender, message.user_id, message.cert_hash)

    async def on_message(self, message: RadioMessage) -> None:
        text = message.text[:MAX_COMMAND]
        if not text.strip().startswith("!"):
            return  # chatter on the channel
        actor = Actor(id=0, name=message.sender[:64], chat_id=0, channel="radio")
        agency = self.agency_of(message)
        if agency is None:
            refusal = self._stranger(message)
            await refuse(self.app, actor, refusal, update_id=None, command=message.text)
            if self.strangers.allow(message.sender, time.monotonic()):
                self.link.reply_soon(message, refusal.message)
            return
        try:
            command = parse(text)
            if command is None:
                return
            answer = await self._run(command, agency, actor)
        except CommandError as exc:
            # Malformed: the usage hint goes back, and the attempt is audited like any refusal.
            refusal = Refused(exc.message, "radio_usage")
            await refuse(self.app, actor, refusal, update_id=None, command=message.text)
            answer = exc.message
        except Refused as refusal:
            await refuse(self.app, actor, refusal, update_id=None, command=message.text)
            answer = refusal.message
        self.link.reply_soon(message, answer)

    async def on_dropped(self, dropped: dict[str, int]) -> None:
        """Messages the flood control refused before they were queued: one audit event per report."""
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.events.add("radio_flood_dropped", "radio", senders=dict(list(dropped.items())[:50]),
                                total=sum(dropped.values()))  # fmt: skip

    @staticmethod
    def _stranger(message: RadioMessage) -> Refused:
        name = message.sender
        if not message.registered:
            return Refused(
                f"Pengguna radio '{name}' belum terdaftar di server Mumble; perintah lapangan hanya diterima dari "
                "pengguna terdaftar. Di aplikasi Mumble pilih Self-Register (dengan sertifikat), lalu minta call "
                "taker memetakan nama Anda ke instansi.",
                "unregistered_radio_user",
            )
        # The hash is what an operator may map in [mumble.users]; it is no secret (every client sees it).
        known = f" (sidik sertifikat {message.cert_hash})" if message.cert_hash else ""
        return Refused(
            f"Nama pengguna radio '{name}'{known} belum terdaftar untuk instansi mana pun. Hubungi call taker.",
            "unmapped_radio_user",
        )

    async def _run(self, command: FieldCommand, agency: str, actor: Actor) -> str:
        if command.verb == "bantu":
            return HELP_TEXT
        if command.verb == "aktif":
            return await self._active()
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
