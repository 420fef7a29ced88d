"""What the console shows, read from the fake Bot API's state and the bot's settings only.

People and groups come from the fake Telegram (users, chats, member_status), roles from the settings'
[access] and [chats], so whatever sets up the roster (settings today, /undang later) shows here."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.settings import Settings
from sandbox.botapi import FakeBotApi
from sandbox.botapi.model import JSON, SentMessage

MEMBER = frozenset({"member", "administrator", "creator"})
# Shown when the bot has not published its commands (setMyCommands) yet.
STATIC_COMMANDS = [
    ("baru", "catat kejadian baru"), ("prank", "catat panggilan prank"), ("ghost", "catat panggilan kosong"),
    ("info", "catat permintaan informasi"), ("aktif", "kejadian terbuka"), ("lihat", "riwayat satu kejadian"),
    ("tambah", "tambah instansi"), ("tutup", "tutup kejadian"), ("batal", "batalkan kejadian"),
    ("blokir", "blokir nomor"), ("laporan", "laporan hari|minggu|bulan|tahun"), ("bantu", "bantuan"),
]  # fmt: skip
_HREF = re.compile(r'<a href="(?!https?://)[^"]*">')


@dataclass
class Answer:
    query_id: str
    text: str


def roles(settings: Settings) -> dict[int, str]:
    found: dict[int, str] = {}
    for role, ids in (("admin", settings.access.admins), ("supervisor", settings.access.supervisors),
                      ("call_taker", settings.access.call_takers)):  # fmt: skip
        for user_id in ids:
            found.setdefault(user_id, role)
    return found


def chat_kind(settings: Settings, chat_id: int) -> tuple[str, str | None]:
    if chat_id == settings.chats.call_takers:
        return "call_takers", None
    if chat_id == settings.chats.supervisors:
        return "supervisors", None
    for code, agency in settings.agencies.items():
        if agency.chat_id == chat_id:
            return "agency", code
    return ("private", None) if chat_id > 0 else ("group", None)


def members(api: FakeBotApi, chat_id: int) -> list[int]:
    if chat_id > 0:
        return [chat_id]
    bot = api.bot_user.id
    return sorted(u for (c, u), status in api.state.member_status.items()
                  if c == chat_id and u != bot and status in MEMBER)  # fmt: skip


def safe_html(raw: str) -> str:
    """The bot's Telegram HTML (already validated by the fake's parser), links limited to http(s)."""
    return _HREF.sub('<a href="#">', raw).replace("<a href=", '<a target="_blank" rel="noopener" href=')


def bot_message(m: SentMessage) -> JSON:
    body = m.html if m.html is not None else html.escape(m.current_text)
    data: JSON = {
        "id": m.message_id, "from": "bot", "sender": "Dispatch 112", "date": m.date, "html": safe_html(body),
        "buttons": [[{"text": b.get("text", ""), "data": b.get("callback_data"), "url": b.get("url")}
                     for b in row] for row in (m.reply_markup or {}).get("inline_keyboard", [])],
        "edits": len(m.edits), "deleted": m.deleted, "force_reply": m.force_reply,
        "reply_to": m.reply_to_message_id,
    }  # fmt: skip
    if m.photo is not None:
        data["photo"] = f"/api/file/{m.file_id}"
    if m.document is not None:
        data["document"] = {"url": f"/api/file/{m.file_id}", "name": m.filename or "berkas"}
    if m.location is not None:
        data["location"] = list(m.location)
    return data


def user_message(message: JSON) -> JSON:
    sender = message.get("from") or {}
    data: JSON = {
        "id": message["message_id"], "from": sender.get("id"), "sender": sender.get("first_name", "?"),
        "date": message.get("date"), "html": html.escape(str(message.get("text") or message.get("caption") or "")),
        "reply_to": (message.get("reply_to_message") or {}).get("message_id"), "buttons": [], "edits": 0,
    }  # fmt: skip
    if "location" in message:
        data["location"] = [message["location"]["latitude"], message["location"]["longitude"]]
    if "document" in message:
        data["document"] = {"url": f"/api/file/{message['document']['file_id']}",
                            "name": message["document"].get("file_name", "berkas")}  # fmt: skip
    if "new_chat_members" in message:
        joined = [m.get("first_name", "?") for m in message["new_chat_members"] if not m.get("is_bot")]
        data["service"] = f"bergabung: {', '.join(joined)}" if joined else "menambahkan bot ke grup"
    if "left_chat_member" in message:
        data["service"] = "keluar dari grup"
    if "migrate_to_chat_id" in message:
        data["service"] = f"grup ditingkatkan menjadi supergrup {message['migrate_to_chat_id']}"
    if "migrate_from_chat_id" in message:
        data["service"] = f"supergrup dibuat dari grup {message['migrate_from_chat_id']}"
    return data


def commands(api: FakeBotApi) -> list[JSON]:
    seen: dict[str, JSON] = {}
    for (scope, _lang), listed in sorted(api.state.commands.items()):
        for command in listed:
            entry = {
                "command": str(command.get("command")),
                "description": str(command.get("description", "")),
            }
            seen.setdefault(entry["command"], entry | {"scope": json.loads(scope).get("type", "default")})
    if seen:
        return list(seen.values())
    return [{"command": c, "description": d, "scope": "bawaan"} for c, d in STATIC_COMMANDS]


def snapshot(api: FakeBotApi, settings: Settings, extra: dict[str, Any]) -> JSON:
    by_role = roles(settings)
    people = [{"id": u.id, "name": u.first_name, "role": by_role.get(u.id, "responder")}
              for u in api.state.users.values() if not u.is_bot]  # fmt: skip
    chats = []
    for chat in api.state.chats.values():
        kind, agency = chat_kind(settings, chat.id)
        msgs = [bot_message(m) for m in api.messages_in(chat.id)]
        msgs += [user_message(m) for (c, _mid), m in api.state.user_messages.items() if c == chat.id]
        msgs.sort(key=lambda m: int(m["id"]))
        bot_status = api.state.member_status.get((chat.id, api.bot_user.id))
        chats.append({
            "id": chat.id, "title": chat.title or chat.first_name or str(chat.id), "type": chat.type,
            "kind": kind, "agency": agency, "members": members(api, chat.id), "messages": msgs,
            "bot_left": bot_status in ("left", "kicked"),
        })  # fmt: skip
    answers = {q: str(p.get("text") or "") for q, p in api.answered_callbacks.items()}
    return {"version": api.changes.version, "people": people, "chats": chats, "commands": commands(api),
            "answers": answers} | extra  # fmt: skip
