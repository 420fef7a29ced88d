"""Centre voice to the field: queued voice notes played on Mumble channels.

Per channel, one note at a time: wait until nobody transmits there and no announcement is
queued or playing, then say "Pesan suara dari <nama>, kejadian nomor ..." (espeak-ng) and the
note, level-normalised, fed to pymumble half a second at a time so a priority-1 announcement
waiting for the channel stops the note (it resumes after). While a note plays, the receiver is
muted on that channel (half duplex), so it is never recorded back. A note whose playback is cut
by a crash stays pending and plays again after the restart.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable

from bot.app import DispatchApp
from bot.services.voice import PLAY_CHANNEL, PLAY_KIND, playback_failed, voice_files
from bot.worker import WakeableLoop
from radio_bridge.audio import AudioError, decode_to_pcm, normalise
from radio_bridge.errors import RadioUnavailable, SpeechError
from radio_bridge.link import RadioLink
from radio_bridge.speech import synthesise
from radio_bridge.voice_in import VoiceReceiver
from radio_bridge.wording import spoken_number
from storage.records import OutboxRecord

log = logging.getLogger(__name__)
FEED_SECONDS = 0.5  # pymumble's buffer holds at most this much ahead of real time
BYTES_PER_SECOND = 96_000
AFTER_PLAY_MUTE = 0.3  # the channel's own echo of the end of the note, if any client loops it back
RETRY_SECONDS = 2.0


class VoicePlayer:
    def __init__(self, app: DispatchApp, link: RadioLink, receiver: VoiceReceiver,
                 synth: Callable[[str], Awaitable[bytes]] = synthesise) -> None:  # fmt: skip
        self.app, self.link, self.receiver, self.synth = app, link, receiver, synth
        self._loop = WakeableLoop("radio voice notes")
        self._playing: dict[str, asyncio.Task[None]] = {}
        self._muted_until: dict[str, float] = {}
        self.first_audio_at: list[float] = []  # monotonic time each note's first frame went out (bench)

    def wake(self) -> None:
        self._loop.wake()

    def is_muted(self, channel: str) -> bool:
        return channel in self._playing or time.monotonic() < self._muted_until.get(channel, 0.0)

    async def run(self) -> None:
        await self._loop.run(self._pass)

    async def _pass(self) -> float:
        now = self.app.clock()
        async with self.app.store.reading(now) as tx:
            rows = await tx.outbox.pending(PLAY_CHANNEL)
        busy = down = False
        for row in rows:
            if row.kind != PLAY_KIND or row.target in self._playing or row.due_at > now:
                continue
            stale_after = self.app.settings.mumble.stale_after
            if stale_after and row.created_at < now - stale_after:
                # Like an announcement, a voice note kept back by an outage this long is news no more.
                chat = row.payload.get("chat_id")
                await playback_failed(self.app, row.id, row.incident_id, row.kind, int(chat) if chat else None,
                                      row.target, int(row.payload.get("number", 0)),
                                      f"tertunda lebih dari {stale_after // 60} menit (radio terputus)",
                                      "Kirim ulang bila masih perlu.")  # fmt: skip
                continue
            if not self.link.channel_up(row.target):
                down = True  # one seat down must not hold the other channels' notes
                continue
            if self.receiver.speaking(row.target) or await self._announcement_waits(row.target):
                busy = True  # someone is talking or an announcement goes first: look again shortly
                continue
            task = asyncio.create_task(self._play(row), name=f"voice-note-{row.id}")
            self._playing[row.target] = task
            task.add_done_callback(functools.partial(self._done, row.target))
        return 0.1 if busy or self._playing else 1.0 if down else 5.0

    def _done(self, channel: str, _task: object = None) -> None:
        self._playing.pop(channel, None)
        self._muted_until[channel] = time.monotonic() + AFTER_PLAY_MUTE
        self._loop.wake()

    async def _announcement_waits(self, channel: str) -> bool:
        return self.link.unsent_audio(channel) > 0 or await self._priority_waits(channel)

    async def _priority_waits(self, channel: str) -> bool:
        async with self.app.store.reading(self.app.clock()) as tx:
            radio = await tx.outbox.pending("mumble")
        return any(r.kind == "radio_speak" and r.target == channel and r.priority <= 1 for r in radio)

    async def _play(self, row: OutboxRecord) -> None:
        p = row.payload
        try:
            self.receiver.mute(row.target)
            data = await asyncio.to_thread(voice_files(self.app).read, str(p["path"]))
            pcm = await asyncio.to_thread(lambda: normalise(decode_to_pcm(data)))
            intro = await self.synth(
                f"Pesan suara dari {p['name']}, kejadian nomor {spoken_number(int(p['number']))}"
            )
            await self._feed(row.target, intro + pcm)
        except RadioUnavailable as exc:
            log.warning("voice note %s waits: %s", row.id, exc)
            async with self.app.store.transaction(self.app.clock()) as tx:
                await tx.outbox.retry(row.id, self.app.clock() + RETRY_SECONDS, str(exc))
            return
        except (AudioError, SpeechError, OSError, KeyError, ValueError) as exc:
            log.error("voice note %s cannot be played: %s", row.id, exc)
            chat = p.get("chat_id")
            await playback_failed(self.app, row.id, row.incident_id, row.kind, int(chat) if chat else None,
                                  row.target, int(p.get("number", 0)), str(exc))  # fmt: skip
            return
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.outbox.sent(row.id, None)
            await tx.events.add("voice_played", "radio", incident_id=row.incident_id, kanal=row.target,
                                actor_name=str(p.get("name", ""))[:64], voice_id=p.get("voice_id"))  # fmt: skip

    async def _feed(self, channel: str, pcm: bytes) -> None:
        step = int(FEED_SECONDS * BYTES_PER_SECOND)
        offset = 0
        first = True
        while offset < len(pcm):
            if await self._priority_waits(channel):
                # A priority-1 announcement goes first: it is queued behind at most FEED_SECONDS of ours.
                while await self._priority_waits(channel):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                while self.link.unsent_audio(channel) > 0:  # noqa: ASYNC110 (let it be heard whole)
                    await asyncio.sleep(0.05)
                continue
            if self.link.unsent_audio(channel) > FEED_SECONDS / 2:
                await asyncio.sleep(0.05)
                continue
            await self.link.speak(channel, pcm[offset : offset + step])
            if first:
                self.first_audio_at.append(time.monotonic())
                first = False
            offset += step
        while self.link.unsent_audio(channel) > 0:  # noqa: ASYNC110 (pymumble has no "drained" event)
            await asyncio.sleep(0.05)
