"""Prank and ghost callers end to end: the history line, the threshold's Blokir button, the list and
its CSV export, the repeat-offender ladder up to the supervisors, and the audit of every step."""

from __future__ import annotations

import asyncio
import csv
import io
import sys

from tests.e2e import CALL_TAKER, ROOT, SUPERVISORS_GROUP, World

PHONE = "081299998888"
MASKED = "0812****8888"


def rows(world: World, sql: str, *args: object) -> list[tuple[object, ...]]:
    return world.rows(sql, *args)


async def cli(world: World, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run.py"), *args, cwd=str(ROOT), env=world.bot.env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def button(message: object, label: str) -> str:
    return next(b["callback_data"] for b in message.buttons if label in b["text"])  # type: ignore[attr-defined]


async def test_history_threshold_block_list_export_and_ladder(world: World) -> None:
    api = world.api
    say = lambda text: api.send_text(world.call_taker, world.call_taker, text)  # noqa: E731
    say(f"/prank {PHONE}")
    first = await api.wait_message(CALL_TAKER, "prank dari")
    assert "dalam 30 hari" not in first.text  # no history yet: no history line
    say(f"/ghost {PHONE}")
    second = await api.wait_message(CALL_TAKER, "ghost (diam)")
    assert second.text.startswith(f"🕘 {MASKED}: 1 prank dalam 30 hari; terakhir hari ini ")
    say(f"/prank {PHONE}")
    proposal = await api.wait_message(CALL_TAKER, "Usul blokir")
    assert "3 prank/ghost dalam 7 hari" in proposal.text and MASKED in proposal.text
    assert [b["text"] for b in proposal.buttons] == ["⛔ Blokir 24 jam", "Abaikan"]
    third = await api.wait_message(CALL_TAKER, "1 prank, 1 ghost dalam 30 hari")
    assert third.text.startswith("🕘")
    api.tap(world.call_taker, world.call_taker, proposal.message_id, button(proposal, "Blokir"))
    await api.wait_message(CALL_TAKER, f"{MASKED} diblokir 24 jam")
    tapped_again = api.tap(
        world.call_taker, world.call_taker, proposal.message_id, button(proposal, "Blokir")
    )
    await api.wait_for(lambda: tapped_again in api.answered_callbacks)
    assert "sudah diputuskan" in api.answered_callbacks[tapped_again]["text"]

    say("/blokir")
    listing = await api.wait_message(CALL_TAKER, "Nomor diblokir")
    assert MASKED in listing.text and PHONE not in listing.text and "tingkat 1" in listing.text
    code, out, err = await cli(world, "blocklist", "--format", "csv")
    assert code == 0, err
    exported = list(csv.DictReader(io.StringIO(out)))
    assert [(r["phone"], r["level"], r["blocked_by"]) for r in exported] == [(PHONE, "1", "Ani")]

    # The ladder: a second block is 3 days, a third is the supervisors' decision.
    say(f"/bukablokir {PHONE} salah sambung")
    await api.wait_message(CALL_TAKER, "dibuka: salah sambung")
    say(f"/blokir {PHONE}")
    await api.wait_message(CALL_TAKER, f"{MASKED} diblokir 3 hari")
    say(f"/bukablokir {PHONE}")
    await api.wait_for(lambda: len([m for m in api.messages_in(CALL_TAKER) if "dibuka" in m.text]) == 2)
    say(f"/blokir {PHONE} 24j")
    await api.wait_message(CALL_TAKER, "petugas tidak bisa memblokir lagi")
    ask = await api.wait_message(SUPERVISORS_GROUP, "Keputusan supervisor")
    assert MASKED in ask.text and PHONE not in ask.text
    assert [b["text"] for b in ask.buttons] == ["Blokir 7 hari", "Blokir 30 hari", "Abaikan"]
    not_theirs = api.tap(world.call_taker, world.supervisors, ask.message_id, button(ask, "7 hari"))
    await api.wait_for(lambda: not_theirs in api.answered_callbacks)
    assert "Hanya supervisor" in api.answered_callbacks[not_theirs]["text"]
    api.tap(world.supervisor, world.supervisors, ask.message_id, button(ask, "7 hari"))
    await api.wait_message(SUPERVISORS_GROUP, f"{MASKED} diblokir 7 hari")

    blocks = rows(world, "SELECT level, blocked_by_name, lifted_by_name, lift_reason FROM blocks ORDER BY id")
    assert blocks == [
        (1, "Ani", "Ani", "salah sambung"),
        (2, "Ani", "Ani", "dibuka petugas"),
        (3, "Sari", None, None),
    ]
    audit = rows(world, "SELECT kind, actor_name, json_extract(data, '$.phone') FROM events"
                 " WHERE kind IN ('blocked', 'unblocked', 'block_escalated') ORDER BY id")  # fmt: skip
    assert [a[:2] for a in audit] == [("blocked", "Ani"), ("unblocked", "Ani"), ("blocked", "Ani"),
                                      ("unblocked", "Ani"), ("block_escalated", "Ani"), ("blocked", "Sari")]  # fmt: skip
    assert {a[2] for a in audit} == {MASKED}  # masked in the audit too

    # A dispatch from that number shows its history (and the block) first.
    say(f"/baru kebakaran | Sentul | Jl. Kenari 17 | {PHONE} | Rumah terbakar")
    confirmation = await api.wait_message(CALL_TAKER, "#1 ")
    assert confirmation.text.startswith(f"🕘 {MASKED}: 2 prank, 1 ghost dalam 30 hari")
    assert "diblokir s.d." in confirmation.text.splitlines()[0]


async def test_abaikan_and_bad_duration(world: World) -> None:
    api = world.api
    for _ in range(3):
        api.send_text(world.call_taker, world.call_taker, "/ghost 0342 801234")
    proposal = await api.wait_message(CALL_TAKER, "Usul blokir")
    api.tap(world.call_taker, world.call_taker, proposal.message_id, button(proposal, "Abaikan"))
    await api.wait_message(CALL_TAKER, "diabaikan oleh Ani")
    api.send_text(world.call_taker, world.call_taker, "/blokir 0342801234 30h")
    await api.wait_message(CALL_TAKER, "paling lama 24 jam")
    assert rows(world, "SELECT COUNT(*) FROM blocks") == [(0,)]
    assert rows(world, "SELECT state, decided_by_name FROM block_proposals") == [("ignored", "Ani")]


async def test_guided_baru_and_info_start_with_the_history(world: World) -> None:
    api = world.api
    me = world.call_taker
    api.send_text(me, me, "/ghost +62 812-1111-2222")
    await api.wait_message(CALL_TAKER, "ghost (diam) dari 0812****2222")
    api.send_text(me, me, "/info 081211112222 jadwal SIM keliling")
    info = await api.wait_message(CALL_TAKER, "informasi dari 0812****2222")
    assert info.text.startswith("🕘 0812****2222: 1 ghost dalam 30 hari; terakhir hari ini")
    api.send_text(me, me, "/baru")
    steps = (
        ("pilih kategori", "Pohon Tumbang"),
        ("Pilih kecamatan", "Sananwetan"),
        ("pilih kelurahan", "Bendogerit"),
    )
    for prompt, label in steps:
        step = await api.wait_message(CALL_TAKER, prompt)
        api.tap(me, me, step.message_id, button(step, label))
    for prompt, text in (
        ("alamat", "Jl. Merdeka 5"),
        ("nomor telepon", "081211112222"),
        ("keterangan", "Pohon"),
    ):
        await api.wait_message(CALL_TAKER, prompt)
        api.send_text(me, me, text)
    step = await api.wait_message(CALL_TAKER, "lokasi (pin)")
    api.tap(me, me, step.message_id, button(step, "Lewati"))
    summary = await api.wait_message(CALL_TAKER, "Periksa lalu kirim")
    api.tap(me, me, summary.message_id, button(summary, "Kirim"))
    done = await api.wait_message(CALL_TAKER, "#1 ")
    assert done.text.startswith("🕘 0812****2222: 1 ghost, 1 informasi dalam 30 hari; terakhir hari ini")
