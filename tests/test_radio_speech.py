"""Speech synthesis through the real espeak-ng and sox."""

from __future__ import annotations

import array

import pytest

from radio_bridge.errors import SpeechError
from radio_bridge.speech import synthesise
from radio_bridge.wording import announcement


async def test_synthesise_gives_48k_mono_s16le() -> None:
    text = announcement(42, "Kebakaran", "Sentul", "Kepanjenkidul", "Jl. Kenari 17", ["Damkar", "Polres"], 1)
    pcm = await synthesise(text)
    assert len(pcm) % 2 == 0
    seconds = len(pcm) / 2 / 48_000
    assert 4 < seconds < 30  # a spoken sentence, at 48 kHz (at 22.05 kHz it would look half as long)
    samples = array.array("h", pcm)
    assert max(abs(s) for s in samples) > 1000  # not silence


async def test_text_starting_with_a_dash_is_spoken_not_parsed_as_an_option() -> None:
    assert await synthesise("-v nomor satu")


async def test_empty_text_is_refused() -> None:
    with pytest.raises(SpeechError):
        await synthesise("   ")


async def test_unknown_voice_is_a_speech_error() -> None:
    with pytest.raises(SpeechError):
        await synthesise("halo", voice="tidak-ada-suara")
