"""Updates that users and groups cause, shaped like the ones Telegram sends."""

from __future__ import annotations

import itertools

from .model import JSON, Chat, User
from .state import BotState, now

_callback_ids = itertools.count(4_000_000_000_000_000_001)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def user_message(state: BotState, user: User, chat: Chat | User | int, content: JSON) -> JSON:
    state.add_user(user)
    where = state.resolve_chat(chat)
    message_id = state.new_message_id(where.id)
    message: JSON = {
        "message_id": message_id,
        "from": user.to_api(),
        "chat": where.to_api(),
        "date": now(),
    } | content
    state.user_messages[(where.id, message_id)] = message
    return message


def text_content(
    state: BotState,
    chat: Chat | User | int,
    text: str,
    forward_from: User | None,
    reply_to_message_id: int | None,
) -> JSON:
    content: JSON = {"text": text}
    if text.startswith("/"):
        # PTB's CommandHandler only fires on a bot_command entity at offset 0.
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
    if forward_from is not None:
        content["forward_origin"] = {"type": "user", "sender_user": forward_from.to_api(), "date": now()}
    if reply_to_message_id is not None:
        quoted = state.quote(state.resolve_chat(chat).id, reply_to_message_id)
        if quoted is not None:
            content["reply_to_message"] = quoted
    return content


def document_content(state: BotState, filename: str, content: bytes, caption: str | None) -> JSON:
    file_id = f"U{len(state.files) + 1:06d}"
    state.files[file_id] = (f"documents/{file_id}_{filename}", content)
    document: JSON = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": filename,
                      "mime_type": "application/json", "file_size": len(content)}  # fmt: skip
    return {"document": document} | ({"caption": caption} if caption else {})


def edited_message(
    state: BotState, user: User, chat: Chat | User | int, message_id: int, content: JSON
) -> JSON:
    """A user's earlier message as Telegram sends it after an edit: same id and date, new edit_date."""
    where = state.resolve_chat(chat)
    original = state.user_messages.get((where.id, message_id))
    if original is None:
        raise KeyError(f"no user message {where.id}/{message_id} to edit")
    kept = {k: v for k, v in original.items() if k not in ("text", "entities", "location")}
    edited: JSON = kept | {"from": user.to_api(), "edit_date": now()} | content
    state.user_messages[(where.id, message_id)] = edited
    return edited


def callback_query(
    state: BotState, user: User, chat: Chat | User | int, message_id: int, data: str
) -> tuple[str, JSON]:
    state.add_user(user)
    where = state.resolve_chat(chat)
    query_id = str(next(_callback_ids))
    sent = state.find_sent(where.id, message_id)
    if sent is not None:
        message = state.message_json(sent)
    else:
        # Telegram sends an InaccessibleMessage (date 0) when it cannot show the message.
        message = state.user_messages.get((where.id, message_id)) or {
            "chat": where.to_api(),
            "message_id": message_id,
            "date": 0,
        }
    payload: JSON = {
        "id": query_id,
        "from": user.to_api(),
        "chat_instance": str(-where.id * 7919 % 2**61),
        "message": message,
        "data": data,
    }
    state.pending_callbacks.add(query_id)
    return query_id, payload


def bot_added(state: BotState, user: User, chat: Chat | User | int) -> tuple[JSON, JSON]:
    state.add_user(user)
    where = state.resolve_chat(chat)
    state.member_status[(where.id, state.bot.id)] = "member"
    member_update: JSON = {
        "chat": where.to_api(),
        "from": user.to_api(),
        "date": now(),
        "old_chat_member": {"user": state.bot.to_api(), "status": "left"},
        "new_chat_member": {"user": state.bot.to_api(), "status": "member"},
    }
    service = user_message(state, user, where, {"new_chat_members": [state.bot.to_api()]})
    return member_update, service
