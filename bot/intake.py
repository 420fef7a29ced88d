"""Durable intake: updates are written to SQLite before the next getUpdates confirms them,
then handled from there. A kill -9 at any moment loses no command and runs none twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.app import DispatchApp
from bot.services.common import esc, reply

log = logging.getLogger(__name__)
MAX_HANDLER_ATTEMPTS = 3


class FatalIntakeError(Exception):
    pass


class DurableIntake:
    def __init__(self, app: DispatchApp, application: Application, poll_timeout: int) -> None:  # type: ignore[type-arg]
        self.app = app
        self.application = application
        self.poll_timeout = poll_timeout
        self._stored = asyncio.Event()
        self._failures: dict[int, int] = {}
        self.failed_now: set[int] = set()
        self.polling = asyncio.Event()

    async def poll(self) -> None:
        bot = self.application.bot
        async with self.app.store.reading(self.app.clock()) as tx:
            offset = await tx.inbox.next_offset()
        backoff = 0.5
        while True:
            try:
                self.polling.set()
                updates = await bot.get_updates(offset=offset, timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES)
                backoff = 0.5
            except InvalidToken as exc:
                raise FatalIntakeError(f"token Telegram ditolak: {exc}") from exc
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (TimedOut, Conflict, NetworkError) as exc:
                log.warning("getUpdates failed: %s; retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if not updates:
                continue
            async with self.app.store.transaction(self.app.clock()) as tx:
                await tx.inbox.store((u.update_id, u.to_dict()) for u in updates)
            offset = updates[-1].update_id + 1
            self._stored.set()

    async def process(self) -> None:
        while True:
            self._stored.clear()
            async with self.app.store.reading(self.app.clock()) as tx:
                pending = await tx.inbox.unhandled()
            for update_id, payload in pending:
                await self._handle(update_id, payload)
            if not pending:
                await self._stored.wait()

    async def _handle(self, update_id: int, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.application.bot)
        self.failed_now.discard(update_id)
        await self.application.process_update(update)
        if update_id in self.failed_now:
            attempts = self._failures.get(update_id, 0) + 1
            self._failures[update_id] = attempts
            if attempts < MAX_HANDLER_ATTEMPTS:
                await asyncio.sleep(0.2 * attempts)
                return
            await self._give_up(update)
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.inbox.mark_handled(update_id)
        self._failures.pop(update_id, None)

    async def _give_up(self, update: Update) -> None:
        chat = update.effective_chat
        async with self.app.store.transaction(self.app.clock()) as tx:
            await tx.events.add("update_failed", "telegram", actor_id=update.effective_user.id if update.effective_user
                                else None, update_id=update.update_id)  # fmt: skip
            if chat is not None:
                await reply(tx, chat.id, esc("Maaf, perintah ini gagal diproses karena kesalahan sistem. Silakan ulangi."))
        self.app.wake()


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
