"""Synchronous Bot API methods: each takes decoded params and returns the `result` value.

getUpdates is not here because it long-polls; the server handles it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from .model import JSON, ApiError, SentMessage, bad_request
from .state import BotState, now
from .tghtml import HtmlError, parse_html

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)

Files = dict[str, tuple[str, bytes]]  # multipart field -> (filename, content)
Handler = Callable[[BotState, JSON, Files], Any]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        # Telegram method names are case-insensitive.
        METHODS[name.lower()] = fn
        return fn

    return register


def as_int(params: JSON, key: str) -> int:
    value = params.get(key)
    if value is None or value == "":
        raise bad_request(f"{key} is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key} specified") from None


def _render(
    raw: str | None, params: JSON, entities_key: str
) -> tuple[str | None, str | None, list[JSON] | None]:
    """Apply parse_mode like Telegram: returns (plain text, raw html or None, entities)."""
    if raw is None:
        return None, None, None
    mode = str(params.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            parsed = parse_html(raw)
        except HtmlError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        return parsed.text, raw, parsed.entities or None
    # MarkdownV2 is not interpreted: the raw text is stored as-is.
    entities = params.get(entities_key)
    return raw, None, entities if isinstance(entities, list) and entities else None


def _markup(params: JSON) -> JSON | None:
    markup = params.get("reply_markup")
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
    # As on real Telegram, a message carries only an inline keyboard; ForceReply and reply
    # keyboards act on the client and are not echoed back in the Message object.
    return markup if "inline_keyboard" in markup else None


def _forces_reply(params: JSON) -> bool:
    markup = params.get("reply_markup")
    return isinstance(markup, dict) and bool(markup.get("force_reply"))


def _reply_to(params: JSON) -> int | None:
    if params.get("reply_to_message_id"):
        return int(params["reply_to_message_id"])
    reply = params.get("reply_parameters")
    if isinstance(reply, dict) and reply.get("message_id"):
        return int(reply["message_id"])
    return None


def _new_message(state: BotState, params: JSON, **fields: Any) -> SentMessage:
    chat = state.known_chat(params.get("chat_id"))
    state.check_can_post(chat)
    return SentMessage(
        chat_id=chat.id,
        message_id=state.new_message_id(chat.id),
        date=now(),
        accepted_at=time.monotonic(),
        parse_mode=params.get("parse_mode"),
        reply_markup=_markup(params),
        reply_to_message_id=_reply_to(params),
        force_reply=_forces_reply(params),
        **fields,
    )


@method("getMe")
def get_me(state: BotState, params: JSON, files: Files) -> JSON:
    return state.bot.to_api() | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
@method("close")
@method("sendChatAction")
def ok(state: BotState, params: JSON, files: Files) -> bool:
    if "chat_id" in params:
        state.known_chat(params["chat_id"])
    return True


@method("setWebhook")
def set_webhook(state: BotState, params: JSON, files: Files) -> bool:
    state.webhook_url = str(params.get("url") or "")
    return True


@method("deleteWebhook")
def delete_webhook(state: BotState, params: JSON, files: Files) -> bool:
    state.webhook_url = ""
    if str(params.get("drop_pending_updates")).lower() == "true":
        state.drop_pending()
    return True


@method("getWebhookInfo")
def get_webhook_info(state: BotState, params: JSON, files: Files) -> JSON:
    return {
        "url": state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }


@method("sendMessage")
def send_message(state: BotState, params: JSON, files: Files) -> JSON:
    state.check_can_post(state.known_chat(params.get("chat_id")))
    text, html, entities = _render(params.get("text"), params, "entities")
    if not text or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    sent = _new_message(state, params, text=text, html=html, entities=entities)
    return state.message_json(state.record(sent))


def _editable(state: BotState, params: JSON) -> SentMessage:
    if params.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the fake server")
    chat = state.known_chat(params.get("chat_id"))
    state.check_can_post(chat)
    sent = state.find_sent(chat.id, as_int(params, "message_id"))
    if sent is None:
        raise bad_request("message to edit not found")
    return sent


def _apply_edit(state: BotState, sent: SentMessage, changes: JSON, extra: JSON | None = None) -> JSON:
    """Telegram compares what users see (text, entities, markup), not the raw markup sent."""
    if all(getattr(sent, key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    sent.edits.append(sent.snapshot())
    for key, value in (changes | (extra or {})).items():
        setattr(sent, key, value)
    sent.edit_date = now()
    return state.message_json(sent)


@method("editMessageText")
def edit_message_text(state: BotState, params: JSON, files: Files) -> JSON:
    sent = _editable(state, params)
    if sent.text is None:
        raise bad_request("there is no text in the message to edit")
    text, html, entities = _render(params.get("text"), params, "entities")
    if not text or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    # Omitting reply_markup removes the inline keyboard, as on real Telegram.
    changes = {"text": text, "entities": entities, "reply_markup": _markup(params)}
    return _apply_edit(state, sent, changes, {"html": html, "parse_mode": params.get("parse_mode")})


@method("editMessageCaption")
def edit_message_caption(state: BotState, params: JSON, files: Files) -> JSON:
    sent = _editable(state, params)
    caption, html, entities = _render(params.get("caption"), params, "caption_entities")
    if caption is not None and len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    changes = {"caption": caption, "entities": entities, "reply_markup": _markup(params)}
    return _apply_edit(state, sent, changes, {"html": html, "parse_mode": params.get("parse_mode")})


@method("editMessageReplyMarkup")
def edit_message_reply_markup(state: BotState, params: JSON, files: Files) -> JSON:
    sent = _editable(state, params)
    return _apply_edit(state, sent, {"reply_markup": _markup(params)})


@method("deleteMessage")
def delete_message(state: BotState, params: JSON, files: Files) -> bool:
    chat = state.known_chat(params.get("chat_id"))
    sent = state.find_sent(chat.id, as_int(params, "message_id"))
    if sent is None:
        raise bad_request("message to delete not found")
    sent.deleted = True
    return True


@method("answerCallbackQuery")
def answer_callback_query(state: BotState, params: JSON, files: Files) -> bool:
    query_id = str(params.get("callback_query_id") or "")
    if query_id not in state.pending_callbacks:
        # Also what Telegram says to a second answer of the same query.
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    state.pending_callbacks.discard(query_id)
    state.answered_callbacks[query_id] = params
    return True


def _upload(state: BotState, params: JSON, files: Files, field: str, folder: str) -> tuple[str, str, bytes]:
    """Return (file_id, filename, content) for an uploaded file or a known file_id."""
    value = params.get(field)
    key = field
    if isinstance(value, str) and value.startswith("attach://"):
        key = value.removeprefix("attach://")
    if key in files:
        filename, content = files[key]
        file_id = f"F{len(state.files) + 1:06d}"
        state.files[file_id] = (f"{folder}/{file_id}_{filename}", content)
        return file_id, filename, content
    if isinstance(value, str) and value in state.files:
        path, content = state.files[value]
        return value, path.rsplit("_", 1)[-1], content
    if isinstance(value, str) and value:
        # An unknown file_id or URL: Telegram would fetch it; the fake keeps no content.
        return value, "remote", b""
    raise bad_request(f"there is no {field} in the request")


def _send_file(state: BotState, params: JSON, files: Files, field: str, folder: str) -> JSON:
    state.known_chat(params.get("chat_id"))
    caption, html, entities = _render(params.get("caption"), params, "caption_entities")
    if caption is not None and len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    file_id, filename, content = _upload(state, params, files, field, folder)
    kind: JSON = {"photo": content} if field == "photo" else {"document": content, "filename": filename}
    if field in ("voice", "audio"):
        kind = {"voice": content, "media_field": field}
    sent = _new_message(
        state, params, text=None, caption=caption, html=html, entities=entities, file_id=file_id, **kind
    )
    return state.message_json(state.record(sent))


@method("sendPhoto")
def send_photo(state: BotState, params: JSON, files: Files) -> JSON:
    return _send_file(state, params, files, "photo", "photos")


@method("sendDocument")
def send_document(state: BotState, params: JSON, files: Files) -> JSON:
    return _send_file(state, params, files, "document", "documents")


@method("sendVoice")
def send_voice(state: BotState, params: JSON, files: Files) -> JSON:
    return _send_file(state, params, files, "voice", "voice")


@method("sendAudio")
def send_audio(state: BotState, params: JSON, files: Files) -> JSON:
    return _send_file(state, params, files, "audio", "music")


@method("getFile")
def get_file(state: BotState, params: JSON, files: Files) -> JSON:
    file_id = str(params.get("file_id") or "")
    if file_id not in state.files:
        raise bad_request("invalid file_id")
    path, content = state.files[file_id]
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content), "file_path": path}


@method("sendLocation")
def send_location(state: BotState, params: JSON, files: Files) -> JSON:
    state.known_chat(params.get("chat_id"))
    try:
        where = (float(params["latitude"]), float(params["longitude"]))
    except (KeyError, TypeError, ValueError):
        raise bad_request("wrong latitude or longitude") from None
    sent = _new_message(state, params, text=None, location=where)
    return state.message_json(state.record(sent))


@method("leaveChat")
def leave_chat(state: BotState, params: JSON, files: Files) -> bool:
    chat = state.known_chat(params.get("chat_id"))
    state.left_chats.append(chat.id)
    state.member_status[(chat.id, state.bot.id)] = "left"
    return True


@method("getChat")
def get_chat(state: BotState, params: JSON, files: Files) -> JSON:
    chat = state.known_chat(params.get("chat_id"))
    # PTB 22.8 refuses a ChatFullInfo without these fields.
    return chat.to_api() | {
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def member_json(state: BotState, chat_id: int, user_id: int) -> JSON:
    """A ChatMember as getChatMember answers it (also what a my_chat_member update carries)."""
    return _member(state, chat_id, user_id)


def _member(state: BotState, chat_id: int, user_id: int) -> JSON:
    user = state.bot if user_id == state.bot.id else state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    default = "administrator" if user_id == state.bot.id and chat_id < 0 else "member"
    status = state.member_status.get((chat_id, user_id), default)
    data: JSON = {"user": user.to_api(), "status": status}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data |= {
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": False,
            "can_restrict_members": False,
            "can_promote_members": False,
            "can_change_info": False,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
        }
    elif status == "kicked":
        data["until_date"] = 0
    return data


@method("getChatMember")
def get_chat_member(state: BotState, params: JSON, files: Files) -> JSON:
    chat = state.known_chat(params.get("chat_id"))
    return _member(state, chat.id, as_int(params, "user_id"))


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


@method("setMyCommands")
def set_my_commands(state: BotState, params: JSON, files: Files) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    state.commands[_commands_key(params)] = commands
    return True


@method("getMyCommands")
def get_my_commands(state: BotState, params: JSON, files: Files) -> list[JSON]:
    return state.commands.get(_commands_key(params), [])


@method("deleteMyCommands")
def delete_my_commands(state: BotState, params: JSON, files: Files) -> bool:
    state.commands.pop(_commands_key(params), None)
    return True


def call(state: BotState, name: str, params: JSON, files: Files) -> Any:
    handler = METHODS.get(name.lower())
    if handler is None:
        raise ApiError(404, "Not Found")
    return handler(state, params, files)
