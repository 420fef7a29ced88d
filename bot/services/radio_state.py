"""Telling the call takers when the radio link goes down and comes back."""

from __future__ import annotations

from bot.app import DispatchApp
from bot.services.common import PRIORITY_NOTICE, reply

DOWN = "📻 Radio (Mumble) terputus. Dispatch lewat Telegram tetap berjalan; pengumuman radio ditunda."
UP = "📻 Radio tersambung kembali. Pengumuman yang tertunda sedang dikirim."


def call_taker_chats(app: DispatchApp) -> list[int]:
    return app.call_taker_chats()


async def radio_changed(app: DispatchApp, connected: bool, pending: int = 0) -> None:
    text = UP + (f" ({pending} tertunda)" if connected and pending else "") if connected else DOWN
    async with app.store.transaction(app.clock()) as tx:
        await tx.events.add("radio_up" if connected else "radio_down", "system", pending=pending)
        for chat in call_taker_chats(app):
            await reply(tx, chat, text, priority=PRIORITY_NOTICE)
    app.wake_telegram()
