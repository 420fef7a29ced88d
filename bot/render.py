"""What a card, a list and a timeline look like in Telegram (HTML, every user field escaped)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.app import DispatchApp
from bot.services.common import esc
from routing.assignment import BUTTONS, LABELS, steps_ahead
from routing.model import AssignmentState
from storage.records import AssignmentRecord, EventRecord, IncidentRecord

Buttons = list[list[tuple[str, str]]]

_CODES = {
    AssignmentState.ACKNOWLEDGED: "a",
    AssignmentState.EN_ROUTE: "b",
    AssignmentState.ON_SCENE: "t",
    AssignmentState.CLEARED: "c",
    AssignmentState.DECLINED: "x",
}
_STATES = {code: state for state, code in _CODES.items()}
_CALLBACK = re.compile(r"^s:(\d{1,12}):([0-9a-f]{8}):([abtcx])$")
_MARKS = {1: "🔴", 2: "🟠", 3: "🟢"}
_ICONS = {"acknowledged": "✔️", "en_route": "🚒", "on_scene": "📍", "cleared": "🏁", "declined": "❌"}


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    buttons: Buttons


def callback_data(assignment: AssignmentRecord, state: AssignmentState) -> str:
    return f"s:{assignment.id}:{assignment.token}:{_CODES[state]}"


def parse_callback(data: str) -> tuple[int, str, AssignmentState] | None:
    match = _CALLBACK.match(data or "")
    if match is None:
        return None
    return int(match[1]), match[2], _STATES[match[3]]


def place(incident: IncidentRecord) -> str:
    parts = [f"Kel. {incident.kelurahan}" if incident.kelurahan else None,
             f"Kec. {incident.kecamatan}" if incident.kecamatan else None]  # fmt: skip
    return ", ".join(p for p in parts if p) or "-"


def incident_lines(app: DispatchApp, incident: IncidentRecord) -> list[str]:
    category = app.routing.categories.get(incident.category)
    name = category.name if category else incident.category
    lines = [
        f"{_MARKS.get(incident.priority, '')} <b>#{incident.number} · {esc(name.upper())}</b> · P{incident.priority}",
        f"📍 {esc(place(incident))}",
        f"🏠 {esc(incident.address)}",
        f"📝 {esc(incident.description)}",
        f"📞 {esc(incident.phone_masked or '-')}",
    ]
    if incident.lat is not None and incident.lon is not None:
        lines.append(
            f'🗺 <a href="https://maps.google.com/?q={incident.lat:.6f},{incident.lon:.6f}">Lihat peta</a>'
        )
    lines.append(f"🕒 {app.local(incident.created_at).strftime('%d/%m/%Y %H:%M')} WIB")
    return lines


def card(app: DispatchApp, incident: IncidentRecord, assignment: AssignmentRecord,
         events: list[EventRecord], *, repeat: bool = False) -> Rendered:  # fmt: skip
    lines = ["🎓 <b>LATIHAN</b> — bukan kejadian nyata"] if app.settings.sandbox.training else []
    if repeat:
        lines.append("🔁 <b>ULANG</b> — belum ada yang menerima")
    lines += incident_lines(app, incident)
    lines.append(f"🏢 Untuk: <b>{esc(app.routing.agency_short(assignment.agency))}</b>")
    steps = [e for e in events if e.kind == "status" and e.assignment_id == assignment.id]
    if steps:
        lines.append("")
        for step in steps:
            state = AssignmentState(step.data["state"])
            when = app.local(step.at).strftime("%H:%M")
            line = f"{_ICONS.get(state.value, '•')} {LABELS[state]} — {esc(step.actor_name or '-')}, {when}"
            if state is AssignmentState.DECLINED and step.data.get("reason"):
                line += f": {esc(step.data['reason'])}"
            lines.append(line)
    buttons: Buttons = []
    if incident.state != "open":
        lines.append("")
        lines.append(_ended(app, incident))
    else:
        ahead = [s for s in steps_ahead(AssignmentState(assignment.state))]
        forward = [
            (BUTTONS[s], callback_data(assignment, s)) for s in ahead if s is not AssignmentState.DECLINED
        ]
        if forward:
            buttons.append(forward[:2])
            if forward[2:]:
                buttons.append(forward[2:])
        if AssignmentState.DECLINED in ahead:
            buttons.append(
                [(BUTTONS[AssignmentState.DECLINED], callback_data(assignment, AssignmentState.DECLINED))]
            )
    return Rendered("\n".join(lines), buttons)


def _ended(app: DispatchApp, incident: IncidentRecord) -> str:
    if incident.state == "closed":
        label = app.routing.dispositions.get(incident.disposition or "", incident.disposition or "")
        return f"✅ <b>DITUTUP</b>: {esc(label)}"
    if incident.state == "cancelled":
        return f"⛔ <b>DIBATALKAN</b>: {esc(incident.state_reason or '-')}"
    return "↪️ <b>DISERAHKAN</b> ke 112 Kabupaten Blitar"
