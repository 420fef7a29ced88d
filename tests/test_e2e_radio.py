"""The radio end to end: python run.py, the fake Bot API, a real murmurd and real Mumble field clients."""

from __future__ import annotations

import hashlib
import json
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import CALL_TAKER, DAMKAR, World, make_world
from tests.radio_fixtures import SUPERUSER_PASSWORD, Listener, MurmurHandle, field_cert

pytestmark = pytest.mark.radio
ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar"


def cert_hash(name: str) -> str:
    """What murmur shows as a user's certificate hash: SHA-1 of the DER certificate."""
    pem = Path(field_cert(name)[0]).read_text()
    return hashlib.sha1(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def radio_section(server: MurmurHandle) -> str:
    return f"""[mumble]
enabled = true
embedded = false
host = "{server.host}"
port = {server.port}
dispatch_channel = "Dispatch"
stale_after = 600
[mumble.users]
"Damkar-1" = "damkar"
"Damkar-2" = "damkar"
"{cert_hash("Pos-Polres")}" = "polres"
"""


@pytest.fixture
async def radio_world(tmp_path: Path, murmur_server: MurmurHandle) -> AsyncIterator[World]:
    env = {
        "DISPATCH_MUMBLE__SUPERUSER_PASSWORD": SUPERUSER_PASSWORD,
        "DISPATCH_MUMBLE__PASSWORD": murmur_server.server_password,
    }
    async for world in make_world(tmp_path, mumble=radio_section(murmur_server), env=env):
        world.radio = murmur_server  # type: ignore[attr-defined]
        yield world


async def listener(server: MurmurHandle, name: str, channel: str) -> Listener:
    return await server.listener(name, channel)


def assignment_state(world: World, agency: str) -> str:
    return str(world.rows("SELECT state FROM assignments WHERE agency = ? ORDER BY id", agency)[0][0])


def refusals(world: World, reason: str) -> list[dict[str, object]]:
    """Refused events with ``reason``: the data plus the actor's name."""
    rows = world.rows("SELECT actor_name, data FROM events WHERE kind = 'refused' ORDER BY id")
    found = [{**json.loads(data), "actor_name": name} for name, data in rows]
    return [f for f in found if f.get("reason") == reason]


async def test_dispatch_is_posted_and_spoken(radio_world: World, murmur_server: MurmurHandle) -> None:
    dispatch = await listener(murmur_server, "Operator-Lapangan", "Dispatch")
    damkar = await listener(murmur_server, "Damkar-1", "Damkar")
    try:
        sent = time.monotonic()
        radio_world.api.send_text(radio_world.call_taker, radio_world.call_taker, ONE_LINE)
        heard = await dispatch.wait_text("#1", timeout=20)
        assert "Sentul" in heard.text and "Kepanjenkidul" in heard.text
        assert (await damkar.wait_text("#1", timeout=10)).text.startswith("#1")
        seconds = await dispatch.wait_audio(2.0, timeout=30)
        assert seconds >= 2.0 and dispatch.first_audio_at is not None
        print(f"dispatch command -> first audio frame at listener: {dispatch.first_audio_at - sent:.3f}s")
    finally:
        await dispatch.stop()
        await damkar.stop()


async def test_field_commands_change_the_card(radio_world: World, murmur_server: MurmurHandle) -> None:
    api = radio_world.api
    damkar = await listener(murmur_server, "Damkar-1", "Damkar")
    stranger = await listener(murmur_server, "Tamu", "Damkar")
    try:
        api.send_text(radio_world.call_taker, radio_world.call_taker, ONE_LINE)
        card = await api.wait_message(DAMKAR, "#1")
        await damkar.wait_text("#1", timeout=20)
        await stranger.say("!terima 1")
        refusal = await stranger.wait_text("belum terdaftar", timeout=10)
        assert refusal is not None and assignment_state(radio_world, "damkar") == "notified"
        await damkar.say("<b>!terima</b> #1")
        await damkar.wait_text("Diterima tercatat", timeout=10)
        edited = await api.wait_edit(DAMKAR, card.message_id, "Diterima")
        assert "Damkar-1" in edited.text
        notice = await api.wait_message(CALL_TAKER, "Damkar menerima #1")
        assert "radio" in notice.text
        await damkar.say("!status 1 tiba")
        await api.wait_edit(DAMKAR, card.message_id, "Tiba di lokasi")
        await damkar.say("!status 99 tiba")
        await damkar.wait_text("tidak ditemukan", timeout=10)
        assert assignment_state(radio_world, "damkar") == "on_scene"
    finally:
        await damkar.stop()
        await stranger.stop()


async def test_server_lost_telegram_goes_on_and_queue_is_delivered(
    radio_world: World, murmur_server: MurmurHandle
) -> None:
    api = radio_world.api
    first = await listener(murmur_server, "Operator-Lapangan", "Dispatch")
    api.send_text(radio_world.call_taker, radio_world.call_taker, ONE_LINE)
    await first.wait_text("#1", timeout=20)
    await first.stop()
    lost = time.monotonic()
    await murmur_server.kill()
    down = await api.wait_message(CALL_TAKER, "Radio (Mumble) terputus", timeout=30)
    print(f"radio loss -> call takers told: {time.monotonic() - lost:.2f}s")
    assert down is not None
    api.send_text(radio_world.call_taker, radio_world.call_taker, ONE_LINE.replace("Sentul", "Bendo"))
    await api.wait_message(DAMKAR, "#2", timeout=5)  # Telegram dispatch never waits on the radio
    await murmur_server.restart()
    back = await listener(murmur_server, "Operator-Lapangan", "Dispatch")
    try:
        await api.wait_message(CALL_TAKER, "Radio tersambung kembali", timeout=30)
        heard = await back.wait_text("#2", timeout=30)
        assert "Bendo" in heard.text
    finally:
        await back.stop()
