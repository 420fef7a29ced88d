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


def voice_content(
    state: BotState,
    chat: Chat | User | int,
    audio: bytes,
    duration: float,
    reply_to_message_id: int | None,
    as_audio: str | None,
) -> JSON:
    file_id = f"U{len(state.files) + 1:06d}"
    folder = "music" if as_audio else "voice"
    state.files[file_id] = (f"{folder}/{file_id}_{as_audio or 'note.oga'}", audio)
    media: JSON = {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "duration": round(duration),
        "mime_type": "audio/mpeg" if as_audio and as_audio.endswith(".mp3") else "audio/ogg",
        "file_size": len(audio),
    }
    content: JSON = {"audio": media | {"file_name": as_audio}} if as_audio else {"voice": media}
    if reply_to_message_id is not None:
        quoted = state.quote(state.resolve_chat(chat).id, reply_to_message_id)
        if quoted is not None:
            content["reply_to_message"] = quoted
    return content


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
    member_update = bot_status_changed(state, user, chat, "member")
    where = state.resolve_chat(chat)
    service = user_message(state, user, where, {"new_chat_members": [state.bot.to_api()]})
    return member_update, service


_RESTRICTED_RIGHTS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
    "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
    "can_add_web_page_previews", "can_change_info", "can_invite_users", "can_pin_messages", "can_manage_topics",
    "can_edit_tag", "can_react_to_messages",
)  # fmt: skip
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories",
)  # fmt: skip


def member_json(state: BotState, status: str) -> JSON:
    """A ChatMember for the bot, complete for PTB 22.8 (which refuses one missing a field)."""
    data: JSON = {"user": state.bot.to_api(), "status": status}
    if status == "administrator":
        data |= {"can_be_edited": False, "is_anonymous": False} | {k: True for k in _ADMIN_RIGHTS}
    elif status == "restricted":
        data |= {"is_member": True, "until_date": 0} | {k: False for k in _RESTRICTED_RIGHTS}
    elif status == "kicked":
        data["until_date"] = 0
    return data


def bot_status_changed(state: BotState, user: User, chat: Chat | User | int, new: str) -> JSON:
    """my_chat_member as Telegram sends it when someone changes the bot's own status in a chat."""
    state.add_user(user)
    where = state.resolve_chat(chat)
    # The bot is in every group the fake knows until told otherwise, as getChatMember answers (an admin).
    old = state.member_status.get((where.id, state.bot.id), "administrator" if where.id < 0 else "member")
    state.member_status[(where.id, state.bot.id)] = new
    return {
        "chat": where.to_api(),
        "from": user.to_api(),
        "date": now(),
        "old_chat_member": member_json(state, old),
        "new_chat_member": member_json(state, new),
    }
