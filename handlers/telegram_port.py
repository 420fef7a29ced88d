"""Outgoing Telegram through PTB's Bot; library errors become our DeliveryError."""

from __future__ import annotations

from datetime import timedelta

import httpx
from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.ports import Buttons, DeliveryError

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _markup(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if buttons is None:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in buttons]
    )


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# The request never reached Telegram: nothing can have been delivered.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _reached_server(exc: Exception) -> bool:
    """A network error after the request may have been read (a read timeout, a dropped connection)."""
    cause = exc.__cause__
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, _NOT_SENT)


def translate(exc: Exception) -> DeliveryError:
    """Sort a failure into: wait (429), give up (permanent), or retry; and a retry into certainly not
    delivered (a 5xx or 429 answer, a refused connection) or uncertain (it may have arrived)."""
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"429: {exc}", retry_after=_seconds(exc.retry_after))
    if isinstance(exc, TimedOut):
        return DeliveryError(f"timeout: {exc}", uncertain=_reached_server(exc))
    if isinstance(exc, BadRequest):
        text = str(exc).lower()
        if "message to edit not found" in text or "message can't be edited" in text:
            return DeliveryError(str(exc), gone=True)
        if "not enough rights" in text or "have no rights" in text:
            return DeliveryError(f"400: {exc}", permanent=True, chat_gone=True)
        return DeliveryError(f"400: {exc}", permanent=True)
    if isinstance(exc, ChatMigrated):
        return DeliveryError(f"ChatMigrated: {exc}", permanent=True, migrated_to=int(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return DeliveryError(f"Forbidden: {exc}", permanent=True, chat_gone=True)
    if isinstance(exc, InvalidToken):
        # A 401/404 while running is an odd answer, not a verdict: the token passed getMe at start.
        return DeliveryError(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, NetworkError):
        return DeliveryError(f"network: {exc}", uncertain=_reached_server(exc))
    if isinstance(exc, TelegramError):
        # e.g. a 200 whose body is not JSON: Telegram answered, so the message may well be there.
        return DeliveryError(f"{type(exc).__name__}: {exc}", uncertain=True)
    return DeliveryError(f"{type(exc).__name__}: {exc}", uncertain=True)


class PtbTelegramPort:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, chat_id: int, html: str, buttons: Buttons | None = None,
                        *, force_reply: bool = False) -> int:  # fmt: skip
        markup = ForceReply(selective=True) if force_reply else _markup(buttons)
        try:
            message = await self.bot.send_message(
                chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
            )
        except Exception as exc:
            raise translate(exc) from exc
        return message.message_id

    async def edit_text(self, chat_id: int, message_id: int, html: str, buttons: Buttons | None) -> None:
        try:
            await self.bot.edit_message_text(
                html, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                reply_markup=_markup(buttons) or InlineKeyboardMarkup([]), link_preview_options=NO_PREVIEW,
            )  # fmt: skip
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return  # the card already shows this state: a coalesced or repeated edit
            raise translate(exc) from exc
        except Exception as exc:
            raise translate(exc) from exc

    async def send_photo(self, chat_id: int, png: bytes, caption_html: str) -> int:
        try:
            message = await self.bot.send_photo(chat_id, png, caption=caption_html, parse_mode=ParseMode.HTML)
        except Exception as exc:
            raise translate(exc) from exc
        return message.message_id

    async def send_document(self, chat_id: int, data: bytes, filename: str, caption_html: str) -> int:
        try:
            message = await self.bot.send_document(
                chat_id, data, filename=filename, caption=caption_html, parse_mode=ParseMode.HTML
            )
        except Exception as exc:
            raise translate(exc) from exc
        return message.message_id

    async def send_voice(self, chat_id: int, ogg: bytes, caption_html: str) -> int:
        try:
            message = await self.bot.send_voice(chat_id, ogg, caption=caption_html, parse_mode=ParseMode.HTML)
        except Exception as exc:
            raise translate(exc) from exc
        return message.message_id

    async def leave_chat(self, chat_id: int) -> None:
        try:
            await self.bot.leave_chat(chat_id)
        except Exception as exc:
            raise translate(exc) from exc
