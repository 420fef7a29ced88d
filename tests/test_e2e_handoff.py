"""Hand-off to Kabupaten Blitar 112 end to end: the card and its EIDD attachment, Terima, Tolak with a
reason, /serahkan, the unanswered ladder, export-eidd / import-eidd, and a document posted in the
call takers' group."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import CALL_TAKER, CALL_TAKERS_GROUP, DAMKAR, SUPERVISORS_GROUP, World, make_world
from tests.test_e2e_prank import button, cli

KAB = -1007
KAB_MEMBER = 601
HANDOFF = f"[handoff]\nchat_id = {KAB}\n"
GARUM = "/baru kebakaran | Garum | Jl. Raya Garum 5 | 081234567890 | Gudang terbakar"
SENTUL = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar"


def rows(world: World, sql: str, *args: object) -> list[tuple[object, ...]]:
    return world.rows(sql, *args)


@pytest.fixture
async def kab(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, call_takers_group=True, extra=HANDOFF):
        w.api.group(KAB, "Serah Terima 112 Kab. Blitar")
        yield w


async def test_kabupaten_card_attachment_accept_decline_serahkan_and_eidd(kab: World, tmp_path: Path) -> None:
    api = kab.api
    member = api.user(KAB_MEMBER, "Rina Kab")
    api.send_text(kab.call_taker, kab.call_taker, GARUM)
    told = await api.wait_message(CALL_TAKER, "#1 ")
    assert "kartu serah terima dikirim" in told.text
    card = await api.wait_message(KAB, "SERAH TERIMA")
    assert "Kec. Garum" in card.text and "0812****7890" in card.text and "081234567890" not in card.text
    assert [b["text"] for b in card.buttons] == ["✔️ Terima", "❌ Tolak"]
    attachment = await api.wait_for(lambda: next((m for m in api.messages_in(KAB) if m.document), None))
    assert attachment.filename.startswith("eidd-") and attachment.filename.endswith("-1.json")
    doc = json.loads(attachment.document)
    assert doc["eiddVersion"].startswith("NENA-STA-021")
    assert doc["call"]["callbackNumber"] == "081234567890"  # the full number: only here
    assert doc["location"] == {"kelurahan": None, "kecamatan": "Garum", "address": "Jl. Raya Garum 5",
                               "latitude": None, "longitude": None, "withinCity": False}  # fmt: skip
    assert doc["incident"]["status"] == "open" and doc["notes"][0]["text"] == "Gudang terbakar"
    assert rows(kab, "SELECT state FROM incidents WHERE number = 1") == [("open",)]

    api.tap(member, KAB, card.message_id, button(card, "Terima"))
    await api.wait_message(CALL_TAKERS_GROUP, "#1 diterima 112 Kabupaten Blitar (Rina Kab)")
    assert rows(kab, "SELECT state, state_reason FROM incidents WHERE number = 1") == [
        ("handed_off", "diterima 112 Kabupaten Blitar (Rina Kab)")
    ]

    # /serahkan a city incident; the neighbour declines with a reason given as a reply.
    api.send_text(kab.call_taker, kab.call_taker, SENTUL)
    await api.wait_message(DAMKAR, "#2")
    api.send_text(kab.call_taker, kab.call_taker, "/serahkan 2 penelepon di perbatasan <b>Garum</b>")
    await api.wait_message(CALL_TAKER, "Kartu serah terima #2")
    card2 = await api.wait_message(KAB, "#2 · KEBAKARAN")
    assert "Catatan: penelepon di perbatasan <b>Garum</b>" in card2.text  # escaped, shown literally
    api.tap(member, KAB, card2.message_id, button(card2, "Tolak"))
    prompt = await api.wait_message(KAB, "tulis alasan menolak serah terima")
    api.send_text(member, KAB, "sebentar, saya cek peta dulu")  # talk, not a reply to the prompt: no reason
    api.send_text(member, KAB, "lokasi di wilayah kota", reply_to_message_id=prompt.message_id)
    await api.wait_message(CALL_TAKERS_GROUP, "menolak serah terima #2 (Rina Kab): lokasi di wilayah kota")
    assert rows(kab, "SELECT state FROM incidents WHERE number = 2") == [("open",)]
    assert rows(kab, "SELECT state, decline_reason FROM handoffs ORDER BY id") == [
        ("accepted", None),
        ("declined", "lokasi di wilayah kota"),
    ]

    # export-eidd / import-eidd round trip: #2 comes back as #3, routed like any city incident.
    code, out, err = await cli(kab, "export-eidd", "2")
    assert code == 0, err
    exported = json.loads(out)
    assert exported["notes"][1]["text"] == "Catatan serah terima: penelepon di perbatasan <b>Garum</b>"
    assert [a["code"] for a in exported["agencies"]][:1] == ["damkar"]
    path = tmp_path / "eidd-2.json"
    path.write_text(out)
    code, out, err = await cli(kab, "import-eidd", str(path))
    assert code == 0 and "Kejadian #3 dibuat" in out, err
    card3 = await api.wait_message(DAMKAR, "#3", timeout=40)  # the running bot delivers the new rows
    assert "Kel. Sentul" in card3.text
    assert rows(kab, "SELECT category, kelurahan, address, phone FROM incidents WHERE number = 3") == [
        ("kebakaran", "Sentul", "Jl. Kenari 17", "081234567890")
    ]
    code, out, err = await cli(kab, "import-eidd", str(path))
    assert code == 1 and "sudah diimpor sebagai #3" in err

    # The neighbour posts a document of theirs into our call takers' group.
    theirs = dict(exported, documentId="urn:uuid:kab-0001",
                  sender={"agencyId": "112.kab-blitar", "agencyName": "112 Kabupaten Blitar"})  # fmt: skip
    theirs["incident"] = dict(exported["incident"], trackingId="urn:112.kab-blitar:incident:2026-77")
    theirs["location"] = dict(exported["location"], kelurahan="Bendogerit", address="Jl. Bali 2")
    api.send_document(member, kab.call_takers, "kejadian.json", json.dumps(theirs).encode())
    card4 = await api.wait_message(DAMKAR, "#4", timeout=20)
    assert "Kel. Bendogerit" in card4.text and "[112 Kabupaten Blitar]" in card4.text
    await api.wait_message(CALL_TAKERS_GROUP, "#4 ")
    assert rows(kab, "SELECT tracking_id, source_agency FROM eidd_imports ORDER BY incident_id") == [
        (exported["incident"]["trackingId"], "112.kota-blitar"),
        ("urn:112.kab-blitar:incident:2026-77", "112.kab-blitar"),
    ]
    code, out, err = await cli(kab, "export-eidd", "4")
    assert json.loads(out)["incident"]["trackingId"] == "urn:112.kab-blitar:incident:2026-77"  # travels on


async def test_unanswered_handoff_is_reposted_then_supervisors_alerted(tmp_path: Path) -> None:
    extra = HANDOFF + "repeat_after = 1.5\nalert_after = 3\n"
    async for world in make_world(tmp_path, extra=extra):
        api = world.api
        api.group(KAB, "Serah Terima 112 Kab. Blitar")
        api.send_text(world.call_taker, world.call_taker, GARUM)
        await api.wait_message(KAB, "SERAH TERIMA")
        repeat = await api.wait_message(KAB, "ULANG", timeout=10)
        assert [b["text"] for b in repeat.buttons] == ["✔️ Terima", "❌ Tolak"]
        alert = await api.wait_message(SUPERVISORS_GROUP, "belum dijawab", timeout=10)
        assert "#1" in alert.text
        await api.wait_message(CALL_TAKER, "belum dijawab")
        # The re-posted card still works, and accepting ends the ladder.
        api.tap(api.user(KAB_MEMBER, "Rina Kab"), KAB, repeat.message_id, button(repeat, "Terima"))
        await api.wait_message(CALL_TAKER, "diterima 112 Kabupaten Blitar")
        levels = rows(world, "SELECT data FROM events WHERE kind = 'handoff_escalated' ORDER BY id")
        assert [json.loads(str(data))["level"] for (data,) in levels] == [1, 2]
