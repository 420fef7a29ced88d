"""Hand-off ladder and EIDD in process, with an injected clock: each step exactly once across a
restart, the document validates against its own model, and retention reaches blocks and attachments."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bot import eidd
from bot.handoff_escalation import escalate_handoffs
from bot.services.blocks import block_number
from bot.services.common import Refused
from bot.services.eidd_import import form_of
from bot.services.handoff import document_bytes
from bot.services.incidents import IncidentForm
from bot.services.privacy import DAY, purge_phones
from bot.settings import Settings
from tests.test_escalation_support import (
    CALL_TAKER,
    KEBAKARAN,
    SUPERVISORS_GROUP,
    make_settings,
    make_world,
    wib,
)

KAB = -1007
GARUM = IncidentForm("kebakaran", "Garum", "Jl. Raya Garum 5", "081234567890", "Gudang terbakar")


def settings(**handoff: object) -> Settings:
    return make_settings(handoff={"chat_id": KAB, "repeat_after": 60, "alert_after": 180, **handoff})


async def test_unanswered_handoff_climbs_once_per_step_across_restarts(tmp_path: Path) -> None:
    async for world in make_world(tmp_path, wib("2024-03-04 09:00"), settings()):
        await world.dispatch(GARUM)
        assert await world.rows("SELECT state FROM incidents") == [("open",)]
        assert [k for k, t, _ in await world.outbox() if t == str(KAB)] == ["text", "document"]
        assert await escalate_handoffs(world.app) == wib("2024-03-04 09:01")
        world.clock.advance(59.9)
        await escalate_handoffs(world.app)
        assert await world.rows("SELECT escalation_level FROM handoffs") == [(0,)]
        world.clock.advance(0.2)
        await escalate_handoffs(world.app)
        await world.reopen()  # a restart right after the step: it is not taken again
        await escalate_handoffs(world.app)
        kab = [p.get("html", "") for k, t, p in await world.outbox() if t == str(KAB) and k == "text"]
        assert len(kab) == 2 and kab[1].startswith("🔁 <b>ULANG</b>")
        world.clock.advance(200)  # down past the alert: fired once on start
        await world.reopen()
        assert await escalate_handoffs(world.app) is None
        await escalate_handoffs(world.app)
        alerts = [t for t in await world.texts_to(SUPERVISORS_GROUP) if "belum dijawab" in t]
        assert len(alerts) == 1 and "#1" in alerts[0]
        assert len([t for t in await world.texts_to(CALL_TAKER) if "belum dijawab" in t]) == 1
        assert await world.rows("SELECT escalation_level FROM handoffs") == [(2,)]


async def test_document_round_trips_through_its_model(tmp_path: Path) -> None:
    async for world in make_world(tmp_path, wib("2024-03-04 09:00"), settings()):
        await world.dispatch(GARUM)
        (doc_row,) = [p for k, _, p in await world.outbox("document")]
        data = base64.b64decode(doc_row["data"])
        parsed = eidd.parse(data)
        assert parsed.call.callback_number == "081234567890"
        assert parsed.incident.tracking_id == "urn:112.kota-blitar:incident:2024-1"
        assert parsed.location.kecamatan == "Garum" and parsed.location.within_city is False
        assert parsed.incident.created_at.isoformat() == "2024-03-04T09:00:00+07:00"
        assert json.loads(eidd.dump(parsed)) == json.loads(data)  # what we send is what we accept
        with pytest.raises(eidd.EiddRefused, match="terlalu besar"):
            eidd.parse(b" " * (eidd.MAX_BYTES + 1))


async def test_retention_reaches_blocks_and_sent_attachments(tmp_path: Path) -> None:
    async for world in make_world(tmp_path, wib("2024-03-04 09:00"), settings()):
        await world.dispatch(GARUM)
        await block_number(world.app, "081299998888", world.actor, update_id=None)
        async with world.app.store.transaction(world.clock()) as tx:
            await tx.db.execute("UPDATE outbox SET state = 'sent'")
        world.clock.advance(92 * DAY)  # the 24 h block ended 91 days ago
        removed = await purge_phones(world.app)
        assert removed == 4  # incident, its call, the ended block, the sent EIDD attachment
        assert await world.rows("SELECT phone FROM blocks") == [("0812****8888",)]
        assert [p for _, _, p in await world.outbox("document")] == [{}]


async def test_import_falls_back_to_the_kecamatan_and_refuses_unknown_types(tmp_path: Path) -> None:
    async for world in make_world(tmp_path, wib("2024-03-04 09:00"), settings()):
        await world.dispatch(KEBAKARAN)
        async with world.app.store.reading(world.clock()) as tx:
            incident = await tx.incidents.by_number(1)
            assert incident is not None
            raw = json.loads(await document_bytes(tx, world.app, incident))
        raw["location"] |= {"kelurahan": "Sentul Kidul (Kab.)", "kecamatan": "Kepanjenkidul"}
        form = form_of(world.app, eidd.parse(json.dumps(raw).encode()))
        assert (form.location, form.address, form.phone) == ("Kepanjenkidul", "Jl. Kenari 17", "081234567890")
        raw["incident"]["type"] = "tsunami"
        with pytest.raises(Refused, match="Jenis kejadian tidak dikenal: tsunami"):
            form_of(world.app, eidd.parse(json.dumps(raw).encode()))
