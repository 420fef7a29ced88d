"""The segmenter with time moved by hand: silence cut, blips, splits, push-to-talk pauses, half duplex."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from radio_bridge.audio import AudioError, decode_to_pcm, encode_ogg_opus, normalise, rms_dbfs
from radio_bridge.segmenter import Segmenter

FRAME = 0.02  # pymumble delivers 10-20 ms frames


def tone(seconds: float, amplitude: float = 0.3) -> bytes:
    t = np.arange(int(seconds * 48_000)) / 48_000
    return (np.sin(2 * np.pi * 440 * t) * amplitude * 32767).astype("<i2").tobytes()


def quiet(seconds: float) -> bytes:
    return bytes(int(seconds * 48_000) * 2)


def talk(
    seg: Segmenter, pcm: bytes, start: float, speaker: str = "Damkar-1", channel: str = "Damkar"
) -> float:
    """Feed ``pcm`` in 20 ms frames arriving in real time from ``start``; return the time after."""
    step = int(FRAME * 48_000) * 2
    now = start
    out = []
    for offset in range(0, len(pcm), step):
        out += seg.feed(channel, speaker, pcm[offset : offset + step], now)
        now += FRAME
    assert out == []
    return now


def test_a_transmission_ends_after_the_silence_cut() -> None:
    seg = Segmenter(silence=0.8)
    end = talk(seg, tone(2.0), 100.0)
    assert seg.due(end + 0.7) == []
    assert seg.speaking("Damkar")
    [piece] = seg.due(end + 0.79)
    assert piece.speaker == "Damkar-1" and piece.channel == "Damkar"
    assert abs(piece.seconds - 2.0) < 0.01 and piece.started_at == 100.0
    assert not seg.speaking("Damkar") and seg.next_deadline() is None


def test_shutdown_keeps_what_was_said() -> None:
    seg = Segmenter()
    talk(seg, tone(1.0), 0.0)
    talk(seg, tone(0.1), 0.0, speaker="Damkar-2")
    assert [p.speaker for p in seg.flush()] == ["Damkar-1"]
    assert seg.next_deadline() is None


def test_a_blip_is_dropped() -> None:
    seg = Segmenter(min_seconds=0.5)
    end = talk(seg, tone(0.2), 0.0)
    assert seg.due(end + 1.0) == [] and seg.dropped_blips == 1


def test_a_pause_with_the_button_held_splits_like_a_release() -> None:
    seg = Segmenter(silence=0.8)
    now = talk(seg, tone(1.5), 0.0)
    now = talk(seg, quiet(2.0), now)  # silent frames keep arriving (push-to-talk held)
    pieces = seg.due(now)
    assert len(pieces) == 1 and abs(pieces[0].seconds - 1.5 - 0.15) < 0.03  # 0.15 s tail kept
    now = talk(seg, tone(1.0), now)
    [second] = seg.due(now + 0.8)
    assert abs(second.seconds - 1.0) < 0.03


def test_a_short_pause_stays_in_one_note() -> None:
    seg = Segmenter(silence=0.8)
    now = talk(seg, tone(1.0), 0.0)
    now = talk(seg, tone(1.0), now + 0.5)  # no frames for 0.5 s
    assert seg.due(now + 0.5) == []
    [piece] = seg.due(now + 0.8)
    assert abs(piece.seconds - 2.0) < 0.03


def test_long_transmissions_are_split() -> None:
    seg = Segmenter(max_seconds=5.0)
    step = int(FRAME * 48_000) * 2
    pcm = tone(12.0)
    pieces = []
    now = 0.0
    for offset in range(0, len(pcm), step):
        pieces += seg.feed("Damkar", "Damkar-1", pcm[offset : offset + step], now)
        now += FRAME
    pieces += seg.due(now + 1)
    assert [round(p.seconds) for p in pieces] == [5, 5, 2] and [p.part for p in pieces] == [1, 2, 3]


def test_speakers_are_kept_apart_and_a_muted_channel_forgets() -> None:
    seg = Segmenter()
    talk(seg, tone(1.0), 0.0, speaker="Damkar-1")
    talk(seg, tone(1.0), 0.0, speaker="Damkar-2")
    talk(seg, tone(1.0), 0.0, speaker="Polres-1", channel="Polres")
    seg.discard_channel("Damkar")
    assert [p.speaker for p in seg.due(10.0)] == ["Polres-1"]


def test_opus_round_trip_keeps_the_length_and_the_bitrate() -> None:
    pcm = tone(10.0, 0.2)
    ogg = encode_ogg_opus(pcm)
    assert ogg[:4] == b"OggS" and b"OpusHead" in ogg[:100]
    info = sf.info(io.BytesIO(ogg))
    assert abs(info.frames / info.samplerate - 10.0) < 0.05
    assert len(ogg) * 8 / 10 < 32_000  # voip bitrate: ~60 s stays far under 1 MB
    back = decode_to_pcm(ogg)
    assert abs(len(back) / 96_000 - 10.0) < 0.05


def test_normalise_brings_quiet_speech_up_without_clipping() -> None:
    louder = normalise(tone(1.0, 0.01))
    assert -23 < rms_dbfs(louder) < -17
    loud = normalise(tone(1.0, 0.99))
    assert np.max(np.abs(np.frombuffer(loud, dtype="<i2"))) <= 0.9 * 32767


def test_an_m4a_from_a_phone_is_decoded_with_ffmpeg(tmp_path: Path) -> None:
    assert shutil.which("ffmpeg"), "make sysdeps installs ffmpeg"
    source, m4a = tmp_path / "in.raw", tmp_path / "pesan.m4a"
    source.write_bytes(tone(4.0, 0.2))
    # A file (not a pipe) so the index lands at the end, as phones write it.
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "s16le", "-ar", "44100", "-ac", "1", "-i", str(source),
                    "-c:a", "aac", "-b:a", "64k", str(m4a)], check=True)  # fmt: skip
    pcm = decode_to_pcm(m4a.read_bytes())
    assert abs(len(pcm) / 96_000 - 4.0 * 48_000 / 44_100) < 0.1  # the raw input was read as 44.1 kHz
    with pytest.raises(AudioError):
        decode_to_pcm(b"bukan audio" * 50)
