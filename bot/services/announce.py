"""Radio rows for an incident: a text post per channel and one spoken announcement."""

from __future__ import annotations

from collections.abc import Sequence

from bot.app import DispatchApp
from storage.records import IncidentRecord
from storage.uow import Tx


def _facts(app: DispatchApp, incident: IncidentRecord, agencies: Sequence[str]) -> dict[str, object]:
    category = app.routing.categories.get(incident.category)
    return {
        "number": incident.number,
        "category": category.name if category else incident.category,
        "kelurahan": incident.kelurahan,
        "kecamatan": incident.kecamatan,
        "address": incident.address,
        "description": incident.description,
        "agencies": [app.routing.agency_short(code) for code in agencies],
        "priority": incident.priority,
    }


async def announce(tx: Tx, app: DispatchApp, incident: IncidentRecord, agencies: Sequence[str],
                   *, repeat: bool = False) -> None:  # fmt: skip
    if not app.radio_enabled:
        return
    facts = {**_facts(app, incident, agencies), "repeat": repeat}
    dispatch = app.settings.mumble.dispatch_channel
    channels = [dispatch] + [c for c in (app.agency_channel(a) for a in agencies) if c and c != dispatch]
    for channel in dict.fromkeys(channels):
        await tx.outbox.add(
            "mumble", "radio_post", channel, incident.priority, facts, incident_id=incident.id
        )
    await tx.outbox.add("mumble", "radio_speak", dispatch, incident.priority, facts, incident_id=incident.id)


async def radio_note(tx: Tx, app: DispatchApp, incident: IncidentRecord, text: str) -> None:
    """A short status line on the dispatch channel (e.g. "#42 Damkar tiba di lokasi")."""
    if not app.radio_enabled:
        return
    await tx.outbox.add(
        "mumble", "radio_text", app.settings.mumble.dispatch_channel, incident.priority + 1,
        {"text": text}, incident_id=incident.id,
    )  # fmt: skip
