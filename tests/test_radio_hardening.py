"""Issue 15 on the radio, end to end (python run.py, the fake Bot API, a real murmurd, real field
clients): a text flood, impostors, the embedded server's password, and the radio hostile-input table."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest

from radio_bridge.errors import RadioUnavailable
from radio_bridge.murmur import free_port
from tests.e2e import DAMKAR, POLRES, World, make_world
from tests.radio_fixtures import GENEROUS_TEXT_LIMITS, Listener, MurmurHandle
from tests.test_e2e_radio import ONE_LINE, assignment_state, listener, radio_world, refusals  # noqa: F401

pytestmark = pytest.mark.radio


@pytest.mark.parametrize(
    "server_limits",
    [
        pytest.param("default", id="murmur-default-limits"),
        # An operator's server with text limits raised: our own flood control must hold alone.
        pytest.param("generous", id="raised-limits", marks=pytest.mark.murmur_ini(GENEROUS_TEXT_LIMITS)),
    ],
)
async def test_text_flood_does_not_delay_field_commands_or_posts(
    radio_world: World,  # noqa: F811
    murmur_server: MurmurHandle,
    server_limits: str,
) -> None:
    """Issue 15 item 7: 60 private !bantu from an unregistered client must not hold up a unit's
    command or the next radio post (before the fix: both 53 s late)."""
    api = radio_world.api
    damkar = await listener(murmur_server, "Damkar-1", "Damkar")
    dispatch = await listener(murmur_server, "Operator-Lapangan", "Dispatch")
    flooder = await murmur_server.impostor("Tamu", "Dispatch")
    try:
        api.send_text(radio_world.call_taker, radio_world.call_taker, ONE_LINE)
        card = await api.wait_message(DAMKAR, "#1")
        await damkar.wait_text("#1", timeout=20)
        await dispatch.wait_text("#1", timeout=20)
        for _ in range(60):
            await flooder.tell("Dispatch112", "!bantu")
        sent = time.monotonic()
        await damkar.say("!status 1 berangkat")
        api.send_text(radio_world.call_taker, radio_world.call_taker, ONE_LINE.replace("Sentul", "Bendo"))

        async def status_applied() -> float:
            await api.wait_for(lambda: assignment_state(radio_world, "damkar") == "en_route", timeout=5)
            return time.monotonic() - sent

        async def next_post_heard() -> float:
            await dispatch.wait_text("#2", timeout=5)
            return time.monotonic() - sent

        applied, posted = await asyncio.gather(status_applied(), next_post_heard())
        await api.wait_edit(DAMKAR, card.message_id, "Berangkat", timeout=5)
        print(f"{server_limits} limits, after a 60-message flood: !status applied in {applied:.2f}s, "
              f"next post heard in {posted:.2f}s")  # fmt: skip
        assert applied < 3.0 and posted < 3.0
        await flooder.wait_text("belum terdaftar di server", timeout=5)
        assert not [h for h in drain(flooder) if "belum terdaftar" in h.text]  # told once, not 60 times
        audited = refusals(radio_world, "unregistered_radio_user")
        assert audited and len(audited) <= 6  # the rest never reached the queue
        if server_limits == "generous":  # the server let all 60 through: our flood control dropped them
            await api.wait_for(lambda: flood_events(radio_world), timeout=15)
            assert sum(int(e["total"]) for e in flood_events(radio_world)) >= 50
    finally:
        await damkar.stop()
        await dispatch.stop()
        await flooder.stop()


async def test_only_registered_mapped_users_command_the_field(
    radio_world: World,  # noqa: F811
    murmur_server: MurmurHandle,
) -> None:
    """Issue 15 item 10: a name is not an identity. Only users registered on the server whose
    registered name or certificate hash is mapped in [mumble.users] may report; impostors are
    refused (once a minute), audited, and change nothing."""
    api = radio_world.api
    damkar = await listener(murmur_server, "Damkar-1", "Damkar")  # registered, mapped by name
    polres = await listener(murmur_server, "Pos-Polres", "Polres")  # registered, mapped by certificate hash
    # Taking a registered name without its certificate: the server refuses, the real unit stays on.
    with pytest.raises(RadioUnavailable, match="Wrong certificate"):
        await murmur_server.impostor("Damkar-1", "Damkar")
    impostor = await murmur_server.impostor("Damkar-2", "Damkar")  # a mapped name nobody registered
    try:
        api.send_text(radio_world.call_taker, radio_world.call_taker, ONE_LINE)
        card = await api.wait_message(DAMKAR, "#1")
        await impostor.wait_text("#1", timeout=20)  # it may listen (it knows the server password)...
        await impostor.say("!status 1 berangkat")
        refusal = await impostor.wait_text("belum terdaftar di server", timeout=10)
        assert "Self-Register" in refusal.text
        await impostor.tell("Dispatch112", "!aktif")
        await api.wait_for(lambda: len(refusals(radio_world, "unregistered_radio_user")) == 2)  # audited
        audited = refusals(radio_world, "unregistered_radio_user")
        assert [(a["actor_name"], a["command"]) for a in audited] == [
            ("Damkar-2", "!status 1 berangkat"),
            ("Damkar-2", "!aktif"),
        ]
        await damkar.tell("Dispatch112", "!aktif")  # the same command from the registered unit works
        listing = await damkar.wait_text("#1", timeout=10)
        assert "Sentul" in listing.text
        assert assignment_state(radio_world, "damkar") == "notified"
        assert all("Sentul" not in heard.text for heard in drain(impostor))  # ...but not !aktif
        await damkar.say("!status 1 berangkat")
        await api.wait_edit(DAMKAR, card.message_id, "Berangkat")
        polres_card = await api.wait_message(POLRES, "#1")
        await polres.say("!terima 1")
        await polres.wait_text("Diterima tercatat", timeout=10)
        edited = await api.wait_edit(POLRES, polres_card.message_id, "Diterima")
        assert "Pos-Polres" in edited.text
    finally:
        await damkar.stop()
        await polres.stop()
        await impostor.stop()


def drain(listener: Listener) -> list[object]:
    found = []
    while not listener.texts.empty():
        found.append(listener.texts.get_nowait())
    return found


def flood_events(world: World) -> list[dict[str, object]]:
    rows = world.rows("SELECT data FROM events WHERE kind = 'radio_flood_dropped' ORDER BY id")
    return [json.loads(data) for (data,) in rows]


async def test_embedded_server_has_a_password_kept_private(tmp_path: Path) -> None:
    """Issue 15 items 10 and 15: `make run`'s own murmurd asks for a server password, generated into a
    0600 file under a private data folder; no password is on a command line or in the log."""
    data_dir = Path(tempfile.mkdtemp(prefix="radio-murmur-", dir="/tmp")) / "murmur"
    data_dir.parent.chmod(0o755)  # like a checkout: murmurd (mumble-server) must get through
    port = free_port()
    section = f"""[mumble]
enabled = true
embedded = true
host = "127.0.0.1"
port = {port}
dispatch_channel = "Dispatch"
data_dir = "{data_dir}"
[mumble.users]
"Damkar-1" = "damkar"
"""
    secret, ini = data_dir / "server.secret", data_dir / "server" / "murmur.ini"
    try:
        async for world in make_world(tmp_path, mumble=section):
            await world.api.wait_for(lambda: secret.exists() and ini.exists())
            password = secret.read_text().strip()
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600
            assert stat.S_IMODE((data_dir / "superuser.secret").stat().st_mode) == 0o600
            folder = data_dir.stat()
            assert stat.S_IMODE(folder.st_mode) in (0o700, 0o701)  # 0701: murmurd may pass, not list
            assert stat.S_IMODE((data_dir / "server").stat().st_mode) == 0o700
            with pytest.raises(RadioUnavailable, match="Invalid server password"):
                await Listener("127.0.0.1", port, "Tamu", "Dispatch", registered=False, password="").start()
            field = await Listener("127.0.0.1", port, "Damkar-1", "Dispatch", password=password).start()
            try:
                world.api.send_text(world.call_taker, world.call_taker, ONE_LINE)
                await field.wait_text("#1", timeout=30)  # the bot logged in with the generated password
            finally:
                await field.stop()
            assert not await asyncio.to_thread(_on_a_command_line, password)
            log = world.bot.output()
            assert str(secret) in log and password not in log
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)


def _on_a_command_line(secret: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if secret.encode() in cmdline.read_bytes():
                found.append(str(cmdline))
    return found


# (who, text, reply expected (None: audited without a reply, the stranger was told once), audited reason)
RADIO_HOSTILE_ROWS = [
    ("impostor", "!terima 1", "belum terdaftar di server", "unregistered_radio_user"),
    ("impostor", "!status 1 tiba", None, "unregistered_radio_user"),
    ("impostor", '!tolak 1 <a href="http://evil.example/x">klik</a>', None, "unregistered_radio_user"),
    ("impostor", "!aktif", None, "unregistered_radio_user"),
    ("impostor", "!bantu", None, "unregistered_radio_user"),
    ("unmapped", "!terima 1", "belum terdaftar untuk instansi", "unmapped_radio_user"),
    ("unit", "!terima 99", "tidak ditemukan", "unknown_incident"),
    ("unit", "!status 1 terbang", "Format: !status", "radio_usage"),
    ("unit", "!status 1; DROP TABLE assignments; --", "Format: !status", "radio_usage"),
    ("unit", "!hapus 1", "tidak dikenal", "radio_usage"),
    ("unit", "!terima \u202e1", "tidak valid", "radio_usage"),
    ("unit", "!tolak 1", "Alasan penolakan wajib", "radio_usage"),
    ("polres_unit", "!terima 1", "tidak ditugaskan", "not_assigned"),
]


def radio_snapshot(world: World) -> tuple[object, ...]:
    return (
        world.rows("SELECT id, state FROM incidents ORDER BY id"),
        world.rows("SELECT id, state, decline_reason FROM assignments ORDER BY id"),
    )


# The impostor's four rows without a reply follow one another as fast as the audit is read back; past
# murmurd's default per-user bucket (5, connecting costs 2) the server silently drops the test client's
# own message. The refusals are what is tested here, not murmurd's pacing of a client.
@pytest.mark.murmur_ini(GENEROUS_TEXT_LIMITS)
async def test_radio_hostile_input_table(
    radio_world: World,  # noqa: F811
    murmur_server: MurmurHandle,
) -> None:
    """Every row is refused, audited with its reason, and changes nothing; hostile text in an accepted
    decline reaches Telegram escaped."""
    api = radio_world.api
    clients = {
        "unit": await listener(murmur_server, "Damkar-1", "Damkar"),
        "unmapped": await listener(murmur_server, "Tamu", "Damkar"),
        "impostor": await murmur_server.impostor("Damkar-2", "Damkar"),
        "polres_unit": await listener(murmur_server, "Pos-Polres", "Dispatch"),
    }
    try:
        # A wasp nest goes to Damkar only, so Polres may not answer it.
        api.send_text(
            radio_world.call_taker, radio_world.call_taker, ONE_LINE.replace("kebakaran", "sarang-tawon")
        )
        card = await api.wait_message(DAMKAR, "#1")
        before = radio_snapshot(radio_world)
        for who, text, reply, reason in RADIO_HOSTILE_ROWS:
            count = len(refusals(radio_world, reason))
            await clients[who].tell("Dispatch112", text)
            if reply is not None:
                heard = await clients[who].wait_text(reply, timeout=10)
                assert "<a " not in heard.text
            await api.wait_for(lambda r=reason, c=count: len(refusals(radio_world, r)) == c + 1, timeout=10)
            assert radio_snapshot(radio_world) == before, (who, text)
        # A unit's own decline with markup typed into its reason (a Mumble client sends it escaped):
        # accepted, and shown literally on the card, never as a link.
        typed = '<b>sibuk</b> <a href="http://evil.example/x">x</a>'
        await clients["unit"].tell("Dispatch112", "!tolak 1 " + html.escape(typed))
        await clients["unit"].wait_text("Ditolak tercatat", timeout=10)
        edited = await api.wait_edit(DAMKAR, card.message_id, "evil.example")
        assert typed in (edited.text or "")
        assert not any(e.get("type") == "text_link" for e in (edited.entities or []))
    finally:
        for client in clients.values():
            await client.stop()
