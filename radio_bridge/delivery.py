"""The radio outbox worker: posts and speech go out only while connected, priority first,
one announcement spoken at a time; what waited longer than stale_after is summarised."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable

from bot.app import DispatchApp
from bot.clockwatch import settle_clock
from bot.worker import WakeableLoop
from radio_bridge.errors import RadioError, RadioUnavailable, SpeechError
from radio_bridge.link import RadioLink
from radio_bridge.speech import synthesise
from radio_bridge.wording import announcement, post_html
from storage.records import OutboxRecord

log = logging.getLogger(__name__)
Synthesiser = Callable[[str], Awaitable[bytes]]
RETRY_SECONDS = 2.0


class RadioDelivery:
    def __init__(self, app: DispatchApp, link: RadioLink, synth: Synthesiser = synthesise) -> None:
        self.app = app
        self.link = link
        self.synth = synth
        self._loop = WakeableLoop("radio outbox")
        self._speaking_until = 0.0
        self.spoken_at: list[float] = []  # monotonic times speech was handed to the link (benchmarks)

    def wake(self) -> None:
        self._loop.wake()

    async def run(self) -> None:
        await self._loop.run(self._when_connected)

    async def _when_connected(self) -> float:
        return await self._pass() if self.link.connected else 30.0

    async def _pass(self) -> float:
        await settle_clock(self.app)  # a wall clock step must not make every row look stale at once
        now = self.app.clock()
        async with self.app.store.reading(now) as tx:
            rows = await tx.outbox.pending("mumble")
        stale_before = now - self.app.settings.mumble.stale_after
        stale = [r for r in rows if r.created_at < stale_before and r.kind in ("radio_post", "radio_speak")]
        if stale:
            await self._summarise(stale)
            return 0.01
        speaking_left = self._speaking_until - time.monotonic()
        for row in rows:
            if row.due_at > now or row.kind == "radio_voice":  # voice notes: radio_bridge/voice_out.py
                continue
            if row.kind == "radio_speak" and speaking_left > 0:
                continue  # keep the queue reorderable: a later priority 1 may still jump ahead
            await self._deliver(row)
            return 0.01
        waits = [r.due_at - now for r in rows if r.due_at > now] + (
            [speaking_left] if speaking_left > 0 else []
        )
        return max(0.05, min(waits, default=30.0))

    async def _deliver(self, row: OutboxRecord) -> None:
        try:
            await self._send(row)
        except RadioUnavailable as exc:
            log.warning("radio row %s waits: %s", row.id, exc)
            async with self.app.store.transaction(self.app.clock()) as tx:
                await tx.outbox.retry(row.id, self.app.clock() + RETRY_SECONDS, str(exc))
            return
        except (SpeechError, RadioError, KeyError, ValueError) as exc:
            log.error("radio row %s failed: %s", row.id, exc)
            async with self.app.store.transaction(self.app.clock()) as tx:
                await tx.outbox.failed(row.id, str(exc))
                await tx.events.add("delivery_failed", "radio", incident_id=row.incident_id, outbox_kind=row.kind,
                                    error=str(exc)[:300])  # fmt: skip
            return
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.outbox.sent(row.id, None)

    async def _send(self, row: OutboxRecord) -> None:
        p = row.payload
        # The sandbox marks every post and announcement, so no recording can pass for a real dispatch.
        mark, said = ("<b>LATIHAN</b> ", "Latihan. ") if self.app.settings.sandbox.training else ("", "")
        if row.kind == "radio_text":
            await self.link.post(row.target, mark + html.escape(str(p["text"])))
            return
        facts = (
            int(p["number"]),
            str(p["category"]),
            p.get("kelurahan"),
            p.get("kecamatan"),
            str(p["address"]),
        )
        agencies = [str(a) for a in p.get("agencies", [])]
        prefix = "ULANG. " if p.get("repeat") else ""
        if row.kind == "radio_post":
            body = post_html(*facts, str(p.get("description", "")), agencies, int(p["priority"]))
            await self.link.post(row.target, mark + ("<b>ULANG</b> " if prefix else "") + body)
        elif row.kind == "radio_speak":
            pcm = await self.synth(said + prefix + announcement(*facts, agencies, int(p["priority"])))
            seconds = await self.link.speak(row.target, pcm)
            self.spoken_at.append(time.monotonic())
            self._speaking_until = time.monotonic() + seconds
        else:
            raise ValueError(f"jenis pesan radio tidak dikenal: {row.kind}")

    async def _summarise(self, rows: list[OutboxRecord]) -> None:
        numbers = sorted({int(r.payload["number"]) for r in rows if "number" in r.payload})
        minutes = self.app.settings.mumble.stale_after // 60
        text = (f"Ringkasan: {len(numbers)} kejadian diumumkan saat radio terputus lebih dari {minutes} menit: "
                + ", ".join(f"#{n}" for n in numbers) + ". Lihat kartu Telegram atau ketik !aktif.")  # fmt: skip
        try:
            await self.link.post(self.app.settings.mumble.dispatch_channel, html.escape(text))
        except RadioUnavailable:
            return
        async with self.app.store.transaction(self.app.clock()) as tx:
            for row in rows:
                await tx.outbox.fold(row.id, "dirangkum: terlalu lama tertunda")
            await tx.events.add("radio_summarised", "radio", numbers=numbers)
