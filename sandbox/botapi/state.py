"""Everything the fake Telegram knows: chats, messages, pending updates."""

from __future__ import annotations

import time
from typing import Any

from .model import JSON, ApiError, Chat, SentMessage, User, bad_request


def now() -> int:
    return int(time.time())


class BotState:
    def __init__(self, bot: User) -> None:
        self.bot = bot
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: list[SentMessage] = []
        self.sent_by_key: dict[tuple[int, int], SentMessage] = {}
        # What users "sent", as API JSON, so replies and taps can quote it.
        self.user_messages: dict[tuple[int, int], JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self.updates: list[JSON] = []
        self.next_update_id = 1
        self.confirmed_offset = 0
        self.allowed_updates: list[str] | None = None
        self.pending_callbacks: set[str] = set()
        self.answered_callbacks: dict[str, JSON] = {}
        self.left_chats: list[int] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.member_status: dict[tuple[int, int], str] = {}
        self.migrated: dict[int, int] = {}  # old basic group id -> its supergroup's id
        self.webhook_url = ""

    # -- participants -------------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        # A user's private chat with the bot shares the user's id, as in Telegram.
        self.chats.setdefault(
            user.id, Chat(id=user.id, type="private", first_name=user.first_name, username=user.username)
        )
        return user

    def add_chat(self, chat: Chat) -> Chat:
        self.chats[chat.id] = chat
        return chat

    def resolve_chat(self, chat: Chat | User | int) -> Chat:
        """Accept a Chat, a User (their private chat) or a bare id seen for the first time."""
        if isinstance(chat, User):
            self.add_user(chat)
            return self.chats[chat.id]
        if isinstance(chat, Chat):
            return self.chats.setdefault(chat.id, chat)
        if chat in self.chats:
            return self.chats[chat]
        kind = "private" if chat > 0 else "supergroup"
        made = Chat(
            id=chat,
            type=kind,
            title=None if chat > 0 else f"Group {chat}",
            first_name=f"User {chat}" if chat > 0 else None,
        )
        return self.add_chat(made)

    def known_chat(self, chat_id: Any) -> Chat:
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if key not in self.chats:
            raise bad_request("chat not found")
        return self.chats[key]

    def check_can_post(self, chat: Chat) -> None:
        """What Telegram answers when the bot may not post in a chat (only groups it left or was upgraded)."""
        if chat.id in self.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           migrate_to_chat_id=self.migrated[chat.id])  # fmt: skip
        status = self.member_status.get((chat.id, self.bot.id))
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        if status == "kicked" and chat.type == "private":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        if status == "left" and chat.type != "private":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        if status == "restricted":
            raise bad_request("not enough rights to send text messages to the chat")

    def new_message_id(self, chat_id: int) -> int:
        # One counter per chat shared by users and the bot, as in Telegram groups.
        value = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = value
        return value

    # -- messages -----------------------------------------------------------------------------

    def record(self, message: SentMessage) -> SentMessage:
        self.messages.append(message)
        self.sent_by_key[(message.chat_id, message.message_id)] = message
        return message

    def find_sent(self, chat_id: int, message_id: int) -> SentMessage | None:
        found = self.sent_by_key.get((chat_id, message_id))
        return None if found is None or found.deleted else found

    def message_json(self, message: SentMessage) -> JSON:
        data: JSON = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chats[message.chat_id].to_api(),
            "from": self.bot.to_api(),
        }
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.photo is not None:
            data["photo"] = [self._photo_size(message)]
        if message.document is not None:
            data["document"] = {
                "file_id": message.file_id,
                "file_unique_id": f"u{message.file_id}",
                "file_name": message.filename or "file",
                "file_size": len(message.document or b""),
            }
        if message.voice is not None:
            data[message.media_field or "voice"] = {
                "file_id": message.file_id,
                "file_unique_id": f"u{message.file_id}",
                "duration": 0,
                "mime_type": "audio/ogg",
                "file_size": len(message.voice),
            }
        if message.caption is not None:
            data["caption"] = message.caption
            if message.entities:
                data["caption_entities"] = message.entities
        if message.location is not None:
            data["location"] = {"latitude": message.location[0], "longitude": message.location[1]}
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.reply_to_message_id is not None:
            quoted = self.quote(message.chat_id, message.reply_to_message_id)
            if quoted is not None:
                data["reply_to_message"] = quoted
        return data

    def _photo_size(self, message: SentMessage) -> JSON:
        return {
            "file_id": message.file_id,
            "file_unique_id": f"u{message.file_id}",
            "width": 800,
            "height": 600,
            "file_size": len(message.photo or b""),
        }

    def quote(self, chat_id: int, message_id: int) -> JSON | None:
        """The current version of a message in a chat, whoever sent it."""
        sent = self.find_sent(chat_id, message_id)
        if sent is not None:
            data = self.message_json(sent)
            data.pop("reply_to_message", None)  # Telegram nests one level only
            return data
        return self.user_messages.get((chat_id, message_id))

    # -- updates ------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: JSON) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append({"update_id": update_id, kind: payload})
        return update_id

    def confirm_below(self, offset: int) -> None:
        """getUpdates with an offset forgets every update before it, as Telegram does."""
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            keep = self.updates[offset:]
            if keep:
                offset = keep[0]["update_id"]
            else:
                offset = self.next_update_id
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        self.confirmed_offset = max(self.confirmed_offset, offset)

    def deliverable(self, limit: int) -> list[JSON]:
        allowed = self.allowed_updates
        picked = [u for u in self.updates if not allowed or any(kind in u for kind in allowed)]
        return picked[:limit]

    def drop_pending(self) -> None:
        self.updates.clear()
        self.confirmed_offset = max(self.confirmed_offset, self.next_update_id)
