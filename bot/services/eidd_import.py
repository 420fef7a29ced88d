"""An EIDD document from the neighbouring 112 (a file, or a document posted in the call takers' group)
becomes an incident here, routed like any other. A bad document changes nothing and is refused with
its reason in Indonesian; the same document twice creates one incident."""

from __future__ import annotations

from bot import eidd
from bot.app import DispatchApp
from bot.services.common import Actor, Refused
from bot.services.incidents import Dispatched, IncidentForm, dispatch_incident
from routing.fields import MAX_DESCRIPTION
from storage.records import IncidentRecord
from storage.uow import Tx


def form_of(app: DispatchApp, document: eidd.Eidd) -> IncidentForm:
    where = document.location
    # The kelurahan when we know it, else the kecamatan: a neighbour may spell a kelurahan differently.
    candidates = [p for p in (where.kelurahan, where.kecamatan) if p and p.strip()]
    place = next(
        (p for p in candidates if app.routing.locate(p) is not None), candidates[0] if candidates else ""
    )
    location = app.routing.locate(place) if place.strip() else None
    if location is None:
        raise Refused(f"Lokasi dokumen tidak dikenal: {place[:40] or '(kosong)'}.", "eidd_invalid")
    if location.outside:
        raise Refused(
            f"Lokasi {place[:40]} di luar Kota Blitar: bukan wilayah 112 Kota Blitar.", "eidd_invalid"
        )
    if app.routing.category(document.incident.type) is None:
        raise Refused(f"Jenis kejadian tidak dikenal: {document.incident.type}.", "eidd_invalid")
    sender = document.sender.agency_name
    text = "\n".join(n.text for n in document.notes)
    description = f"[{sender}] {text}"[:MAX_DESCRIPTION]
    return IncidentForm(
        category=document.incident.type, location=place, address=where.address,
        phone=document.call.callback_number or "-", description=description,
        lat=where.latitude, lon=where.longitude,
    )  # fmt: skip


async def create_from(app: DispatchApp, data: bytes, actor: Actor, *, update_id: int | None) -> Dispatched:
    try:
        document = eidd.parse(data)
    except eidd.EiddRefused as exc:
        raise Refused(exc.message, "eidd_invalid") from None
    form = form_of(app, document)

    async def record(tx: Tx, incident: IncidentRecord) -> None:
        earlier = await tx.handoffs.import_of(document.document_id)
        if earlier is not None:
            first = await tx.incidents.get(earlier)
            label = f"#{first.number}" if first else "sebelumnya"
            raise Refused(f"Dokumen ini sudah diimpor sebagai {label}.", "eidd_duplicate")
        await tx.handoffs.record_import(document.document_id, document.incident.tracking_id,
                                       document.sender.agency_id, incident.id)  # fmt: skip
        await tx.events.add("eidd_imported", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            incident_id=incident.id, document_id=document.document_id,
                            tracking_id=document.incident.tracking_id, sender=document.sender.agency_id)  # fmt: skip

    return await dispatch_incident(app, form, actor, update_id=update_id, on_created=record)


async def import_document(app: DispatchApp, data: bytes, actor: Actor, *, update_id: int | None) -> None:
    await create_from(app, data, actor, update_id=update_id)
