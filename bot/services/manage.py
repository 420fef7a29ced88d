"""Changing an incident after dispatch: add an agency, close, cancel."""

from __future__ import annotations

from bot.app import DispatchApp
from bot.services.announce import announce
from bot.services.common import Actor, Refused, card, esc, reply
from bot.services.incidents import assign
from routing.fields import MAX_REASON, FieldError, clean_text
from routing.incident import IncidentRefused, end
from routing.model import IncidentState
from storage.records import IncidentRecord
from storage.uow import Tx


async def _open_incident(tx: Tx, number: int) -> IncidentRecord:
    incident = await tx.incidents.by_number(number)
    if incident is None:
        raise Refused(f"Kejadian #{number} tidak ditemukan.", "unknown_incident")
    return incident


async def add_agency(
    app: DispatchApp, number: int, agency_text: str, actor: Actor, *, update_id: int | None
) -> None:
    code = agency_text.strip().lower()
    if code not in app.routing.agencies:
        raise Refused(
            f"Kode instansi tidak dikenal: {code[:40]}. Pilihan: {', '.join(app.routing.agencies)}.", "agency"
        )
    async with app.store.transaction(app.clock(), update_id) as tx:
        incident = await _open_incident(tx, number)
        if incident.state != "open":
            raise Refused(f"Kejadian #{number} sudah tidak aktif.", "incident_not_open")
        existing = await tx.assignments.find(incident.id, code)
        if existing is not None:
            state = "menolak" if existing.state == "declined" else "sudah ditugaskan"
            raise Refused(
                f"{app.routing.agency_short(code)} {state} pada #{number}; pilih instansi lain.", "duplicate"
            )
        reached, _ = await assign(tx, app, incident, [code], actor)
        await announce(tx, app, incident, [code])
        how = "dikirimi kartu" if reached else "hubungi lewat telepon (belum ada grup Telegram)"
        await reply(tx, actor.chat_id, f"➕ {esc(app.routing.agency_short(code))} ditambahkan ke <b>#{number}</b>: {how}.",
                    incident_id=incident.id)  # fmt: skip
    app.wake()


async def end_incident(app: DispatchApp, number: int, target: IncidentState, detail: str, actor: Actor,
                       *, update_id: int | None) -> None:  # fmt: skip
    disposition: str | None = None
    reason: str | None = None
    if target is IncidentState.CLOSED:
        disposition = detail.strip().lower()
        if disposition not in app.routing.dispositions:
            options = ", ".join(f"{k} ({v})" for k, v in app.routing.dispositions.items())
            raise Refused(
                f"Kode penutupan tidak dikenal: {disposition[:40] or '(kosong)'}. Pilihan: {options}.", "code"
            )
    else:
        try:
            reason = clean_text(detail, "Alasan", MAX_REASON)
        except FieldError as exc:
            raise Refused(exc.message, "field") from None
    async with app.store.transaction(app.clock(), update_id) as tx:
        incident = await _open_incident(tx, number)
        try:
            end(IncidentState(incident.state), target)
        except IncidentRefused as exc:
            raise Refused(f"#{number}: {exc.message}", "incident_not_open") from None
        await tx.incidents.end(incident.id, target.value, tx.now, disposition, reason)
        await tx.events.add(
            target.value, actor.channel, actor_id=actor.id, actor_name=actor.name, incident_id=incident.id,
            disposition=disposition, reason=reason,
        )  # fmt: skip
        ended = await tx.incidents.get(incident.id)
        assert ended is not None
        for assignment in await tx.assignments.for_incident(incident.id):
            await card(tx, ended, assignment)
        word = "ditutup" if target is IncidentState.CLOSED else "dibatalkan"
        what = app.routing.dispositions.get(disposition or "", reason or "")
        await reply(tx, actor.chat_id, f"🗂 <b>#{number}</b> {word}: {esc(what)}.", incident_id=incident.id)
    app.wake()
