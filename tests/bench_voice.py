"""`make bench` section 5: voice over the radio bridge, against a real murmurd and pymumble clients.

    python -m tests.bench --only voice

Field to centre: a field user in the Damkar channel speaks a 2-3 s sentence (espeak-ng); the time
from the end of the speech at the sender (start of the transmission + its length: pymumble sends
at real time) to the voice note accepted by the Bot API. It contains the 0.8 s silence cut.
Centre to field: the time from the call taker's voice note entering the Bot API's update queue to
the first frame at a listener in the Damkar channel (download, decode, intro synthesis, playback).
CPU: the bot's process CPU time (utime + stime from /proc) while K speakers talk at once.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from radio_bridge.audio import encode_ogg_opus
from radio_bridge.murmur import EmbeddedMurmur, free_port
from radio_bridge.speech import synthesise
from tests.bench_common import percentile, table
from tests.e2e import DAMKAR, World, make_world
from tests.radio_fixtures import CHANNELS, SUPERUSER_PASSWORD, _workdir
from tests.test_e2e_voice import ONE_LINE, Talker, events, notes_in, seconds_of, trimmed

SENTENCES = [
    "Damkar satu menuju lokasi",
    "Api sudah padam, kami kembali ke pos",
    "Mohon kirim satu unit air tambahan",
    "Korban sudah dievakuasi ke rumah sakit",
]
SPEAKERS = [f"Damkar-{i}" for i in range(1, 5)]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class VoiceFigures:
    to_group: list[float]
    to_listener: list[float]
    cpu: list[tuple[int, float, float]]  # speakers, CPU seconds per second of speech, wall seconds
    silence_cut: float = 0.8


def mumble_section(server: EmbeddedMurmur) -> str:
    users = "\n".join(f'"{name}" = "damkar"' for name in SPEAKERS)
    return f"""[mumble]
enabled = true
embedded = false
host = "127.0.0.1"
port = {server.port}
dispatch_channel = "Dispatch"
[mumble.users]
{users}
[escalation]
enabled = false
[digest]
enabled = false
[rollcall]
enabled = false
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def _field_to_centre(world: World, talker: Talker, pcms: list[bytes], rounds: int) -> list[float]:
    out = []
    for i in range(rounds):
        pcm = pcms[i % len(pcms)]
        before = len(notes_in(world, DAMKAR))
        talker.transmit(pcm)
        end = time.monotonic() + seconds_of(pcm)
        await world.api.wait_for(lambda b=before: len(notes_in(world, DAMKAR)) > b, timeout=30)
        out.append(notes_in(world, DAMKAR)[-1].accepted_at - end)
    return out


async def _centre_to_field(world: World, listener: Talker, note: bytes, rounds: int) -> list[float]:
    api = world.api
    confirmation = await api.wait_message(world.call_taker.id, "#1")
    out = []
    for i in range(rounds):
        listener.first_audio_at = None
        sent = time.monotonic()
        api.send_voice(world.call_taker, world.call_taker, note, duration=seconds_of(note),
                       reply_to_message_id=confirmation.message_id)  # fmt: skip
        await api.wait_for(lambda: listener.first_audio_at is not None, timeout=30, recheck=0.01)
        assert listener.first_audio_at is not None
        out.append(listener.first_audio_at - sent)
        # Played in all three channels before the next note.
        await api.wait_for(
            lambda n=i: len(events(world, "voice_played")) >= 3 * (n + 1), timeout=60, recheck=0.2
        )
    return out


async def _cpu(world: World, server: EmbeddedMurmur, pcm: bytes, speakers: int) -> tuple[int, float, float]:
    talkers = [await Talker("127.0.0.1", server.port, name, "Damkar").start() for name in SPEAKERS[:speakers]]
    try:
        assert world.bot.proc is not None
        pid = world.bot.proc.pid
        before_notes = len(notes_in(world, DAMKAR))
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        for talker in talkers:
            talker.transmit(pcm)
        await world.api.wait_for(lambda: len(notes_in(world, DAMKAR)) >= before_notes + speakers, timeout=60)
        cpu, wall = cpu_seconds(pid) - cpu0, time.monotonic() - wall0
        return speakers, cpu / seconds_of(pcm), wall
    finally:
        for talker in talkers:
            await talker.stop()


async def run(workdir: Path, rounds: int = 20) -> VoiceFigures:
    folder = _workdir()
    server = EmbeddedMurmur(folder, free_port(), SUPERUSER_PASSWORD, host="127.0.0.1")
    await server.start()
    try:
        await server.ensure_channels(CHANNELS)
        env = {"DISPATCH_MUMBLE__SUPERUSER_PASSWORD": SUPERUSER_PASSWORD}
        async for world in make_world(workdir, mumble=mumble_section(server), env=env):
            pcms = [trimmed(await synthesise(s)) for s in SENTENCES]
            talker = await Talker("127.0.0.1", server.port, "Damkar-1", "Damkar").start()
            listener = await Talker("127.0.0.1", server.port, "Pendengar", "Damkar").start()
            try:
                await world.api.wait_for(lambda t=talker: "Dispatch112-damkar" in t.users_in("Damkar"), timeout=30,
                                         recheck=0.1)  # fmt: skip
                world.api.send_text(world.call_taker, world.call_taker, ONE_LINE)
                await world.api.wait_message(DAMKAR, "#1", timeout=20)
                to_group = await _field_to_centre(world, talker, pcms, rounds)
                note = encode_ogg_opus(pcms[1])
                to_listener = await _centre_to_field(world, listener, note, max(5, rounds // 2))
            finally:
                await talker.stop()
                await listener.stop()
            long_pcm = b"".join(pcms * 3)
            cpu = [await _cpu(world, server, long_pcm, k) for k in (1, 2, 4)]
        return VoiceFigures(to_group, to_listener, cpu)
    finally:
        await server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def render(figures: VoiceFigures) -> str:
    def s(v: float) -> str:
        return f"{v:.2f} s"

    rows = [
        ["end of speech -> voice note in the group", str(len(figures.to_group)),
         s(percentile(figures.to_group, 50)), s(percentile(figures.to_group, 95)),
         s(percentile(figures.to_group, 95) - figures.silence_cut), "p95 - cut <= 1.5 s"],
        ["voice note received -> first audio at a listener", str(len(figures.to_listener)),
         s(percentile(figures.to_listener, 50)), s(percentile(figures.to_listener, 95)), "", "p95 < 1 s"],
    ]  # fmt: skip
    cpu_rows = [
        [str(k), f"{100 * per / k:.1f} %", f"{100 * per:.1f} %", f"{wall:.1f} s"]
        for k, per, wall in figures.cpu
    ]
    return (
        table(["path", "n", "p50", "p95", "p95 beyond the 0.8 s cut", "goal"], rows)
        + "\n\nCPU of the bot process (one core = 100 %) while K field users talk at once:\n"
        + table(["speakers", "CPU per speaker", "CPU total", "wall (speech + note)"], cpu_rows)
    )
