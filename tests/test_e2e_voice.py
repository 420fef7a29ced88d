"""Two-way voice end to end: python run.py, the fake Bot API, a real murmurd, real pymumble field clients."""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from radio_bridge.audio import encode_ogg_opus
from radio_bridge.client import C
from radio_bridge.speech import synthesise
from tests.botapi.model import SentMessage
from tests.e2e import DAMKAR, World, make_world
from tests.radio_fixtures import SUPERUSER_PASSWORD, Listener, MurmurHandle
from tests.test_e2e_radio import ONE_LINE, radio_section

pytestmark = pytest.mark.radio
SENTENCE = "Damkar satu melapor, api di Jalan Kenari sudah padam, kami kembali ke pos"
SECOND = "Mohon kirim satu unit air tambahan ke lokasi"


def trimmed(pcm: bytes, floor: int = 300) -> bytes:
    """espeak-ng's leading and trailing silence removed: the speech itself."""
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > floor)
    return samples[loud[0] : loud[-1] + 1].tobytes()


def seconds_of(pcm: bytes) -> float:
    return len(pcm) / 96_000


def ogg_seconds(data: bytes) -> float:
    info = sf.info(io.BytesIO(data))
    assert info.format == "OGG" and info.subtype == "OPUS", (info.format, info.subtype)
    return info.frames / info.samplerate


def m4a(pcm: bytes, world: World) -> bytes:
    raw, out = world.bot.workdir / "pesan.raw", world.bot.workdir / "pesan.m4a"
    raw.write_bytes(pcm)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "s16le", "-ar", "48000", "-ac", "1", "-i",
                    str(raw), "-c:a", "aac", "-b:a", "64k", str(out)], check=True)  # fmt: skip
    return out.read_bytes()


def notes_in(world: World, chat_id: int) -> list[SentMessage]:
    return [m for m in world.api.messages_in(chat_id) if m.voice is not None]


def all_notes(world: World) -> list[SentMessage]:
    return [m for m in world.api.messages if m.voice is not None]


def events(world: World, kind: str) -> list[dict[str, object]]:
    rows = world.rows("SELECT data FROM events WHERE kind = ? ORDER BY id", kind)
    return [json.loads(r[0]) for r in rows]


class Talker(Listener):
    """A field user who also talks: PCM goes out through pymumble as a Mumble client sends it.
    It also notes when each speaker's frames arrived (first and last), to tell who spoke when."""

    async def start(self) -> Talker:
        await super().start()
        self.frames: dict[str, list[float]] = {}

        def on_sound(user: object, _chunk: object) -> None:  # pymumble thread; a list append is atomic
            self.frames.setdefault(str(user["name"]), []).append(time.monotonic())  # type: ignore[index]

        self._client.callbacks.add_callback(C.PYMUMBLE_CLBK_SOUNDRECEIVED, on_sound)
        return self

    def transmit(self, pcm: bytes) -> None:
        self._client.sound_output.add_sound(pcm)


async def field_user(server: MurmurHandle, name: str, channel: str) -> Talker:
    talker = Talker(server.host, server.port, name, channel)
    await talker.start()
    return talker


async def seat_in(world: World, user: Listener, seat: str) -> None:
    await world.api.wait_for(lambda: seat in user.users_in(user.channel), timeout=30, recheck=0.1)


@pytest.fixture
async def voice_world(tmp_path: Path, murmur_server: MurmurHandle) -> AsyncIterator[World]:
    env = {
        "DISPATCH_MUMBLE__SUPERUSER_PASSWORD": SUPERUSER_PASSWORD,
        "DISPATCH_MUMBLE__PASSWORD": murmur_server.server_password,
    }
    async for world in make_world(tmp_path, mumble=radio_section(murmur_server), env=env):
        yield world


async def test_field_transmissions_become_voice_notes(
    voice_world: World, murmur_server: MurmurHandle
) -> None:
    api = voice_world.api
    speech = trimmed(await synthesise(SENTENCE))
    second = trimmed(await synthesise(SECOND))
    dispatch = await field_user(murmur_server, "Operator-Lapangan", "Dispatch")
    damkar = await field_user(murmur_server, "Damkar-1", "Damkar")
    stranger = await field_user(murmur_server, "Tamu", "Damkar")
    try:
        await seat_in(voice_world, damkar, "Dispatch112-damkar")
        # An announcement is spoken on the Dispatch channel first: it must produce no voice note.
        api.send_text(voice_world.call_taker, voice_world.call_taker, ONE_LINE)
        await api.wait_message(DAMKAR, "#1")
        await dispatch.wait_audio(2.0, timeout=30)

        damkar.transmit(speech)
        ended = time.monotonic() + seconds_of(speech)
        note = await api.wait_for(lambda: next(iter(notes_in(voice_world, DAMKAR)), None), timeout=30)
        print(f"end of speech -> voice note in the group: {time.monotonic() - ended:.2f}s")
        assert note.voice is not None and note.voice[:4] == b"OggS"
        assert abs(ogg_seconds(note.voice) - seconds_of(speech)) < 0.3
        assert note.caption is not None and note.caption.startswith("🎙 Damkar-1 · kanal Damkar · ")
        assert note.caption.endswith("WIB · #1")  # Damkar has exactly one open assignment

        # A 2 s pause with the button held (silent frames) splits the transmission in two.
        damkar.transmit(speech + bytes(2 * 96_000) + second)
        await api.wait_for(lambda: len(notes_in(voice_world, DAMKAR)) >= 3, timeout=40)
        first_half, second_half = notes_in(voice_world, DAMKAR)[1:3]
        assert first_half.voice and second_half.voice
        assert abs(ogg_seconds(first_half.voice) - seconds_of(speech)) < 0.3
        assert abs(ogg_seconds(second_half.voice) - seconds_of(second)) < 0.3

        # A 0.2 s blip sends nothing; an unmapped speaker is audited, not forwarded. The speech after
        # them is the only new note.
        blip = speech[: int(0.2 * 96_000) // 2 * 2]
        damkar.transmit(blip + bytes(int(1.5 * 96_000)) + second)
        stranger.transmit(second)
        await api.wait_for(lambda: len(notes_in(voice_world, DAMKAR)) >= 4, timeout=40)
        await api.wait_for(lambda: events(voice_world, "voice_unmapped"), timeout=20, recheck=0.2)
        last = notes_in(voice_world, DAMKAR)[3]
        assert last.voice and abs(ogg_seconds(last.voice) - seconds_of(second)) < 0.3
        assert events(voice_world, "voice_unmapped")[0]["kanal"] == "Damkar"
        assert [m.chat_id for m in all_notes(voice_world)] == [DAMKAR] * 4  # nothing from the announcement
        rows = voice_world.rows("SELECT direction, speaker, channel, seconds FROM voice_log ORDER BY id")
        assert [r[:3] for r in rows] == [("in", "Damkar-1", "Damkar")] * 4
    finally:
        for user in (dispatch, damkar, stranger):
            await user.stop()


async def test_a_call_takers_voice_note_is_played_in_the_agency_channel(
    voice_world: World, murmur_server: MurmurHandle
) -> None:
    api = voice_world.api
    damkar = await field_user(murmur_server, "Damkar-1", "Damkar")
    try:
        await seat_in(voice_world, damkar, "Dispatch112-damkar")
        api.send_text(voice_world.call_taker, voice_world.call_taker, ONE_LINE)
        await api.wait_message(DAMKAR, "#1")
        confirmation = await api.wait_message(voice_world.call_taker.id, "#1")
        await damkar.wait_text("#1", timeout=20)
        note_pcm = trimmed(await synthesise(SENTENCE))
        ogg = encode_ogg_opus(note_pcm)
        note_seconds = ogg_seconds(ogg)
        intro = await synthesise("Pesan suara dari Ani, kejadian nomor satu")
        expected = seconds_of(intro) + note_seconds
        received = time.monotonic()
        api.send_voice(voice_world.call_taker, voice_world.call_taker, ogg, duration=note_seconds,
                       reply_to_message_id=confirmation.message_id)  # fmt: skip
        await api.wait_message(voice_world.call_taker.id, "diputar di kanal")
        await damkar.wait_audio(expected - 0.5, timeout=40)
        assert damkar.first_audio_at is not None
        print(f"voice note received -> first audio at a listener: {damkar.first_audio_at - received:.2f}s")
        await api.wait_for(lambda: len(events(voice_world, "voice_played")) >= 3, timeout=30, recheck=0.2)
        heard = damkar.audio_bytes / 96_000
        assert abs(heard - expected) < 0.5, (heard, expected)
        assert api.calls_of("getFile")
        # No loop: the played note comes back as no voice note. A field transmission after it is the only one.
        damkar.transmit(trimmed(await synthesise(SECOND)))
        await api.wait_for(lambda: notes_in(voice_world, DAMKAR), timeout=30)
        assert len(all_notes(voice_world)) == 1
        played = voice_world.rows("SELECT speaker, channel FROM voice_log WHERE direction = 'out'")
        assert played == [("Ani", "Damkar, Polres, Dispatch")]

        # The voice log: /lihat lists both, /rekaman sends a supervisor both recordings as voice notes.
        sari = voice_world.supervisor
        api.send_text(sari, sari, "/lihat 1")
        timeline = await api.wait_message(sari.id, "pesan suara diputar")
        assert "suara radio di kanal Damkar" in timeline.current_text
        api.send_text(sari, sari, "/rekaman 1")
        await api.wait_for(lambda: len(notes_in(voice_world, sari.id)) == 2, timeout=20)
        back = notes_in(voice_world, sari.id)
        assert [m.voice for m in back] == [ogg, notes_in(voice_world, DAMKAR)[0].voice]
        assert back[0].caption and back[0].caption.startswith("🔊 #1 · Ani · kanal Damkar, Polres, Dispatch")
        api.send_text(voice_world.damkar_member, voice_world.damkar, "/rekaman 1")
        await api.wait_message(voice_world.damkar.id, "tidak terdaftar")
    finally:
        await damkar.stop()


async def test_a_transmission_survives_kill_9_before_its_send(
    voice_world: World, murmur_server: MurmurHandle
) -> None:
    api = voice_world.api
    damkar = await field_user(murmur_server, "Damkar-1", "Damkar")
    try:
        await seat_in(voice_world, damkar, "Dispatch112-damkar")
        api.delay_next("sendVoice", 60)  # held, never delivered: the bot dies while it waits
        damkar.transmit(trimmed(await synthesise(SENTENCE)))
        # Committed (file, voice log row, outbox row) and not yet sent: kill -9 now.
        await api.wait_for(lambda: events(voice_world, "voice_recorded"), timeout=30, recheck=0.05)
        await voice_world.bot.kill()
        assert notes_in(voice_world, DAMKAR) == []
        await voice_world.bot.start()
        note = await api.wait_for(lambda: next(iter(notes_in(voice_world, DAMKAR)), None), timeout=40)
        assert note.voice and note.caption and note.caption.startswith("🎙 Damkar-1")
    finally:
        await damkar.stop()


async def test_agency_members_answer_their_card_by_voice_and_bad_notes_are_refused(
    voice_world: World, murmur_server: MurmurHandle
) -> None:
    api = voice_world.api
    damkar = await field_user(murmur_server, "Damkar-1", "Damkar")
    polres = await field_user(murmur_server, "Polres-1", "Polres")
    try:
        await seat_in(voice_world, damkar, "Dispatch112-damkar")
        await seat_in(voice_world, polres, "Dispatch112-polres")
        api.send_text(voice_world.call_taker, voice_world.call_taker, ONE_LINE)
        card = await api.wait_message(DAMKAR, "#1")
        bpbd_card = await api.wait_message(voice_world.bpbd.id, "#1")
        await damkar.wait_text("#1", timeout=20)
        pcm = trimmed(await synthesise(SECOND))
        mp3 = io.BytesIO()
        sf.write(mp3, np.frombuffer(pcm, dtype="<i2"), 48_000, format="MP3")
        # A Damkar member answers the Damkar card with an MP3: it plays on Damkar only.
        api.send_voice(voice_world.damkar_member, voice_world.damkar, mp3.getvalue(), duration=seconds_of(pcm),
                       reply_to_message_id=card.message_id, as_audio="laporan.mp3")  # fmt: skip
        await api.wait_message(DAMKAR, "diputar di kanal Damkar")
        await damkar.wait_audio(seconds_of(pcm), timeout=40)
        await api.wait_for(lambda: events(voice_world, "voice_played"), timeout=30, recheck=0.2)
        assert [e["kanal"] for e in events(voice_world, "voice_played")] == ["Damkar"]
        assert polres.audio_bytes == 0
        # BPBD has no radio channel: told so. A note over getFile's 20 MB: refused before any download.
        api.send_voice(voice_world.damkar_member, voice_world.bpbd, mp3.getvalue(), duration=2,
                       reply_to_message_id=bpbd_card.message_id)  # fmt: skip
        await api.wait_message(voice_world.bpbd.id, "tidak punya kanal radio")
        confirmation = await api.wait_message(voice_world.call_taker.id, "#1")
        downloads = len(api.calls_of("getFile"))
        api.send_voice(voice_world.call_taker, voice_world.call_taker, bytes(21 * 1024 * 1024), duration=600,
                       reply_to_message_id=confirmation.message_id)  # fmt: skip
        await api.wait_message(voice_world.call_taker.id, "terlalu besar")
        # Not Opus, not MP3: the call taker is told it cannot be played.
        api.send_voice(voice_world.call_taker, voice_world.call_taker, b"bukan audio" * 100, duration=3,
                       reply_to_message_id=confirmation.message_id)  # fmt: skip
        await api.wait_message(voice_world.call_taker.id, "tidak dapat diputar", timeout=20)
        assert len(api.calls_of("getFile")) == downloads + 1  # the big one was never fetched
        # An M4A a call taker forwards from a phone (decoded with ffmpeg) plays on all three channels.
        heard_before = damkar.audio_bytes
        api.send_voice(voice_world.call_taker, voice_world.call_taker, m4a(pcm, voice_world),
                       duration=seconds_of(pcm), reply_to_message_id=confirmation.message_id,
                       as_audio="pesan.m4a")  # fmt: skip
        await api.wait_for(lambda: len(events(voice_world, "voice_played")) >= 4, timeout=40, recheck=0.2)
        assert damkar.audio_bytes - heard_before > len(pcm) * 0.9
    finally:
        await damkar.stop()
        await polres.stop()


async def test_playback_waits_until_the_channel_is_quiet(
    voice_world: World, murmur_server: MurmurHandle
) -> None:
    api = voice_world.api
    damkar = await field_user(murmur_server, "Damkar-1", "Damkar")
    ear = await field_user(murmur_server, "Pendengar", "Damkar")
    try:
        await seat_in(voice_world, damkar, "Dispatch112-damkar")
        api.send_text(voice_world.call_taker, voice_world.call_taker, ONE_LINE)
        confirmation = await api.wait_message(voice_world.call_taker.id, "#1")
        await damkar.wait_text("#1", timeout=20)
        speech = trimmed(await synthesise(SENTENCE))
        damkar.transmit(speech + speech)  # ~8 s on the air
        await api.wait_for(lambda: ear.frames.get("Damkar-1"), timeout=10, recheck=0.02)
        ogg = encode_ogg_opus(trimmed(await synthesise(SECOND)))
        api.send_voice(voice_world.call_taker, voice_world.call_taker, ogg, duration=ogg_seconds(ogg),
                       reply_to_message_id=confirmation.message_id)  # fmt: skip
        await api.wait_for(lambda: ear.frames.get("Dispatch112-damkar"), timeout=40, recheck=0.02)
        talk_ended, note_began = ear.frames["Damkar-1"][-1], ear.frames["Dispatch112-damkar"][0]
        print(f"the note began {note_began - talk_ended:.2f}s after the field user stopped")
        assert note_began > talk_ended + 0.5  # the bot waited for the end of the transmission (0.8 s cut)
        await api.wait_for(lambda: notes_in(voice_world, DAMKAR), timeout=30)
        await api.wait_for(lambda: len(events(voice_world, "voice_played")) >= 3, timeout=40, recheck=0.2)
        assert len(all_notes(voice_world)) == 1  # the field user's transmission only
    finally:
        await damkar.stop()
        await ear.stop()
