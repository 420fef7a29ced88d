"""The Telegram outbox worker: paced, prioritised, retried, one message in flight per chat."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import logging
import random
from collections.abc import Callable

from bot.app import DispatchApp
from bot.card_reads import CardState, read_card, read_cards
from bot.clockwatch import settle_clock
from bot.delivery_order import new_card_first, promoted_edit
from bot.pacing import Pacer
from bot.ports import DeliveryError, TelegramPort
from bot.render import card as render_card
from bot.services.common import EDIT_OFFSET, PRIORITY_NOTICE, esc, reply
from bot.services.groups import on_delivery_lost
from bot.services.voice import voice_files
from bot.worker import WakeableLoop
from storage.records import OutboxRecord
from storage.uow import Tx

log = logging.getLogger(__name__)
REPEAT_MARK = "<i>(mungkin terkirim dua kali)</i>"
MAX_BACKOFF = 30.0
# An edit of a card waits behind new cards (EDIT_OFFSET); once it has waited this long it ranks as a
# new card of its incident, so a group kept at its limit by new incidents still sees its taps.
EDIT_PROMOTE_AFTER = 7.0
# Of a group's 20 messages a minute, edits (and anything ranked below new cards) may use 15: the rest
# is kept for new cards, so a new incident's first card does not wait for a minute's window that
# taps have filled. Queued edits of one card are coalesced, so taps lose little by it; an edit that
# has waited EDIT_PROMOTE_AFTER ranks as a new card and may use the reserve too.
CARD_RESERVE = 5
# A new incident's cards go first: the other rows its commit launched (the call taker's confirmation)
# start this long after them, and so does the poller's next getUpdates (DispatchApp.behind_new_cards).
# Each Bot API request costs PTB and httpx some 2 ms of CPU before its bytes leave; interleaved with
# the cards', a confirmation and a poll put the last card's request 4 ms later at p50, 10 ms at p95
# (bench 1b, traced). The call taker on the phone does not see 8 ms.
CARDS_AHEAD = 0.008


class TelegramDelivery:
    def __init__(self, app: DispatchApp, port: TelegramPort, pacer: Pacer | None = None,
                 max_in_flight: int = 16) -> None:  # fmt: skip
        self.app = app
        self.port = port
        self.pacer = pacer or Pacer()
        self.max_in_flight = max_in_flight
        self._loop = WakeableLoop("telegram outbox")
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._outage = False
        self._cards: dict[int, CardState] = {}  # outbox row id -> state read at pick time
        # This process sends: new cards may open their attempt in the transaction that makes them,
        # and go the moment it commits (prepare_opened).
        app.store.launcher = self.prepare_opened
        app.claim_send = self.claim_send
        self._claims: dict[str, float] = {}  # chat -> when a new card last opened its attempt early

    def wake(self) -> None:
        self._loop.wake()

    def claim_send(self, target: str) -> bool:
        """May a new card to `target` open its attempt now (bot/services/common.py open_send_early)?
        Only if it may go at once: nothing in flight to the chat, the pacer would let it go, and no
        other card claimed the chat within the pacer's gap (that one goes first, this one would
        wait). So at most one attempt a chat is open at a time, as without early ones."""
        now = self.pacer.clock()
        if now - self._claims.get(target, float("-inf")) < self.pacer.per_chat_gap:
            return False
        if (
            target in self._in_flight
            or len(self._in_flight) >= self.max_in_flight
            or self.pacer.wait(target) > 0
        ):
            return False
        self._claims[target] = now
        return True

    async def prepare_opened(self, tx: Tx, row_ids: list[int]) -> Callable[[], None]:
        """Inside the transaction that opened these rows' attempts (storage/uow.py Store.launcher):
        read the rows and their cards' state, as a pass would after the commit, and return what
        starts their sends, which the store calls once committed. So a new incident's cards leave
        the moment it is stored: no wake-up, no pass, no other worker's read before them. Killed
        before the results are recorded, the next process finds the attempts open and marks the
        resends, as for any send a crash cut."""
        rows = [
            # The row reads as maybe_sent because its attempt is open: that is this one.
            dataclasses.replace(row, attempts=row.attempts - 1, maybe_sent=False)
            for row in await tx.outbox.get_many(row_ids)
        ]
        cards = await read_cards(tx, rows)

        def launch() -> None:
            for row in rows:
                self.pacer.record(row.target)
            self._cards.update(cards)
            first = [row for row in rows if row.kind in ("card", "card_repeat")]
            self._launch(first)
            if len(first) < len(rows):
                self._launch([row for row in rows if row not in first], after=CARDS_AHEAD if first else 0.0)
            if first:
                self.app.cards_ahead(CARDS_AHEAD)

        return launch

    async def run(self) -> None:
        await self._loop.run(self._dispatch_due)

    async def drain(self) -> None:
        """Wait for the deliveries in flight (used on shutdown)."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _dispatch_due(self) -> float:
        await settle_clock(self.app)
        now = self.app.clock()
        async with self.app.store.reading(now) as tx:
            # per chat: strict order by (priority, id), rows waiting since long ago promoted
            heads = await tx.outbox.heads_aging("telegram", now - EDIT_PROMOTE_AFTER, EDIT_OFFSET)
            # A promoted edit still goes after a new card waiting for its group (bot/delivery_order.py).
            if any(promoted_edit(row, now, EDIT_PROMOTE_AFTER) for row in heads):
                new_cards = await tx.outbox.first_new_cards("telegram", EDIT_OFFSET)
                heads = [new_card_first(row, new_cards, now, EDIT_PROMOTE_AFTER) for row in heads]
        delay = 30.0
        chosen: list[OutboxRecord] = []
        for row in heads:
            target = row.target
            if target in self._in_flight:
                continue
            if row.due_at > now:
                delay = min(delay, row.due_at - now)
                continue
            promoted = promoted_edit(row, now, EDIT_PROMOTE_AFTER)
            below_cards = row.priority > EDIT_OFFSET and not promoted
            wait = self.pacer.wait(target, CARD_RESERVE if below_cards else 0)
            if wait > 0:
                delay = min(delay, wait)
                continue
            if len(self._in_flight) + len(chosen) >= self.max_in_flight:
                break
            self.pacer.record(target)  # now, so the next chat in this pass sees it in the overall limit
            chosen.append(row)
        if chosen:
            await self._start(chosen)
        return max(delay, 0.01)

    async def _start(self, rows: list[OutboxRecord]) -> None:
        # One commit for the whole pass: after a crash, attempts > 0 says "this may have gone out already".
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.outbox.begin_attempts([row.id for row in rows])
            # Coalescing: the card about to be rendered carries every queued edit of it.
            await tx.outbox.coalesce_cards(
                [(row.id, row.assignment_id) for row in rows if row.kind == "card" and row.assignment_id]
            )
            self._cards.update(await read_cards(tx, rows))  # the pass's cards, read together
        self._launch(rows)

    def _launch(self, rows: list[OutboxRecord], after: float = 0.0) -> None:
        for row in rows:
            # In flight from now on, even while it waits `after`: no pass may pick the row meanwhile.
            task = asyncio.create_task(self._deliver_after(row, after) if after else self._deliver(row))
            self._in_flight[row.target] = task
            task.add_done_callback(functools.partial(self._done, row.target))

    def _done(self, target: str, _task: object = None) -> None:
        self._in_flight.pop(target, None)
        self._loop.wake()

    async def _deliver_after(self, row: OutboxRecord, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._deliver(row)

    async def _deliver(self, row: OutboxRecord) -> None:
        try:
            await self._send(row)
        except DeliveryError as exc:
            if not exc.permanent and exc.retry_after is None:
                self._outage = True
            await self._failed(row, exc)
            return
        except Exception as exc:  # a bug must not stop the worker; the row is retried and logged
            log.exception("delivery of outbox row %s failed", row.id)
            # It may have struck after Telegram took the message (recording it, say): in doubt.
            await self._failed(row, DeliveryError(f"{type(exc).__name__}: {exc}", uncertain=True))
            return
        if self._outage:
            # Telegram answers again: what was backing off during the outage may go now, not in 30 s.
            self._outage = False
            async with self.app.store.transaction(self.app.clock()) as tx:
                await tx.outbox.end_backoff("telegram")

    async def _send(self, row: OutboxRecord) -> None:
        chat_id = int(row.target)
        maybe_repeat = row.maybe_sent  # only a timeout or a crash mid-send; never a certain failure
        if row.kind in ("card", "card_repeat"):
            await self._send_card(row, chat_id, maybe_repeat)
            return
        message_id: int | None = None
        if row.kind == "text":
            text = row.payload["html"] + (f"\n{REPEAT_MARK}" if maybe_repeat else "")
            message_id = await self.port.send_text(chat_id, text, row.payload.get("buttons"),
                                                   force_reply=bool(row.payload.get("force_reply")))  # fmt: skip
        elif row.kind == "photo":
            png = base64.b64decode(row.payload["png"])
            message_id = await self.port.send_photo(chat_id, png, row.payload.get("caption", ""))
        elif row.kind == "document":  # a report .docx or an EIDD .json; the bytes are in the row
            data = base64.b64decode(row.payload["data"])
            caption = row.payload.get("caption", "") + (f"\n{REPEAT_MARK}" if maybe_repeat else "")
            message_id = await self.port.send_document(chat_id, data, row.payload["filename"], caption)
        elif row.kind == "voice":
            message_id = await self._send_voice(row, chat_id)
        elif row.kind == "leave":
            await self.port.leave_chat(chat_id)
        elif row.kind == "edit_text":  # a message that changes once, e.g. a panic alert taken: its buttons go
            await self._edit_text(chat_id, row)
        else:
            raise DeliveryError(f"jenis pesan tidak dikenal: {row.kind}", permanent=True)
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.outbox.sent(row.id, message_id)
        self.app.sent_recorded()

    async def _edit_text(self, chat_id: int, row: OutboxRecord) -> None:
        try:
            await self.port.edit_text(chat_id, int(row.payload["message_id"]), row.payload["html"],
                                      row.payload.get("buttons"))  # fmt: skip
        except DeliveryError as exc:
            if not exc.gone:
                raise  # a message deleted meanwhile needs no edit; anything else is retried

    async def _send_voice(self, row: OutboxRecord, chat_id: int) -> int:
        # The audio stays a file of the voice log (not base64 in the row); deleted by retention = gone.
        try:
            ogg = await asyncio.to_thread(voice_files(self.app).read, str(row.payload["path"]))
        except OSError as exc:
            raise DeliveryError(f"berkas suara tidak ada: {exc}", permanent=True) from None
        return await self.port.send_voice(chat_id, ogg, str(row.payload.get("caption", "")))

    async def _send_card(self, row: OutboxRecord, chat_id: int, maybe_repeat: bool) -> None:
        assert row.assignment_id is not None and row.incident_id is not None
        state = self._cards.pop(row.id, None)
        if state is None:  # not found at pick time: read again (the assert below reports it)
            async with self.app.store.reading(self.app.clock()) as tx:
                state = await read_card(tx, row)
        assert state is not None
        up_to, incident, assignment, events = state.up_to, state.incident, state.assignment, state.events
        repeat = row.kind == "card_repeat"
        view = render_card(self.app, incident, assignment, events, repeat=repeat)
        new_message: int | None = None
        if assignment.message_id is not None and not repeat:
            try:
                await self.port.edit_text(chat_id, assignment.message_id, view.html, view.buttons)
            except DeliveryError as exc:
                if not exc.gone:
                    raise
                new_message = await self.port.send_text(chat_id, view.html, view.buttons)
        else:
            text = view.html + (f"\n{REPEAT_MARK}" if maybe_repeat else "")
            new_message = await self.port.send_text(chat_id, text, view.buttons)
        also = row.payload.get("also_message_id")
        if also and also != (new_message or assignment.message_id):
            try:
                await self.port.edit_text(chat_id, int(also), view.html, view.buttons)
            except DeliveryError as exc:
                log.info("extra copy %s of card %s not edited: %s", also, assignment.id, exc)
        async with self.app.store.transaction(self.app.clock()) as tx:
            if new_message is not None:
                await tx.assignments.set_card(assignment.id, new_message)
            await tx.outbox.sent(row.id, new_message)
            await tx.outbox.supersede("card", assignment.id, up_to, row.id)
        self.app.sent_recorded()

    async def _failed(self, row: OutboxRecord, exc: DeliveryError) -> None:
        if (exc.migrated_to is not None or exc.chat_gone) and await on_delivery_lost(self.app, row, exc):
            return  # re-targeted to the upgraded group, or turned into phone notices and one alert
        now = self.app.clock()
        attempts = row.attempts + 1
        async with self.app.store.transaction(now) as tx:
            if exc.permanent:
                await tx.outbox.failed(row.id, str(exc))
                await tx.events.add("delivery_failed", "system", incident_id=row.incident_id,
                                    assignment_id=row.assignment_id, outbox_kind=row.kind, error=str(exc)[:300])  # fmt: skip
                await self._warn_call_taker(tx, row, exc)
                return
            if exc.retry_after is not None:
                self.pacer.hold(row.target, exc.retry_after)
                due = now + exc.retry_after
            else:
                due = now + min(MAX_BACKOFF, 0.5 * 2 ** min(attempts, 8)) * random.uniform(0.8, 1.2)
            await tx.outbox.retry(row.id, due, str(exc), uncertain=exc.uncertain)
        log.warning("outbox row %s to %s: %s (attempt %d)", row.id, row.target, exc, attempts)

    async def _warn_call_taker(self, tx: Tx, row: OutboxRecord, exc: DeliveryError) -> None:
        if row.kind not in ("card", "card_repeat") or row.assignment_id is None or row.incident_id is None:
            return
        incident = await tx.incidents.get(row.incident_id)
        assignment = await tx.assignments.get(row.assignment_id)
        if incident is None or assignment is None:
            return
        agency = self.app.routing.agency_short(assignment.agency)
        await reply(
            tx, self.app.call_taker_target(incident.call_taker_id),
            f"⚠️ Kartu <b>#{incident.number}</b> untuk {esc(agency)} gagal terkirim ({esc(str(exc)[:120])}). "
            "Hubungi lewat telepon.",
            incident_id=incident.id, priority=PRIORITY_NOTICE,
        )  # fmt: skip
