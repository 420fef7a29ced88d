"""What the application needs from the outside, and the one error the edges translate into."""

from __future__ import annotations

from typing import Protocol

Buttons = list[list[tuple[str, str]]]


class DeliveryError(Exception):
    """A failed send. retry_after: the server asked us to wait; permanent: retrying cannot help;
    uncertain: the message may have arrived anyway (a timeout)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False,
                 uncertain: bool = False, gone: bool = False, migrated_to: int | None = None,
                 chat_gone: bool = False) -> None:  # fmt: skip
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.uncertain = uncertain
        self.gone = gone  # the message to edit no longer exists
        self.migrated_to = migrated_to  # the group became a supergroup with this new chat id
        self.chat_gone = chat_gone  # the bot was removed from the chat or may not post there


class TelegramPort(Protocol):
    async def send_text(self, chat_id: int, html: str, buttons: Buttons | None = None,
                        *, force_reply: bool = False) -> int: ...  # fmt: skip

    async def edit_text(self, chat_id: int, message_id: int, html: str, buttons: Buttons | None) -> None: ...

    async def send_photo(self, chat_id: int, png: bytes, caption_html: str) -> int: ...

    async def send_document(self, chat_id: int, data: bytes, filename: str, caption_html: str) -> int: ...
    async def send_voice(self, chat_id: int, ogg: bytes, caption_html: str) -> int: ...

    async def leave_chat(self, chat_id: int) -> None: ...
