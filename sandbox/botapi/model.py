"""Plain data the fake server records and the tests assert on."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, NamedTuple

JSON = dict[str, Any]


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "username"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class SentMessage:
    """A message the bot sent; `edits` holds earlier versions, oldest first."""

    chat_id: int
    message_id: int
    text: str | None
    date: int
    accepted_at: float  # time.monotonic() when the server accepted it, for pacing tests
    html: str | None = None
    parse_mode: str | None = None
    entities: list[JSON] | None = None
    reply_markup: JSON | None = None
    photo: bytes | None = None
    document: bytes | None = None
    voice: bytes | None = None  # sendVoice / sendAudio content
    media_field: str | None = None  # "voice" or "audio"
    filename: str | None = None
    file_id: str | None = None
    caption: str | None = None
    location: tuple[float, float] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    force_reply: bool = False  # asked the client for a reply (ForceReply is not echoed back)
    edits: list[SentMessage] = field(default_factory=list)
    deleted: bool = False

    @property
    def current_text(self) -> str:
        """Text or caption, whichever the message carries, for substring matching."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[JSON]:
        """Inline keyboard buttons flattened in reading order."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def snapshot(self) -> SentMessage:
        return dataclasses.replace(self, edits=[])


class Call(NamedTuple):
    method: str
    params: JSON
    http_status: int


class ApiError(Exception):
    """An error answer; the HTTP status is the envelope's error_code, as Telegram does."""

    def __init__(self, status: int, description: str | None = None, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None):  # fmt: skip
        self.status = status
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id
        self.description = description or default_description(status, retry_after)
        super().__init__(self.description)

    def envelope(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


def default_description(status: int, retry_after: int | None = None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    if status == 409:
        return "Conflict: terminated by other getUpdates request"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class Fault:
    status: int
    retry_after: int | None
    description: str | None


@dataclass
class Delay:
    seconds: float
    deliver: bool


def max_in_window(times: list[float], window_s: float) -> int:
    """Most of `times` inside any window of window_s seconds."""
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best
