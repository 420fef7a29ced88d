"""The trainer's fault buttons: what happens when Telegram or the radio breaks.

Each fault is a call on the fake Bot API itself (sandbox/botapi), the same one the tests use: a group
upgraded to a supergroup, the bot kicked and added back, an outage, a burst of 429s. The fake then
answers as Telegram does (400 migrate_to_chat_id, 403 kicked)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sandbox.botapi import FakeBotApi
from sandbox.botapi.model import JSON


@dataclass
class Faults:
    api: FakeBotApi
    stop_radio: Callable[[], Awaitable[None]] | None = None
    start_radio: Callable[[], Awaitable[None]] | None = None
    outage: bool = False
    radio_down: bool = False
    migrated: dict[int, int] = field(default_factory=dict)  # old chat id -> new supergroup id
    log: list[str] = field(default_factory=list)

    def _note(self, text: str) -> str:
        self.log.append(text)
        self.api.notify()
        return text

    def set_outage(self, on: bool) -> str:
        self.outage = on
        if on:
            self.api.outage(502)
            return self._note("Bot API mati (502 untuk setiap panggilan)")
        self.api.end_outage()
        return self._note("Bot API pulih")

    def burst_429(self, count: int = 8, retry_after: int = 3) -> str:
        for method in ("sendMessage", "editMessageText", "sendPhoto"):
            self.api.fail_next(method, 429, count=count, retry_after=retry_after)
        return self._note(f"{count} jawaban 429 (retry_after {retry_after} s) per metode kirim")

    def migrate(self, chat_id: int, by: int) -> str:
        """The group becomes a supergroup: service messages in both chats, the old id answers 400."""
        state = self.api.state
        title = state.known_chat(chat_id).title
        new_id = -1003000000000 - len(self.migrated) - 1
        self.api.migrate_group(state.users[by], chat_id, new_id)
        self.migrated[chat_id] = new_id
        return self._note(f"Grup {title} ditingkatkan menjadi supergrup {new_id}")

    def kick(self, chat_id: int, by: int) -> str:
        state = self.api.state
        self.api.kick_bot(state.users[by], chat_id)
        return self._note(f"Bot dikeluarkan dari {state.known_chat(chat_id).title}")

    def readd(self, chat_id: int, by: int) -> str:
        self.api.add_bot_to_group(self.api.state.users[by], chat_id)
        return self._note(f"Bot ditambahkan lagi ke {self.api.state.chats[chat_id].title}")

    async def set_radio(self, on: bool) -> str:
        if on and self.start_radio is not None:
            await self.start_radio()
            self.radio_down = False
            return self._note("Server radio (murmurd) dijalankan lagi")
        if not on and self.stop_radio is not None:
            await self.stop_radio()
            self.radio_down = True
            return self._note("Server radio (murmurd) dihentikan")
        return self._note("Radio tidak tersedia di sandbox ini")

    def refused(self) -> int:
        """Calls the fake refused with the outage's 502 (the bot's polls and sends during it)."""
        return sum(1 for c in self.api.calls if c.http_status == 502)

    def status(self) -> JSON:
        return {"outage": self.outage, "radio_down": self.radio_down, "refused": self.refused(),
                "migrated": {str(k): v for k, v in self.migrated.items()}, "log": self.log[-20:]}  # fmt: skip
