"""Hand-off to Kabupaten Blitar 112: the card with Terima / Tolak and its EIDD document, the answer,
and the call taker told. Each step is one transaction with its events and outbox rows."""

from __future__ import annotations

import base64
import secrets

from bot import eidd
from bot.app import DispatchApp
from bot.render import incident_lines
from bot.services.common import PRIORITY_LOW, PRIORITY_NOTICE, Actor, Refused, card, esc, reply
from routing.fields import MAX_NOTE, MAX_REASON, FieldError, clean_optional, clean_text
from storage.handoffs import HandoffRecord
from storage.records import IncidentRecord
from storage.uow import Tx

NEIGHBOUR = "112 Kabupaten Blitar"


def callback(handoff: HandoffRecord, choice: str) -> str:
    return f"h:{handoff.id}:{handoff.token}:{choice}"


async def document_bytes(tx: Tx, app: DispatchApp, incident: IncidentRecord) -> bytes:
    """The EIDD document of an incident as it stands now (also `run.py export-eidd`)."""
    assignments = await tx.assignments.for_incident(incident.id)
    phone = await tx.handoffs.incident_phone(incident.id)
    events = await tx.events.for_incident(incident.id)
    created = next((e for e in events if e.kind == "incident_created"), None)
    author = created.actor_name if created else None
    notes: list[tuple[float, str | None, str]] = [(incident.created_at, author, incident.description)]
    for h in await tx.handoffs.for_incident(incident.id):
        if h.note:
            notes.append((h.created_at, h.actor_name, f"Catatan serah terima: {h.note}"))
        if h.decline_reason:
            notes.append((h.answered_at or h.created_at, h.answered_by_name, f"Ditolak: {h.decline_reason}"))
    imported = await tx.handoffs.imported_from(incident.id)
    return eidd.dump(eidd.build(app, incident, assignments, phone, notes, tx.now, imported, author))


def _card_text(app: DispatchApp, incident: IncidentRecord, handoff: HandoffRecord, *, repeat: bool) -> str:
    lines = ["🔁 <b>ULANG</b> — belum dijawab"] if repeat else []
    lines.append(f"↪️ <b>SERAH TERIMA</b> dari 112 Kota Blitar untuk <b>{NEIGHBOUR}</b>")
    lines += incident_lines(app, incident)
    if handoff.note:
        lines.append(f"💬 Catatan: {esc(handoff.note)}")
    lines.append("📎 Dokumen EIDD (JSON) terlampir; nomor penelepon lengkap hanya ada di dokumen itu.")
    return "\n".join(lines)


async def post_card(tx: Tx, app: DispatchApp, incident: IncidentRecord, handoff: HandoffRecord,
                    *, repeat: bool = False) -> None:  # fmt: skip
    buttons = [[("✔️ Terima", callback(handoff, "a")), ("❌ Tolak", callback(handoff, "x"))]]
    await reply(tx, handoff.chat_id, _card_text(app, incident, handoff, repeat=repeat), buttons=buttons,
                incident_id=incident.id, priority=incident.priority)  # fmt: skip
    data = await document_bytes(tx, app, incident)
    payload = {"data": base64.b64encode(data).decode("ascii"), "filename": f"eidd-{incident.year}-{incident.number}.json",
               "caption": f"EIDD #{incident.number} · 112 Kota Blitar"}  # fmt: skip
    await tx.outbox.add(
        "telegram", "document", handoff.chat_id, incident.priority, payload, incident_id=incident.id
    )
    channel = app.settings.handoff.mumble_channel
    if app.radio_enabled and channel:
        await tx.outbox.add("mumble", "radio_text", channel, incident.priority,
                            {"text": f"Serah terima #{incident.number} untuk {NEIGHBOUR}: lihat grup Telegram."},
                            incident_id=incident.id)  # fmt: skip


async def offer_handoff(
    tx: Tx, app: DispatchApp, incident: IncidentRecord, actor: Actor, note: str | None
) -> None:
    chat_id = app.settings.handoff.chat_id
    assert chat_id is not None
    hid = await tx.handoffs.add(incident.id, secrets.token_hex(4), chat_id, note, actor.id, actor.name)
    handoff = await tx.handoffs.get(hid)
    assert handoff is not None
    await tx.events.add("handoff_offered", actor.channel, actor_id=actor.id, actor_name=actor.name,
                        incident_id=incident.id, handoff_id=hid, note=note)  # fmt: skip
    await post_card(tx, app, incident, handoff)


async def serahkan(
    app: DispatchApp, number: int, note_text: str, actor: Actor, *, update_id: int | None
) -> None:
    """/serahkan <no> [catatan]: any open incident."""
    if app.settings.handoff.chat_id is None:
        raise Refused(
            "Grup serah terima 112 Kabupaten Blitar belum diatur ([handoff] chat_id).", "no_handoff"
        )
    try:
        note = clean_optional(note_text, "Catatan", MAX_NOTE)
    except FieldError as exc:
        raise Refused(exc.message, "field") from None
    async with app.store.transaction(app.clock(), update_id) as tx:
        incident = await tx.incidents.by_number(number)
        if incident is None:
            raise Refused(f"Kejadian #{number} tidak ditemukan.", "unknown_incident")
        if incident.state != "open":
            raise Refused(f"Kejadian #{number} sudah tidak aktif.", "incident_not_open")
        if any(h.state == "pending" for h in await tx.handoffs.for_incident(incident.id)):
            raise Refused(f"#{number} sudah menunggu jawaban {NEIGHBOUR}.", "duplicate")
        await offer_handoff(tx, app, incident, actor, note)
        await reply(tx, actor.chat_id, f"↪️ Kartu serah terima <b>#{number}</b> dikirim ke {NEIGHBOUR}; "
                    "menunggu Terima/Tolak.", incident_id=incident.id)  # fmt: skip
    app.wake()


async def _pending(tx: Tx, handoff_id: int, token: str, chat_id: int) -> tuple[HandoffRecord, IncidentRecord]:
    handoff = await tx.handoffs.get(handoff_id)
    if handoff is None or handoff.token != token:
        raise Refused("Tombol tidak dikenal.", "forged_callback")
    if handoff.chat_id != chat_id:
        raise Refused("Tombol ini hanya berlaku di grup serah terima.", "foreign_chat")
    incident = await tx.incidents.get(handoff.incident_id)
    assert incident is not None
    if handoff.state != "pending" or incident.state != "open":
        raise Refused(f"Serah terima #{incident.number} sudah dijawab.", "decided")
    return handoff, incident


async def accept(app: DispatchApp, handoff_id: int, token: str, chat_id: int, actor: Actor,
                 *, update_id: int | None) -> int:  # fmt: skip
    async with app.store.transaction(app.clock(), update_id) as tx:
        handoff, incident = await _pending(tx, handoff_id, token, chat_id)
        await tx.handoffs.answer(handoff.id, "accepted", actor.id, actor.name)
        reason = f"diterima {NEIGHBOUR} ({actor.name})"
        await tx.incidents.end(incident.id, "handed_off", tx.now, None, reason)
        await tx.events.add("handed_off", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            incident_id=incident.id, handoff_id=handoff.id)  # fmt: skip
        ended = await tx.incidents.get(incident.id)
        assert ended is not None
        for assignment in await tx.assignments.for_incident(incident.id):
            await card(tx, ended, assignment)  # agency cards now say DISERAHKAN
        await reply(tx, chat_id, f"✔️ <b>#{incident.number}</b> diterima oleh {esc(actor.name)}. Terima kasih.",
                    incident_id=incident.id)  # fmt: skip
        await reply(tx, app.call_taker_target(incident.call_taker_id),
                    f"✅ <b>#{incident.number}</b> diterima {NEIGHBOUR} ({esc(actor.name)}); status: diserahkan.",
                    incident_id=incident.id, priority=PRIORITY_NOTICE)  # fmt: skip
    app.wake()
    return incident.number


async def ask_reason(app: DispatchApp, handoff_id: int, token: str, chat_id: int, actor: Actor,
                     *, update_id: int | None) -> None:  # fmt: skip
    """Tolak needs a reason: remember who is declining and ask for it as a reply (force reply)."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        handoff, incident = await _pending(tx, handoff_id, token, chat_id)
        draft = await tx.drafts.get(actor.id, chat_id)
        if draft is not None and draft[2].get("prompt") is not None:
            await tx.outbox.withdraw(int(draft[2]["prompt"]))  # one prompt per person at a time
        mention = f'<a href="tg://user?id={actor.id}">{esc(actor.name)}</a>'
        # As for an agency's Tolak: the reason is a reply to this prompt, within a few minutes
        # (handlers/decline.py), and the prompt ranks below cards.
        prompt = await reply(tx, chat_id, f"{mention}, tulis alasan menolak serah terima <b>#{incident.number}</b> "
                             "sebagai balasan pesan ini.", force_reply=True, priority=PRIORITY_LOW)  # fmt: skip
        await tx.drafts.put(actor.id, chat_id, "handoff_decline", "reason",
                            {"handoff_id": handoff.id, "token": handoff.token, "asked_at": tx.now,
                             "prompt": prompt})  # fmt: skip
    app.wake()


async def decline(app: DispatchApp, data: dict[str, object], text: str, actor: Actor,
                  *, update_id: int | None) -> None:  # fmt: skip
    """The reply after Tolak from the same person in the same group."""
    try:
        reason = clean_text(text, "Alasan", MAX_REASON)
    except FieldError as exc:
        raise Refused(exc.message, "field") from None
    async with app.store.transaction(app.clock(), update_id) as tx:
        await tx.drafts.delete(actor.id, actor.chat_id)
        handoff, incident = await _pending(
            tx, int(str(data["handoff_id"])), str(data["token"]), actor.chat_id
        )
        await tx.handoffs.answer(handoff.id, "declined", actor.id, actor.name, reason)
        await tx.events.add("handoff_declined", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            incident_id=incident.id, handoff_id=handoff.id, reason=reason)  # fmt: skip
        await reply(tx, actor.chat_id, f"❌ Serah terima <b>#{incident.number}</b> ditolak: {esc(reason)}.",
                    incident_id=incident.id)  # fmt: skip
        await reply(tx, app.call_taker_target(incident.call_taker_id),
                    f"❌ {NEIGHBOUR} menolak serah terima <b>#{incident.number}</b> ({esc(actor.name)}): "
                    f"{esc(reason)}. Kejadian tetap terbuka: /tambah, /tutup atau /batal.",
                    incident_id=incident.id, priority=PRIORITY_NOTICE)  # fmt: skip
    app.wake()
