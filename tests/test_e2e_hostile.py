"""Hostile input, end to end: every row is refused or escaped, audited, and changes nothing else."""

from __future__ import annotations

import json

from tests.e2e import ADMIN, CALL_TAKER, DAMKAR, POLRES, STRANGER, SUPERVISOR, SUPERVISORS_GROUP, TOKEN, World

ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar"


def db_rows(world: World, sql: str, *args: object) -> list[tuple[object, ...]]:
    return world.rows(sql, *args)


def refusals(world: World) -> list[str]:
    return [
        str(r[0])
        for r in db_rows(world, "SELECT json_extract(data, '$.reason') FROM events WHERE kind='refused'")
    ]


def snapshot(world: World) -> tuple[object, ...]:
    return (
        db_rows(world, "SELECT id, state, disposition FROM incidents ORDER BY id"),
        db_rows(world, "SELECT id, state FROM assignments ORDER BY id"),
        db_rows(world, "SELECT COUNT(*) FROM calls"),
        db_rows(world, "SELECT COUNT(*) FROM blocks"),
        db_rows(world, "SELECT COUNT(*) FROM handoffs"),
    )


REFUSED_ROWS = [
    # (who, text, forwarded, expected reply or None when the refusal is audited without a reply, reason)
    ("stranger", ONE_LINE, False, "tidak terdaftar", "stranger"),
    ("impostor", ONE_LINE, False, "tidak terdaftar", "stranger"),
    ("stranger", "/tutup 1 tertangani", False, None, "stranger"),  # told once a minute, audited every time
    ("stranger", "/prank 08123456789", False, None, "stranger"),
    ("call_taker", ONE_LINE, True, "Pesan terusan", "forwarded"),
    ("call_taker", "/baru " + "x" * 5000, False, "terlalu panjang", "too_long"),
    (
        "call_taker",
        "/baru kebakaran | Sentul | Jl. A | 0812345678 | " + "y" * 4090,
        False,
        "terlalu panjang",
        "too_long",
    ),
    (
        "call_taker",
        "/baru '; DROP TABLE incidents; -- | Sentul | a | - | b",
        False,
        "Kategori tidak dikenal",
        "category",
    ),
    (
        "call_taker",
        "/baru kebakaran | Sentul' OR '1'='1 | a | - | b",
        False,
        "Kelurahan tidak dikenal",
        "location",
    ),
    ("call_taker", "/tutup 1; DELETE FROM events tertangani", False, "Nomor kejadian tidak valid", "format"),
    ("call_taker", "/tambah 1 polres<script>", False, "Kode instansi tidak dikenal", "agency"),
    (
        "call_taker",
        "/baru kebakaran | Sentul | \u202e\u200f | - | b",
        False,
        "Alamat tidak boleh kosong",
        "field",
    ),
    ("call_taker", "/info ", False, "Ringkasan tidak boleh kosong", "field"),
    ("supervisor", ONE_LINE, False, "tidak terdaftar", "stranger"),
    ("call_taker", "/blokir 08x1'; DROP TABLE blocks; --", False, "Nomor telepon tidak valid", "phone"),
    ("call_taker", "/blokir <b>0812</b>", False, "Nomor telepon tidak valid", "phone"),
    ("call_taker", "/blokir 081234567890 400h", False, "Durasi harus antara", "duration"),
    ("call_taker", "/bukablokir 081234567890", False, "tidak sedang diblokir", "not_blocked"),
    ("stranger", "/blokir 081234567890", False, None, "stranger"),
    ("stranger", "/bukablokir 081234567890", False, None, "stranger"),
    ("call_taker", "/serahkan 1 tolong", False, "belum diatur", "no_handoff"),
]


async def test_refused_audited_and_state_unchanged(quiet_world: World) -> None:
    world = quiet_world  # counts every message in a group: no ULANG re-post may join them
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#1")
    await api.wait_message(CALL_TAKER, "#1 ")
    users = {"stranger": world.stranger, "call_taker": world.call_taker, "supervisor": world.supervisor,
             "impostor": api.user(777, "Ani", "ani")}  # fmt: skip
    for i, (who, text, forwarded, expected, reason) in enumerate(REFUSED_ROWS):
        before = snapshot(world)
        user = users[who]
        replies_before = len(api.messages_in(user.id))
        api.send_text(user, user, text, forward_from=world.stranger if forwarded else None)
        await api.wait_for(lambda n=i: len(refusals(world)) == n + 1, timeout=10, recheck=0.05)
        assert refusals(world)[-1] == reason, f"row {i}: {text[:60]!r}"
        if expected is not None:
            await api.wait_message(user.id, expected)
        else:
            assert len(api.messages_in(user.id)) == replies_before, f"row {i}"
        assert snapshot(world) == before, f"row {i}: {text[:60]!r} changed state"
    assert len(api.messages_in(DAMKAR)) == 1 and len(api.messages_in(POLRES)) == 1


async def test_markup_and_control_characters_in_every_free_text_field(world: World) -> None:
    api = world.api
    hostile = "<b>x</b> </i> & *bold* _it_ `code` [a](http://x) <3"
    api.send_text(world.call_taker, world.call_taker,
                  f"/baru kebakaran | Sentul | Jl.\u202e {hostile}\u0007 | - | {hostile} '; DROP TABLE calls; --")  # fmt: skip
    card = await api.wait_message(DAMKAR, "#1")
    assert f"🏠 Jl. {hostile}\n" in card.text  # bidi and bell characters removed, markup shown literally
    assert f"📝 {hostile} '; DROP TABLE calls; --" in card.text
    tolak = next(b["callback_data"] for b in card.buttons if b["text"] == "Tolak")
    api.tap(world.damkar_member, world.damkar, card.message_id, tolak)
    prompt = await api.wait_message(DAMKAR, "alasan")
    api.send_text(
        world.damkar_member, world.damkar, f"alasan {hostile}", reply_to_message_id=prompt.message_id
    )
    edited = await api.wait_edit(DAMKAR, card.message_id, "Ditolak")
    assert f"alasan {hostile}" in edited.text
    api.send_text(world.call_taker, world.call_taker, f"/info {hostile}")
    await api.wait_message(CALL_TAKER, "informasi")
    api.send_text(world.call_taker, world.call_taker, f"/batal 1 {hostile}")
    await api.wait_message(CALL_TAKER, f"dibatalkan: {hostile}")
    assert db_rows(world, "SELECT COUNT(*) FROM calls") == [(2,)]
    failed = db_rows(world, "SELECT COUNT(*) FROM outbox WHERE state = 'failed'")
    assert failed == [(0,)]  # Telegram accepted every message: nothing broke its HTML parser


async def test_taps_from_strangers_other_chats_and_forged_data(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    polres_card = await api.wait_message(POLRES, "#1")
    terima = next(b["callback_data"] for b in card.buttons if b["text"] == "Terima")
    assignment_id = terima.split(":")[1]
    taps = {
        "foreign_chat": api.tap(world.damkar_member, world.polres, polres_card.message_id, terima),
        "forged_callback": api.tap(
            world.damkar_member, world.damkar, card.message_id, f"s:{assignment_id}:00000000:a"
        ),
        "forged_other": api.tap(world.stranger, world.damkar, card.message_id, "g:c:kebakaran"),
    }
    await api.wait_for(lambda: all(t in api.answered_callbacks for t in taps.values()))
    assert db_rows(world, "SELECT COUNT(*) FROM assignments WHERE state <> 'notified'") == [(0,)]
    assert sorted(refusals(world)) == ["foreign_chat", "forged_callback", "stranger"]


async def test_flood_from_one_user_is_throttled_and_others_unaffected(world: World) -> None:
    api = world.api
    for i in range(100):
        api.send_text(world.stranger, world.stranger, f"/baru spam {i}")
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#1", timeout=15)
    await api.wait_message(STRANGER, "Terlalu banyak pesan", timeout=15)
    await api.wait_for(lambda: db_rows(world, "SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == [(0,)],
                       timeout=20, recheck=0.1)  # fmt: skip
    reasons = refusals(world)
    assert reasons.count("flood") == 1 and 0 < reasons.count("stranger") <= 30
    replies = [m for m in api.messages_in(STRANGER) if m.text and "Maaf" in m.text]
    assert len(replies) == 1  # refused once, audited every time: a flood does not become 100 replies
    # The refusal and the flood warning never take a card's place. (Payloads are blanked once sent, so
    # the rows are found by their chat.)
    to_stranger = db_rows(world, "SELECT priority FROM outbox WHERE target = ?", str(STRANGER))
    assert len(to_stranger) == 2 and all(int(str(p)) > 6 for (p,) in to_stranger), to_stranger


async def test_token_never_in_logs(world: World) -> None:
    api = world.api
    api.fail_next("sendMessage", 502, count=2)
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#1", timeout=15)
    await world.bot.stop()
    output = world.bot.output()
    assert "outbox row" in output  # the failures were logged ...
    assert TOKEN not in output and TOKEN.split(":")[1] not in output  # ... without the token


FORGED_EIDD = [
    # (file content, expected reply)
    (b"\x89PNG not json", "bukan JSON"),
    (b"[1, 2, 3]", "harus berupa objek JSON"),
    (b'{"eiddVersion": "x"}', "Dokumen EIDD ditolak: eiddVersion: bentuknya tidak sah"),
    (
        json.dumps(
            {
                "eiddVersion": "NENA-STA-021",
                "documentId": "d1",
                "sentAt": "2026-01-01T00:00:00+07:00",
                "sender": {"agencyId": "x", "agencyName": "<script>alert(1)</script>"},
                "incident": {
                    "trackingId": "t",
                    "localId": "1",
                    "type": "kebakaran'; DROP TABLE incidents; --",
                    "priority": 9,
                    "status": "open",
                    "createdAt": "2026-01-01T00:00:00",
                },
                "location": {"kelurahan": "Sentul", "address": "a", "withinCity": True, "latitude": 999},
                "call": {"receivedAt": "2026-01-01T00:00:00+07:00", "callbackNumber": "<b>1</b>"},
                "notes": [{"at": "2026-01-01T00:00:00+07:00", "text": "x"}],
                "admin": True,
            }
        ).encode(),
        "Dokumen EIDD ditolak",
    ),
    (
        json.dumps(
            {
                "eiddVersion": "NENA-STA-021",
                "documentId": "d2",
                "sentAt": "2026-01-01T00:00:00+07:00",
                "sender": {"agencyId": "x", "agencyName": "y"},
                "incident": {
                    "trackingId": "t",
                    "localId": "1",
                    "type": "kebakaran",
                    "priority": 1,
                    "status": "open",
                    "createdAt": "2026-01-01T00:00:00+07:00",
                },
                "location": {"kecamatan": "Garum", "address": "a", "withinCity": False},
                "call": {"receivedAt": "2026-01-01T00:00:00+07:00"},
                "notes": [{"at": "2026-01-01T00:00:00+07:00", "text": "x"}],
            }
        ).encode(),
        "di luar Kota Blitar",
    ),
]


async def test_forged_eidd_documents_are_refused_and_change_nothing(world: World) -> None:
    api = world.api
    before = snapshot(world)
    for i, (content, expected) in enumerate(FORGED_EIDD):
        api.send_document(world.call_taker, world.call_taker, "kejadian.json", content)
        reply = await api.wait_message(CALL_TAKER, expected)
        await api.wait_for(lambda n=i: len(refusals(world)) == n + 1, timeout=10, recheck=0.05)
        assert refusals(world)[-1] == "eidd_invalid", f"row {i}"
        assert "<script>" not in (reply.html or "")
        assert snapshot(world) == before, f"row {i} changed state"
    texts = [m.text for m in api.messages_in(CALL_TAKER)]
    forged = next((t for t in texts if "incident.priority" in t), "\n".join(texts))
    assert "incident.priority: di luar batas" in forged and "location.latitude: di luar batas" in forged, (
        forged
    )
    api.send_document(world.stranger, world.stranger, "kejadian.json", FORGED_EIDD[-1][0])
    await api.wait_for(lambda: refusals(world)[-1:] == ["stranger"], timeout=10, recheck=0.05)
    assert snapshot(world) == before
    assert db_rows(world, "SELECT COUNT(*) FROM eidd_imports") == [(0,)]


HOSTILE_NAMES = ('Budi</a> — konfirmasi di <a href="http://evil.example/x">sini', "Ani <3")


def _press(api: object, user: object, chat: object, card: object, label: str) -> str:
    data = next(b["callback_data"] for b in card.buttons if b["text"] == label)  # type: ignore[attr-defined]
    return api.tap(user, chat, card.message_id, data)  # type: ignore[attr-defined, no-any-return]


async def test_hostile_names_are_shown_literally_in_every_message(world: World) -> None:
    api = world.api
    link_name, heart_name = HOSTILE_NAMES
    linker, heart = api.user(601, link_name), api.user(602, heart_name)
    me = api.user(CALL_TAKER, heart_name)  # the call taker's own name shows in the timeline
    api.send_text(me, me, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    polres = await api.wait_message(POLRES, "#1")
    _press(api, linker, world.damkar, card, "Tolak")
    prompt = await api.wait_message(DAMKAR, "alasan menolak")
    assert prompt.text.startswith(f"{link_name}, tulis alasan")
    _press(api, heart, world.polres, polres, "Tolak")
    heart_prompt = await api.wait_message(POLRES, "alasan menolak")
    assert heart_prompt.text.startswith(f"{heart_name}, tulis alasan")
    _press(api, heart, world.polres, polres, "Terima")
    await api.wait_edit(POLRES, polres.message_id, f"Diterima — {heart_name}")
    await api.wait_message(CALL_TAKER, f"Polres menerima #1 ({heart_name},")
    api.send_text(linker, world.damkar, "Armada habis", reply_to_message_id=prompt.message_id)
    await api.wait_edit(DAMKAR, card.message_id, f"Ditolak — {link_name}")
    await api.wait_message(CALL_TAKER, f"Damkar menolak #1 ({link_name},")
    api.send_text(me, me, "/lihat 1")
    timeline = await api.wait_message(CALL_TAKER, "Riwayat")
    assert f"dibuat — {heart_name}" in timeline.text and link_name in timeline.text
    for m in api.messages:  # a name never became markup: no link, nothing refused by the parser
        assert "evil.example" not in json.dumps(m.entities or []), m.current_text
    assert db_rows(world, "SELECT COUNT(*) FROM outbox WHERE state = 'failed'") == [(0,)]


STAFF_COMMANDS_IN_AN_AGENCY_GROUP = [
    # (who, text): each would post incidents, a form or a caller's number into an agency group
    ("call_taker", "/aktif"),
    ("supervisor", "/aktif"),
    ("call_taker", "/lihat 1"),
    ("supervisor", "/laporan hari"),
    ("call_taker", "/baru"),
    ("call_taker", ONE_LINE),
    ("call_taker", "/prank 081234567890"),
]


async def test_staff_commands_in_an_agency_group_are_refused_there(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#1")
    await api.wait_message(CALL_TAKER, "#1 ")
    users = {"call_taker": world.call_taker, "supervisor": world.supervisor}
    for i, (who, text) in enumerate(STAFF_COMMANDS_IN_AN_AGENCY_GROUP, start=1):
        before = snapshot(world)
        api.send_text(users[who], world.damkar, text)
        await api.wait_for(lambda n=i: len(refusals(world)) == n, timeout=10, recheck=0.05)
        assert refusals(world)[-1] == "wrong_chat", text
        await api.wait_for(
            lambda n=i: sum("hanya dilayani" in m.current_text for m in api.messages_in(DAMKAR)) == n
        )
        assert snapshot(world) == before, f"{text!r} changed state"
    assert db_rows(world, "SELECT COUNT(*) FROM drafts") == [(0,)]  # no form was started in the group
    # The supervisors' group is served as before; by then everything above was delivered.
    api.send_text(world.supervisor, world.supervisors, "/aktif")
    await api.wait_message(SUPERVISORS_GROUP, "Kejadian aktif")
    await api.wait_for(lambda: db_rows(world, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'") == [(0,)],
                       recheck=0.05)  # fmt: skip
    damkar = [m.current_text for m in api.messages_in(DAMKAR)]
    assert len(damkar) == 1 + len(STAFF_COMMANDS_IN_AN_AGENCY_GROUP), damkar  # the card and the refusals only


def roster_state(world: World) -> tuple[object, ...]:
    return (
        db_rows(world, "SELECT key, chat_id, reachable FROM roster_groups ORDER BY key"),
        db_rows(world, "SELECT user_id, role FROM roster_people ORDER BY user_id, role"),
        db_rows(world, "SELECT code_hash, used_at FROM roster_invites ORDER BY code_hash"),
        db_rows(world, "SELECT COUNT(*) FROM incidents"),
    )


async def _invite(world: World) -> str:
    api = world.api
    before = len(api.messages_in(ADMIN))
    api.send_text(world.admin, world.admin, "/undang petugas")
    invite = await api.wait_for(
        lambda: next((m for m in api.messages_in(ADMIN)[before:] if "?start=" in (m.text or "")), None)
    )
    return next(w for w in invite.text.split() if w.startswith("https://t.me/"))


async def test_roster_refusals_audited_and_state_unchanged(world: World) -> None:
    api = world.api
    unbound = api.group(-4343, "Grup Tak Terdaftar")
    api.add_bot_to_group(world.stranger, unbound)
    await api.wait_message(-4343, "belum terdaftar")
    expired = await _invite(world)
    db_rows(world, "UPDATE roster_invites SET expires_at = 0")  # 24 hours have passed
    used = await _invite(world)
    api.open_link(world.stranger, used)
    await api.wait_message(STRANGER, "terdaftar sebagai petugas")
    impostor = api.user(778, "Penyusup")
    forged_link = used.rsplit("=", 1)[0] + "=AAAAAAAAAAAAAAAAAAAAAAAA"
    rows = [
        # (who, chat, text or a callable that sends, expected reply (chat, text) or None, reason)
        ("call_taker", DAMKAR, "/daftar polres", (DAMKAR, "hanya untuk admin"), "not_admin"),
        ("admin", ADMIN, "/daftar damkar", (ADMIN, "bukan di chat pribadi"), "private_chat"),
        ("admin", DAMKAR, "/daftar nasa<b>", (DAMKAR, "Kode instansi tidak dikenal: nasa<b>"), "agency"),
        ("admin", POLRES, "/daftar damkar", (POLRES, "sudah terdaftar sebagai Polres"), "already_bound"),
        ("admin", DAMKAR, "/hubungkan damkar", (DAMKAR, "di chat pribadi"), "not_private"),
        ("call_taker", CALL_TAKER, "/undang admin", (CALL_TAKER, "hanya untuk admin"), "not_admin"),
        ("supervisor", SUPERVISOR, "/lepas damkar", (SUPERVISOR, "hanya untuk admin"), "not_admin"),
        ("admin", ADMIN, f"/cabut {ADMIN}", (ADMIN, "tidak bisa dicabut"), "root_admin"),
        ("impostor", 778, f"link:{forged_link}", (778, "tidak dikenal"), "invite_invalid"),
        ("impostor", 778, f"link:{expired}", (778, "kedaluwarsa"), "invite_expired"),
        ("impostor", 778, f"link:{used}", (778, "sudah dipakai"), "invite_used"),
        ("admin", ADMIN, "share:99", (ADMIN, "tidak diminta oleh bot"), "forged_chat_shared"),
        ("call_taker", -4343, ONE_LINE, None, "unbound_group"),
        ("stranger", -4343, "/lepas damkar", None, "unbound_group"),
    ]
    users = {"stranger": world.stranger, "call_taker": world.call_taker, "supervisor": world.supervisor,
             "admin": world.admin, "impostor": impostor}  # fmt: skip
    start = len(refusals(world))
    for i, (who, chat, text, expected, reason) in enumerate(rows):
        before = roster_state(world)
        user = users[who]
        silent_before = len(api.messages_in(chat))
        if text.startswith("link:"):
            api.open_link(user, text.removeprefix("link:"))
        elif text.startswith("share:"):
            api.share_chat(user, int(text.removeprefix("share:")), world.bpbd)
        else:
            api.send_text(user, chat, text)
        await api.wait_for(lambda n=i: len(refusals(world)) == start + n + 1, timeout=10, recheck=0.05)
        assert refusals(world)[-1] == reason, f"row {i}: {text[:60]!r}"
        if expected is not None:
            await api.wait_message(*expected)
        else:
            assert len(api.messages_in(chat)) == silent_before, f"row {i}: answered in an unbound group"
        assert roster_state(world) == before, f"row {i}: {text[:60]!r} changed the roster"
