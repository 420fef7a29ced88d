"""Durable intake: updates are written to SQLite before the next getUpdates confirms them,
then handled from there. A kill -9 at any moment loses no command and runs none twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

from bot.app import DispatchApp
from bot.services.common import PRIORITY_LOW, esc, reply
from bot.throttle import HANDLED_UPDATES, Throttle, counted, sender_of
from bot.watchdog import resolved, trouble
from storage.db import TRANSIENT_ERRORS

log = logging.getLogger(__name__)
MAX_HANDLER_ATTEMPTS = 3
FLOOD = "Terlalu banyak pesan dalam waktu singkat; sebagian diabaikan. Tunggu sebentar lalu ulangi."
FLOOD_ANSWER_TIMEOUT = 4.0
# How long the poller waits for a durable commit to carry a stored batch to disk before it fsyncs
# the WAL itself (a handler busy elsewhere); confirming the batch to Telegram waits for either.
DURABLE_WAIT = 0.1
# How long the poller leaves a batch for the first update's handling to store before it stores it.
STAGED_WAIT = 0.05
# (update id, its stored dict, when it was polled, the Update PTB parsed, or None when read from the inbox)
Pending = tuple[int, dict[str, Any], float, Update | None]


class DurableIntake:
    def __init__(self, app: DispatchApp, application: Application, poll_timeout: int,  # type: ignore[type-arg]
                 throttle: Throttle | None = None) -> None:  # fmt: skip
        self.app = app
        self.application = application
        self.poll_timeout = poll_timeout
        self.throttle = throttle or Throttle()
        self._stored = asyncio.Event()
        self._attempts: dict[int, int] = {}
        self.failed_now: dict[int, BaseException | None] = {}
        self._answers: set[asyncio.Task[None]] = set()
        # Just-stored updates handed to process() in memory, with the Update PTB parsed from the answer
        # (parsed once, not again from its stored dict); the inbox stays the truth after a restart or
        # when an update could not be finished (then process() reads the inbox again).
        self._handoff: asyncio.Queue[Pending] = asyncio.Queue()
        self._reread = True
        self._last = -1  # highest update id taken from the inbox or the hand-off

    async def poll(self) -> None:
        """Never stops on an odd answer: a 401/404, a 409, a body that is not JSON or a network error is
        retried with backoff, and raised to the admins when it lasts (only getMe at start may end the
        service: bot/compose.py)."""
        self.app.liveness.polling()
        offset = await self._with_retry(self._next_offset)
        backoff = 0.5
        while True:
            try:
                updates = await self.application.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=list(HANDLED_UPDATES)
                )
                backoff = 0.5
                self.app.liveness.polled()
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (TelegramError, ValueError, KeyError, TypeError) as exc:  # malformed answers too
                self.app.liveness.failed(f"getUpdates: {type(exc).__name__}: {exc}")
                log.warning("getUpdates failed: %s; retrying in %.1fs", exc, backoff)
                await trouble(self.app, "getUpdates", f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            await resolved(self.app, "getUpdates")
            if not updates:
                continue
            # Stored before the next getUpdates (with the new offset) confirms them to Telegram, and
            # on disk by then. The first update's handling stores the batch in its own transaction,
            # whose fsync carries it (a dispatch waits for one commit, not two); a handler busy
            # elsewhere: stored here after STAGED_WAIT, fsynced after DURABLE_WAIT.
            self._stage(updates)
            await asyncio.sleep(0)  # process() starts on them before the next getUpdates is built
            offset = updates[-1].update_id + 1
            mark = await self._with_retry(self._store_staged)
            self._stored.set()
            await self.app.store.until_durable(mark, DURABLE_WAIT)
            await self.app.behind_new_cards()  # the next poll's request after the cards' requests

    async def _next_offset(self) -> int | None:
        async with self.app.store.reading(self.app.clock()) as tx:
            return await tx.inbox.next_offset()

    def _stage(self, updates: tuple[Update, ...]) -> None:
        now = self.app.clock()
        batch = [(u.update_id, u.to_dict()) for u in updates]
        self.app.store.stage(batch)  # before the hand-off: the handling's transaction stores the batch
        for update, (update_id, payload) in zip(updates, batch, strict=True):
            self._handoff.put_nowait((update_id, payload, now, update))

    async def _store_staged(self) -> int:
        return await self.app.store.store_staged(self.app.clock(), STAGED_WAIT)

    async def process(self) -> None:
        self._reread = True  # (re)started: the inbox first, for whatever a previous run left unhandled
        while True:
            if self._reread:
                self._reread = False
                pending: list[Pending] = [(*row, None) for row in await self._with_retry(self._unhandled)]
                if pending:
                    self._reread = True  # until the inbox has nothing left unhandled
                    self._last = max(self._last, pending[-1][0])
            else:
                pending = [await self._handoff.get()]
                while not self._handoff.empty():
                    pending.append(self._handoff.get_nowait())
                # Already taken from the inbox by a read that raced the hand-off: never run twice.
                pending = [p for p in pending if p[0] > self._last]
                if pending:
                    self._last = pending[-1][0]
            for update_id, payload, received_at, parsed in pending:
                await self._with_retry(
                    lambda uid=update_id, p=payload, r=received_at, u=parsed: self._handle(uid, p, r, u)
                )

    async def _unhandled(self) -> list[tuple[int, dict[str, Any], float]]:
        async with self.app.store.reading(self.app.clock()) as tx:
            return await tx.inbox.unhandled_since()

    async def _handle(self, update_id: int, payload: dict[str, Any], received_at: float | None = None,
                      parsed: Update | None = None) -> None:  # fmt: skip
        user_id, chat_id, sent_at = sender_of(payload, received_at)
        if user_id is not None and counted(payload) and not self.throttle.allow(user_id, sent_at):
            await self._drop_flood(update_id, user_id, chat_id, payload)
            self.app.store.marked.discard(update_id)
            return
        update = parsed if parsed is not None else Update.de_json(payload, self.application.bot)
        self.failed_now.pop(update_id, None)
        await self.application.process_update(update)
        if update_id in self.failed_now:
            error = self.failed_now.pop(update_id)
            if isinstance(error, TRANSIENT_ERRORS):
                raise error  # the database was busy: retry the same update, it must not be lost
            attempts = self._attempts.get(update_id, 0) + 1
            self._attempts[update_id] = attempts
            if attempts < MAX_HANDLER_ATTEMPTS:
                await asyncio.sleep(0.2 * attempts)
                self._reread = True  # left unhandled in the inbox: the next pass reads it again
                return
            await self._give_up(update)
        if update_id in self.app.store.marked:
            self.app.store.marked.discard(update_id)  # the handler's transaction already did it
        else:
            async with self.app.store.transaction(self.app.clock()) as tx:
                await tx.inbox.mark_handled(update_id)
        self._attempts.pop(update_id, None)

    async def _drop_flood(
        self, update_id: int, user_id: int, chat_id: int | None, payload: dict[str, Any]
    ) -> None:
        """Audit once per window; tell the tapper by a toast, a group once per window at low priority:
        the warning never takes a card's place."""
        query = payload.get("callback_query")
        async with self.app.store.transaction(self.app.clock(), update_id) as tx:
            if self.throttle.should_warn(user_id):
                await tx.events.add("refused", "telegram", actor_id=user_id, reason="flood")
                if isinstance(query, dict):
                    self._toast(str(query.get("id")))
                elif chat_id is not None and (chat_id == user_id or self.throttle.should_warn(chat_id)):
                    await reply(tx, chat_id, esc(FLOOD), priority=PRIORITY_LOW)
        self.app.wake_telegram()

    def _toast(self, query_id: str) -> None:
        async def send() -> None:
            try:
                async with asyncio.timeout(FLOOD_ANSWER_TIMEOUT):
                    await self.application.bot.answer_callback_query(query_id, FLOOD[:190])
            except Exception as exc:  # best effort: the spinner stops by itself
                log.warning("flood answer failed: %s", type(exc).__name__)

        task = asyncio.create_task(send())  # never awaited here: a slow answer must not hold up intake
        self._answers.add(task)
        task.add_done_callback(self._answers.discard)

    async def _give_up(self, update: Update) -> None:
        chat = update.effective_chat
        user = update.effective_user
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.events.add("update_failed", "telegram", actor_id=user.id if user else None,
                                update_id=update.update_id)  # fmt: skip
            if chat is not None:
                await reply(
                    tx,
                    chat.id,
                    esc("Maaf, perintah ini gagal diproses karena kesalahan sistem. Silakan ulangi."),
                )
        self.app.wake()

    async def _with_retry(self, action: Any) -> Any:
        """Storage trouble (a locked or busy database) is waited out, never turned into a lost update."""
        delay = 0.1
        while True:
            try:
                return await action()
            except TRANSIENT_ERRORS as exc:
                log.warning("database busy (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
