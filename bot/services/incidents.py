"""Creating an incident and routing it to agencies: one transaction for all of it."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app import DispatchApp
from bot.services.announce import announce
from bot.services.blocks import history_line
from bot.services.common import Actor, Refused, card, esc, open_send_early, reply
from bot.services.handoff import offer_handoff
from routing.fields import MAX_ADDRESS, MAX_DESCRIPTION, FieldError, clean_text, mask_phone, normalise_phone
from routing.model import Category, Location
from storage.incidents import NewIncident
from storage.records import IncidentRecord
from storage.uow import Tx


@dataclass(frozen=True, slots=True)
class IncidentForm:
    category: str
    location: str
    address: str
    phone: str
    description: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Dispatched:
    incident: IncidentRecord
    reached: list[str]
    by_phone: list[str]


@dataclass(frozen=True, slots=True)
class _Valid:
    category: Category
    location: Location
    address: str
    description: str
    phone: str | None


def category_or_refuse(app: DispatchApp, text: str) -> Category:
    category = app.routing.category(text.strip())
    if category is None or category.code == "informasi":
        codes = ", ".join(c for c in app.routing.categories if c != "informasi")
        raise Refused(
            f"Kategori tidak dikenal: {text.strip()[:40] or '(kosong)'}. Pilihan: {codes}.", "category"
        )
    return category


def location_or_refuse(app: DispatchApp, text: str) -> Location:
    location = app.routing.locate(text) if text.strip() else None
    if location is None:
        lines = [f"{kec}: {', '.join(kels)}" for kec, kels in app.routing.kecamatan.items()]
        raise Refused(
            f"Kelurahan tidak dikenal: {text.strip()[:40] or '(kosong)'}. Pilihan:\n" + "\n".join(lines),
            "location",
        )
    return location


def phone_or_refuse(text: str) -> str | None:
    if text.strip() in {"-", ""}:
        return None
    try:
        return normalise_phone(text)
    except FieldError as exc:
        raise Refused(exc.message, "phone") from None


def validate(app: DispatchApp, form: IncidentForm) -> _Valid:
    category = category_or_refuse(app, form.category)
    location = location_or_refuse(app, form.location)
    try:
        address = clean_text(form.address, "Alamat", MAX_ADDRESS)
        description = clean_text(form.description, "Keterangan", MAX_DESCRIPTION)
    except FieldError as exc:
        raise Refused(exc.message, "field") from None
    return _Valid(category, location, address, description, phone_or_refuse(form.phone))


async def dispatch_incident(app: DispatchApp, form: IncidentForm, actor: Actor, *, update_id: int | None,
                            draft_done: bool = False,
                            on_created: Callable[[Tx, IncidentRecord], Awaitable[None]] | None = None,
                            ) -> Dispatched:  # fmt: skip
    valid = validate(app, form)
    now = app.clock()
    location = valid.location
    agencies = () if location.outside else app.routing.route(valid.category.code, location.kecamatan)
    # With a [handoff] group the Kabupaten incident stays open until 112 Kabupaten Blitar accepts it.
    handoff = location.outside and app.settings.handoff.chat_id is not None
    async with app.store.transaction(now, update_id) as tx:
        history = await history_line(tx, app, valid.phone)
        incident = await tx.incidents.create(
            NewIncident(
                year=app.local(now).year,
                number=await tx.incidents.next_number(app.local(now).year),
                category=valid.category.code,
                priority=int(valid.category.priority),
                kelurahan=location.kelurahan,
                kecamatan=location.kecamatan,
                address=valid.address,
                description=valid.description,
                phone=valid.phone,
                phone_masked=mask_phone(valid.phone) if valid.phone else None,
                lat=form.lat,
                lon=form.lon,
                state="handed_off" if location.outside and not handoff else "open",
                call_taker_id=actor.id,
                call_taker_chat_id=actor.chat_id,
                created_at=now,
            )
        )
        if on_created is not None:  # e.g. an EIDD import records its document in this transaction
            await on_created(tx, incident)
        await tx.events.add(
            "incident_created", actor.channel, actor_id=actor.id, actor_name=actor.name, incident_id=incident.id,
            number=incident.number, category=incident.category, kelurahan=incident.kelurahan,
            kecamatan=incident.kecamatan, handoff=location.outside, agencies=list(agencies),
        )  # fmt: skip
        await tx.calls.add(
            "incident", category=incident.category, kelurahan=incident.kelurahan, kecamatan=incident.kecamatan,
            agencies=agencies, phone=valid.phone, phone_masked=incident.phone_masked, call_taker_id=actor.id,
            incident_id=incident.id,
        )  # fmt: skip
        reached, by_phone = await assign(tx, app, incident, agencies, actor)
        await announce(tx, app, incident, agencies)
        if handoff:
            await offer_handoff(tx, app, incident, actor, None)
        confirmation = await reply(
            tx,
            actor.chat_id,
            history + _confirmation(app, incident, reached, by_phone, location, handoff),
            incident_id=incident.id,
        )
        # The call taker's confirmation leaves with the cards (still on the phone: it says where
        # the incident went), not a pass later; a few ms behind them (bot/delivery.py CARDS_AHEAD).
        await open_send_early(tx, app, confirmation, actor.chat_id)
        if draft_done:
            await tx.drafts.delete(actor.id, actor.chat_id)
    app.wake()
    return Dispatched(incident, reached, by_phone)


async def assign(tx: Tx, app: DispatchApp, incident: IncidentRecord, agencies: tuple[str, ...] | list[str],
                 actor: Actor) -> tuple[list[str], list[str]]:  # fmt: skip
    reached: list[str] = []
    by_phone: list[str] = []
    for code in agencies:
        chat_id = app.agency_chat(code)
        assignment = await tx.assignments.create(incident.id, code, secrets.token_hex(4), chat_id, tx.now)
        assignment_id = assignment.id
        await tx.events.add(
            "assigned", actor.channel, actor_id=actor.id, actor_name=actor.name, incident_id=incident.id,
            assignment_id=assignment_id, agency=code, by_phone=chat_id is None,
        )  # fmt: skip
        row_id = await card(tx, incident, assignment)
        if row_id is not None and chat_id is not None:
            await open_send_early(tx, app, row_id, chat_id)
        (reached if chat_id is not None else by_phone).append(code)
    return reached, by_phone


def _confirmation(app: DispatchApp, incident: IncidentRecord, reached: list[str], by_phone: list[str],
                  location: Location, handoff: bool = False) -> str:  # fmt: skip
    category = app.routing.categories[incident.category].name
    place = ", ".join(
        p for p in (location.kelurahan, f"Kec. {location.kecamatan}" if location.kecamatan else None) if p
    )
    lines = [
        f"✅ <b>#{incident.number}</b> {esc(category)} tercatat (P{incident.priority}).",
        f"📍 {esc(place)}",
    ]
    if handoff:
        lines.append("↪️ Lokasi di luar Kota Blitar: kartu serah terima dikirim ke <b>112 Kabupaten Blitar</b>; "
                     "menunggu Terima/Tolak.")  # fmt: skip
    elif location.outside:
        lines.append(
            "↪️ Lokasi di luar Kota Blitar: serahkan ke <b>112 Kabupaten Blitar</b>. Dicatat sebagai diserahkan."
        )
    if reached:
        lines.append("📨 Dikirim ke grup: " + esc(", ".join(app.routing.agency_short(a) for a in reached)))
    if by_phone:
        lines.append("☎️ Hubungi lewat telepon: " + ", ".join(app.phone_label(a) for a in by_phone))
    return "\n".join(lines)
