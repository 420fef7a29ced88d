"""The guided form and the commands around an incident, end to end."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import ADMIN, BPBD, CALL_TAKER, CALL_TAKERS_GROUP, DAMKAR, POLRES, STRANGER, World, make_world

ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar"


def db_rows(world: World, sql: str, *args: object) -> list[tuple[object, ...]]:
    return world.rows(sql, *args)


def press(world: World, message: object, label: str) -> str:
    for b in message.buttons:  # type: ignore[attr-defined]
        if b["text"] == label:
            return world.api.tap(world.call_taker, world.call_taker, message.message_id, b["callback_data"])  # type: ignore[attr-defined]
    raise AssertionError(f"no button {label!r}: {[b['text'] for b in message.buttons]}")  # type: ignore[attr-defined]


async def test_guided_form_dispatches_with_pin(world: World) -> None:
    api = world.api
    me = world.call_taker
    api.send_text(me, me, "/baru")
    step = await api.wait_message(CALL_TAKER, "pilih kategori")
    press(world, step, "Pohon Tumbang")
    step = await api.wait_message(CALL_TAKER, "Pilih kecamatan")
    press(world, step, "Sananwetan")
    step = await api.wait_message(CALL_TAKER, "pilih kelurahan")
    press(world, step, "Bendogerit")
    await api.wait_message(CALL_TAKER, "alamat")
    api.send_text(me, me, "Jl. Merdeka 5 <dekat pasar>")
    await api.wait_message(CALL_TAKER, "nomor telepon")
    api.send_text(me, me, "nomor saya rahasia")
    await api.wait_message(CALL_TAKER, "Nomor telepon tidak valid")
    api.send_text(me, me, "+62 812-1111-2222")
    await api.wait_message(CALL_TAKER, "keterangan")
    api.send_text(me, me, "Pohon besar menutup jalan")
    await api.wait_message(CALL_TAKER, "lokasi (pin)")
    api.send_location(me, me, -8.0983, 112.1681)
    summary = await api.wait_message(CALL_TAKER, "Periksa lalu kirim")
    assert "Bendogerit" in summary.text and "<dekat pasar>" in summary.text
    press(world, summary, "✅ Kirim")
    card = await api.wait_message(BPBD, "#1")
    assert "Bendogerit" in card.text and "Sananwetan" in card.text and "0812****2222" in card.text
    assert "maps.google.com" in (card.html or "")
    assert db_rows(world, "SELECT lat, lon FROM incidents") == [(-8.0983, 112.1681)]
    assert db_rows(world, "SELECT COUNT(*) FROM drafts") == [(0,)]
    # A second press of Kirim on the old summary is refused: the form is gone.
    again = press(world, summary, "✅ Kirim")
    answered = await api.wait_for(lambda: api.answered_callbacks.get(again))
    assert "sudah tidak berlaku" in answered["text"]
    assert db_rows(world, "SELECT COUNT(*) FROM incidents") == [(1,)]


async def test_guided_form_cancel_stores_nothing(world: World) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, "/baru")
    step = await api.wait_message(CALL_TAKER, "pilih kategori")
    press(world, step, "✖️ Batal")
    await api.wait_message(CALL_TAKER, "dibatalkan")
    assert db_rows(world, "SELECT COUNT(*) FROM incidents") == [(0,)]


async def test_outside_city_is_handed_off(world: World) -> None:
    api = world.api
    api.send_text(
        world.call_taker, world.call_taker, "/baru kebakaran | Garum | Jl. Raya Garum | - | Gudang terbakar"
    )
    reply = await api.wait_message(CALL_TAKER, "#1")
    assert "112 Kabupaten Blitar" in reply.text
    assert db_rows(world, "SELECT state, kecamatan FROM incidents") == [("handed_off", "Garum")]
    assert api.messages_in(DAMKAR) == []


async def test_tambah_tutup_batal_aktif_lihat(world: World) -> None:
    api = world.api
    me = world.call_taker
    api.send_text(me, me, "/baru listrik | Klampok | Jl. Anggrek 3 | 081200001111 | Kabel putus")
    await api.wait_message(CALL_TAKER, "#1")
    api.send_text(me, me, "/tambah 1 damkar")
    await api.wait_message(CALL_TAKER, "Damkar ditambahkan ke #1")
    card = await api.wait_message(DAMKAR, "#1")
    api.send_text(me, me, "/tambah 1 damkar")
    await api.wait_message(CALL_TAKER, "sudah ditugaskan")
    api.send_text(me, me, "/tambah 1 nasa")
    await api.wait_message(CALL_TAKER, "Kode instansi tidak dikenal")
    api.send_text(me, me, ONE_LINE)
    await api.wait_message(CALL_TAKER, "#2")
    api.send_text(me, me, "/aktif")
    listing = await api.wait_message(CALL_TAKER, "Kejadian aktif")
    assert "#1" in listing.text and "#2" in listing.text and "Damkar" in listing.text
    api.send_text(me, me, "/tutup 1 meledak")
    await api.wait_message(CALL_TAKER, "Kode penutupan tidak dikenal")
    api.send_text(me, me, "/tutup 1 tertangani")
    await api.wait_message(CALL_TAKER, "#1 ditutup")
    closed = await api.wait_edit(DAMKAR, card.message_id, "DITUTUP")
    assert closed.buttons == []
    api.send_text(me, me, "/batal 2 Laporan ganda dari warga")
    await api.wait_message(CALL_TAKER, "#2 dibatalkan")
    polres = await api.wait_message(POLRES, "#2")
    await api.wait_edit(POLRES, polres.message_id, "DIBATALKAN")
    api.send_text(me, me, "/tutup 2 tertangani")
    await api.wait_message(CALL_TAKER, "sudah dibatalkan")
    api.send_text(world.supervisor, world.supervisor, "/lihat 1")
    timeline = await api.wait_message(world.supervisor.id, "Riwayat")
    assert "dibuat" in timeline.text and "Damkar ditugaskan" in timeline.text and "ditutup" in timeline.text
    api.send_text(me, me, "/lihat abc")
    await api.wait_message(CALL_TAKER, "Format: /lihat")


async def test_notices_go_to_the_call_takers_group(world_group: World) -> None:
    api = world_group.api
    api.send_text(world_group.call_taker, world_group.call_takers, ONE_LINE)
    await api.wait_message(CALL_TAKERS_GROUP, "#1")
    card = await api.wait_message(DAMKAR, "#1")
    terima = next(b["callback_data"] for b in card.buttons if b["text"] == "Terima")
    api.tap(world_group.damkar_member, world_group.damkar, card.message_id, terima)
    await api.wait_message(CALL_TAKERS_GROUP, "Damkar menerima #1")
    assert not [m for m in api.messages_in(CALL_TAKER) if "menerima" in m.text]


async def test_bot_added_to_unbound_group_says_one_line_ignores_it_then_leaves(tmp_path: Path) -> None:
    async for world in make_world(tmp_path, extra="[groups]\nunbound_leave_hours = 0.002"):  # 7.2 s
        await _unbound_group(world)


async def _unbound_group(world: World) -> None:
    api = world.api
    unknown = api.group(-4242, "Grup Acak")
    api.add_bot_to_group(world.stranger, unknown)
    await api.wait_message(-4242, "Grup ini belum terdaftar. Admin 112: ketik /daftar <kode_instansi>")
    told = await api.wait_message(ADMIN, "Grup Acak")
    assert "Orang Asing" in told.text and str(STRANGER) in told.text
    api.send_text(world.call_taker, unknown, ONE_LINE)  # even a call taker's command is ignored there
    api.send_text(world.stranger, unknown, "/aktif")
    await api.wait_for(lambda: len(db_rows(world, "SELECT 1 FROM events WHERE kind = 'refused'")) == 2,
                       timeout=10, recheck=0.1)  # fmt: skip
    await api.wait_for(lambda: -4242 in api.left_chats, timeout=20)
    assert [m.text for m in api.messages_in(-4242)] == [
        "Grup ini belum terdaftar. Admin 112: ketik /daftar <kode_instansi>"
    ]
    assert db_rows(world, "SELECT COUNT(*) FROM incidents") == [(0,)]
    api.add_bot_to_group(world.call_taker, world.damkar)  # a bound group: nothing said, nothing left
    await api.wait_for(lambda: db_rows(world, "SELECT COUNT(*) FROM events WHERE kind = 'group_reachable'")
                       == [(1,)], timeout=10, recheck=0.1)  # fmt: skip
    refused = db_rows(world, "SELECT json_extract(data, '$.reason') FROM events WHERE kind = 'refused'")
    assert refused == [("unbound_group",), ("unbound_group",)]
    assert DAMKAR not in api.left_chats
