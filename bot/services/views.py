"""Read-only views for call takers and supervisors: open incidents and one incident's timeline."""

from __future__ import annotations

from bot.app import DispatchApp
from bot.render import incident_lines, place
from bot.services.common import Actor, Refused, esc, reply
from routing.assignment import LABELS
from routing.model import AssignmentState

TELEGRAM_LIMIT = 4000


def split_message(lines: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join lines into messages under Telegram's limit, never cutting a line (lines are short)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        if current and len(current) + len(line) + 1 > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


async def active(app: DispatchApp, actor: Actor, *, update_id: int | None) -> None:
    async with app.store.transaction(app.clock(), update_id) as tx:
        lines = []
        for incident in await tx.incidents.open_incidents():
            category = app.routing.categories.get(incident.category)
            since = app.local(incident.created_at).strftime("%H:%M")
            lines.append(f"<b>#{incident.number}</b> {esc(category.name if category else incident.category)}"
                         f" · {esc(place(incident))} · {since}")  # fmt: skip
            for a in await tx.assignments.for_incident(incident.id):
                where = "" if a.chat_id is not None else " (telepon)"
                state = LABELS[AssignmentState(a.state)]
                lines.append(f"   {esc(app.routing.agency_short(a.agency))}{where}: {state}")
        if not lines:
            lines = ["Tidak ada kejadian aktif."]
        else:
            lines.insert(0, "📋 <b>Kejadian aktif</b>")
        for chunk in split_message(lines):
            await reply(tx, actor.chat_id, chunk)
    app.wake()


async def timeline(app: DispatchApp, number: int, actor: Actor, *, update_id: int | None) -> None:
    async with app.store.transaction(app.clock(), update_id) as tx:
        incident = await tx.incidents.by_number(number)
        if incident is None:
            raise Refused(f"Kejadian #{number} tidak ditemukan.", "unknown_incident")
        lines = [*incident_lines(app, incident), "", "<b>Riwayat</b>"]
        for event in await tx.events.for_incident(incident.id):
            when = app.local(event.at).strftime("%d/%m %H:%M")
            lines.append(f"{when} {esc(_describe(app, event.kind, event.data))} — {esc(event.actor_name or 'sistem')}"
                         f" ({event.channel})")  # fmt: skip
        for chunk in split_message(lines):
            await reply(tx, actor.chat_id, chunk, incident_id=incident.id)
    app.wake()


def _describe(app: DispatchApp, kind: str, data: dict[str, object]) -> str:
    agency = app.routing.agency_short(str(data.get("agency", "")))
    if kind == "incident_created":
        return "dibuat"
    if kind in ("voice_recorded", "voice_queued", "voice_played"):
        return _describe_voice(kind, data)
    if kind == "assigned":
        return f"{agency} ditugaskan" + (" (telepon)" if data.get("by_phone") else "")
    if kind == "status":
        text = f"{agency}: {LABELS[AssignmentState(str(data['state']))]}"
        return text + (f" ({data['reason']})" if data.get("reason") else "")
    if kind == "closed":
        return f"ditutup: {app.routing.dispositions.get(str(data.get('disposition')), '')}"
    if kind == "cancelled":
        return f"dibatalkan: {data.get('reason')}"
    if kind == "escalated":
        stages = {
            "repeat": "belum menerima, kartu diulang",
            "alert": "belum menerima, supervisor diberi tahu",
            "arrive": "belum tiba, supervisor diberi tahu",
        }
        stage = stages.get(str(data.get("stage")), "eskalasi")
        return f"{agency}: {stage} (eskalasi {data.get('level')})"
    return kind


def _describe_voice(kind: str, data: dict[str, object]) -> str:
    seconds = float(str(data.get("seconds") or 0))
    if kind == "voice_recorded":
        return f"🎙 suara radio di kanal {data.get('kanal')} ({seconds:.0f} dtk) · /rekaman"
    if kind == "voice_queued":
        channels = data.get("channels")
        names = ", ".join(str(c) for c in channels) if isinstance(channels, list) else ""
        return f"🔊 pesan suara untuk kanal {names} ({seconds:.0f} dtk)"
    return f"🔊 pesan suara diputar di kanal {data.get('kanal')}"
