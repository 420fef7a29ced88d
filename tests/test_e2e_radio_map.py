"""/radio: the Mumble user -> agency map set from Telegram by an admin, audited, at once."""

from __future__ import annotations

import json

from tests.e2e import ADMIN, CALL_TAKER, DAMKAR, World


def rows(world: World, sql: str, *args: object) -> list[tuple[object, ...]]:
    return world.rows(sql, *args)


def changes(world: World) -> list[dict[str, object]]:
    found = rows(world, "SELECT data FROM events WHERE kind = 'roster_changed' ORDER BY id")
    return [json.loads(str(r[0])) for r in found]


async def test_admin_maps_and_unmaps_a_field_user(world: World) -> None:
    api = world.api
    admin = api.user(ADMIN, "Admin Kominfo")
    cert = "AB" * 20
    api.send_text(admin, admin, "/radio Damkar-9 damkar")
    await api.wait_message(ADMIN, "Damkar-9 kini melapor untuk Damkar")
    api.send_text(admin, admin, f"/radio {cert} pln")
    await api.wait_message(ADMIN, "kini melapor untuk PLN")
    assert ("Damkar-9", "damkar") in rows(world, "SELECT name, agency FROM roster_mumble")
    assert (cert.lower(), "pln") in rows(
        world, "SELECT name, agency FROM roster_mumble"
    )  # hashes kept lower case
    api.send_text(admin, admin, "/radio")
    listing = await api.wait_message(ADMIN, "Peta radio")
    assert "Damkar-9 → Damkar" in listing.text
    api.send_text(admin, admin, "/radio hapus Damkar-9")
    await api.wait_message(ADMIN, "Damkar-9 dihapus dari peta radio")
    assert ("Damkar-9", "damkar") not in rows(world, "SELECT name, agency FROM roster_mumble")
    whats = [(c["what"], c.get("mumble_user")) for c in changes(world) if str(c["what"]).startswith("mumble")]
    assert whats == [
        ("mumble_mapped", "Damkar-9"),
        ("mumble_mapped", cert.lower()),
        ("mumble_unmapped", "Damkar-9"),
    ]


async def test_refused_from_others_in_agency_groups_and_with_bad_input(world: World) -> None:
    api = world.api
    admin = api.user(ADMIN, "Admin Kominfo")
    before = rows(world, "SELECT name, agency FROM roster_mumble ORDER BY name")
    cases = [
        (world.call_taker, world.call_taker, "/radio Damkar-9 damkar", CALL_TAKER, "hanya untuk admin"),
        (admin, admin, "/radio Damkar-9 <b>damkar</b>", ADMIN, "Kode instansi tidak dikenal"),
        (admin, admin, "/radio <script> damkar", ADMIN, "Nama Mumble tidak sah"),
        (admin, admin, "/radio hapus Tidak-Ada", ADMIN, "tidak ada di peta radio"),
        (admin, world.damkar, "/radio Damkar-9 damkar", DAMKAR, "hanya dilayani di chat pribadi"),
    ]
    for user, chat, text, where, expected in cases:
        api.send_text(user, chat, text)
        reply = await api.wait_message(where, expected)
        assert "<script>" not in (reply.html or "")
    reasons = [
        str(r[0])
        for r in rows(world, "SELECT json_extract(data, '$.reason') FROM events WHERE kind='refused'")
    ]
    assert reasons[-5:] == ["not_admin", "agency", "format", "unknown_radio_user", "wrong_chat"]
    assert rows(world, "SELECT name, agency FROM roster_mumble ORDER BY name") == before
