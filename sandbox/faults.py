"""The trainer's fault buttons: what happens when Telegram or the radio breaks.

Kept apart from the fake server (sandbox/botapi) so the fake stays the tests' plain Telegram; each
fault here is a state change on the fake plus, where Telegram answers differently afterwards, an
interceptor that answers as Telegram does (400 migrate_to_chat_id, 403 kicked)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sandbox.botapi import FakeBotApi, methods, players
from sandbox.botapi.model import JSON, ApiError, Chat, User
from sandbox.botapi.state import now

KICKED = "Forbidden: bot was kicked from the group chat"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
_CHAT_METHODS = ("send", "edit", "delete", "getchat", "leavechat", "pin", "copy", "forward")


class MigratedError(ApiError):
    def __init__(self, new_id: int) -> None:
        super().__init__(400, UPGRADED)
        self.new_id = new_id

    def envelope(self) -> JSON:
        return super().envelope() | {"parameters": {"migrate_to_chat_id": self.new_id}}


@dataclass
class Faults:
    api: FakeBotApi
    stop_radio: Callable[[], Awaitable[None]] | None = None
    start_radio: Callable[[], Awaitable[None]] | None = None
    outage: bool = False
    radio_down: bool = False
    migrated: dict[int, int] = field(default_factory=dict)  # old chat id -> new supergroup id
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.api.interceptors.append(self._intercept)

    def _intercept(self, method: str, params: JSON) -> None:
        if not method.startswith(_CHAT_METHODS) or "chat_id" not in params:
            return
        try:
            chat_id = int(params["chat_id"])
        except (TypeError, ValueError):
            return
        if chat_id in self.migrated:
            raise MigratedError(self.migrated[chat_id])
        if self.api.state.member_status.get((chat_id, self.api.bot_user.id)) == "kicked":
            raise ApiError(403, KICKED)

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
        """The group becomes a supergroup: service messages in both chats, old id answers 400."""
        state = self.api.state
        old = state.known_chat(chat_id)
        new_id = -1003000000000 - len(self.migrated) - 1
        state.add_chat(Chat(id=new_id, type="supergroup", title=old.title))
        for (c, u), status in list(state.member_status.items()):
            if c == chat_id:
                state.member_status[(new_id, u)] = status
        user = state.users[by]
        self.api.state.add_chat(Chat(id=chat_id, type="group", title=old.title))
        self._service(user, chat_id, {"migrate_to_chat_id": new_id})
        self._service(user, new_id, {"migrate_from_chat_id": chat_id})
        self.migrated[chat_id] = new_id
        return self._note(f"Grup {old.title} ditingkatkan menjadi supergrup {new_id}")

    def _service(self, user: User, chat_id: int, content: JSON) -> None:

        message = players.user_message(self.api.state, user, chat_id, content)
        self.api.enqueue("message", message)

    def kick(self, chat_id: int, by: int) -> str:
        state = self.api.state
        chat = state.known_chat(chat_id)
        # ChatMember objects as Telegram sends them (an administrator carries all its rights).
        old = methods.member_json(state, chat_id, state.bot.id)
        state.member_status[(chat_id, state.bot.id)] = "kicked"
        new = methods.member_json(state, chat_id, state.bot.id)
        update = {"chat": chat.to_api(), "from": state.users[by].to_api(), "date": now(),
                  "old_chat_member": old, "new_chat_member": new}  # fmt: skip
        self.api.enqueue("my_chat_member", update)
        return self._note(f"Bot dikeluarkan dari {chat.title}")

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
