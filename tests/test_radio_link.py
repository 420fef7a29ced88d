"""RadioLink against a real murmurd 1.3.4 and real pymumble field clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

import pytest

from radio_bridge.link import RadioLink, RadioMessage, RadioUnavailable
from radio_bridge.speech import synthesise
from tests.radio_fixtures import CHANNELS, Listener, MurmurHandle, murmur_server, murmur_template  # noqa: F401

pytestmark = pytest.mark.radio
BOT = "Dispatch112"


class Probe:
    """A RadioLink plus what it reported, as queues a test can wait on."""

    def __init__(self, server: MurmurHandle, channels: Sequence[str] = CHANNELS, **kwargs: object) -> None:
        self.messages: asyncio.Queue[RadioMessage] = asyncio.Queue()
        self.states: asyncio.Queue[bool] = asyncio.Queue()

        async def on_message(msg: RadioMessage) -> None:
            await self.messages.put(msg)

        async def on_state(up: bool) -> None:
            await self.states.put(up)

        options: dict[str, object] = {
            "superuser_password": server.superuser_password,
            "password": server.server_password,
            **kwargs,
        }
        self.link = RadioLink(
            host=server.host,
            port=server.port,
            username=BOT,
            channels=list(channels),
            on_message=on_message,
            on_state=on_state,
            **options,  # type: ignore[arg-type]
        )

    async def state(self, within: float) -> bool:
        return await asyncio.wait_for(self.states.get(), within)

    async def message(self, within: float = 3.0) -> RadioMessage:
        return await asyncio.wait_for(self.messages.get(), within)


@pytest.fixture
async def probe(murmur_server: MurmurHandle) -> AsyncIterator[Probe]:  # noqa: F811
    p = Probe(murmur_server)
    started = time.monotonic()
    await p.link.start()
    await p.link.wait_connected(10)
    print(f"RadioLink connected all {len(CHANNELS)} seats in {(time.monotonic() - started) * 1000:.0f} ms")
    assert await p.state(1) is True
    yield p
    await p.link.stop()


@pytest.fixture
async def listeners(murmur_server: MurmurHandle) -> AsyncIterator[dict[str, Listener]]:  # noqa: F811
    found = {
        "Dispatch": await Listener(murmur_server.host, murmur_server.port, "Operator-1", "Dispatch").start(),
        "Damkar": await Listener(murmur_server.host, murmur_server.port, "Damkar-1", "Damkar").start(),
    }
    yield found
    for listener in found.values():
        await listener.stop()


async def test_link_connects_and_sits_in_every_channel(probe: Probe, listeners: dict[str, Listener]) -> None:
    assert probe.link.connected
    seen = listeners["Damkar"]
    assert BOT in seen.users_in("Dispatch")
    assert f"{BOT}-damkar" in seen.users_in("Damkar")
    assert f"{BOT}-polres" in seen.users_in("Polres")


async def test_post_reaches_the_channel(probe: Probe, listeners: dict[str, Listener]) -> None:
    started = time.monotonic()
    await probe.link.post("Dispatch", "#42 <b>Kebakaran</b> Jl. Kenari 17")
    heard = await listeners["Dispatch"].wait_text("#42", 3)
    print(f"post -> listener: {(time.monotonic() - started) * 1000:.0f} ms")
    assert heard.sender == BOT and not heard.private
    await probe.link.post("Damkar", "#43 untuk Damkar")
    heard = await listeners["Damkar"].wait_text("#43", 3)
    assert heard.sender == f"{BOT}-damkar"
    # Each listener got only its own channel's post.
    assert listeners["Dispatch"].texts.empty()


async def test_a_burst_of_posts_all_arrive_under_murmurs_default_limits(
    probe: Probe, listeners: dict[str, Listener]
) -> None:
    """murmur drops text over its per-user limit silently: the link must pace, not lose."""
    started = time.monotonic()
    for n in range(8):
        await probe.link.post("Dispatch", f"#10{n} ledakan")
    heard = [(await listeners["Dispatch"].wait_text("ledakan", 15)).text for _ in range(8)]
    print(
        f"8 posts right after connecting: last heard {time.monotonic() - started:.1f}s after the first was sent"
    )
    assert heard == [f"#10{n} ledakan" for n in range(8)]


async def test_channel_command_reaches_on_message_and_reply_goes_back(
    probe: Probe, listeners: dict[str, Listener]
) -> None:
    await listeners["Damkar"].say("<b>!terima</b> 42")
    msg = await probe.message()
    damkar = listeners["Damkar"]
    assert damkar.user_id is not None and damkar.cert_hash
    assert msg == RadioMessage(
        "Damkar-1", "Damkar", "!terima 42", user_id=damkar.user_id, cert_hash=damkar.cert_hash
    )
    await probe.link.reply(msg, "Damkar menerima #42 <ok>")
    heard = await listeners["Damkar"].wait_text("menerima #42", 3)
    assert "&lt;ok&gt;" in heard.text  # plain reply text is escaped, not rendered as a tag

    await listeners["Dispatch"].say("!aktif")
    msg = await probe.message()
    assert (msg.sender, msg.channel, msg.text) == ("Operator-1", "Dispatch", "!aktif")
    assert probe.messages.empty()  # no duplicate from another seat


async def test_private_message_to_the_bot(probe: Probe, listeners: dict[str, Listener]) -> None:
    await listeners["Damkar"].tell(BOT, "!status #42 tiba")
    msg = await probe.message()
    assert (msg.sender, msg.channel, msg.text, msg.registered) == ("Damkar-1", None, "!status #42 tiba", True)
    await probe.link.reply(msg, "Status #42 dicatat")
    heard = await listeners["Damkar"].wait_text("Status #42", 3)
    assert heard.private and heard.sender == BOT


async def test_speak_delivers_audio(probe: Probe, listeners: dict[str, Listener]) -> None:
    pcm = await synthesise("Perhatian. Kejadian nomor empat puluh dua.")
    started = time.monotonic()
    duration = await probe.link.speak("Dispatch", pcm)
    assert duration >= 2
    listener = listeners["Dispatch"]
    received = await listener.wait_audio(2.0, timeout=duration + 5)
    assert listener.first_audio_at is not None
    print(f"speak() -> first audio frame: {(listener.first_audio_at - started) * 1000:.0f} ms")
    assert received >= 2
    await probe.link.wait_spoken(timeout=duration + 5)
    assert listeners["Damkar"].audio_bytes == 0  # voice stays in its channel


async def test_outage_is_noticed_and_recovered(murmur_server: MurmurHandle, probe: Probe) -> None:  # noqa: F811
    killed = time.monotonic()
    await murmur_server.kill()
    assert await probe.state(2.0) is False
    print(f"server loss noticed in {(time.monotonic() - killed) * 1000:.0f} ms")
    assert not probe.link.connected
    with pytest.raises(RadioUnavailable):
        await probe.link.post("Dispatch", "#42 saat terputus")

    await murmur_server.restart()
    back = time.monotonic()
    assert await probe.state(10.0) is True
    print(f"reconnected {(time.monotonic() - back) * 1000:.0f} ms after the server was back")
    assert probe.states.empty()  # one False, one True: no flapping while it retried
    listener = await Listener(murmur_server.host, murmur_server.port, "Damkar-2", "Damkar").start()
    try:
        await probe.link.post("Damkar", "#42 radio kembali")
        await listener.wait_text("radio kembali", 3)
    finally:
        await listener.stop()


async def test_hung_server_is_noticed(murmur_server: MurmurHandle, probe: Probe) -> None:  # noqa: F811
    frozen = time.monotonic()
    murmur_server.freeze()  # sockets stay open: only silence tells
    try:
        assert await probe.state(2.0) is False
        print(f"hung server noticed in {(time.monotonic() - frozen) * 1000:.0f} ms")
    finally:
        murmur_server.thaw()
    assert await probe.state(10.0) is True


async def test_missing_channel_is_created_with_superuser(murmur_server: MurmurHandle) -> None:  # noqa: F811
    p = Probe(murmur_server, channels=["Dispatch", "Ambulans"])
    await p.link.start()
    try:
        await p.link.wait_connected(10)
        listener = await Listener(murmur_server.host, murmur_server.port, "PSC-1", "Ambulans").start()
        assert f"{BOT}-ambulans" in listener.users_in("Ambulans")
        await listener.stop()
    finally:
        await p.link.stop()


async def test_missing_channel_without_rights_names_the_channel(
    murmur_server: MurmurHandle,  # noqa: F811
) -> None:
    p = Probe(murmur_server, channels=["Dispatch", "Pln"], superuser_password=None)
    await p.link.start()
    try:
        assert await p.state(5.0) is False
        with pytest.raises(RadioUnavailable, match="Pln"):
            await p.link.wait_connected(0.1)
        with pytest.raises(RadioUnavailable, match="Pln"):
            await p.link.post("Pln", "#1")
        await p.link.post("Dispatch", "#1 kanal lain tetap jalan")
    finally:
        await p.link.stop()
