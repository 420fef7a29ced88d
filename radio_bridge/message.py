"""The one value type the radio edge hands to the application."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RadioMessage:
    """A text received on Mumble.

    ``channel`` is the channel name it was said in, or None for a private
    message to the bot; ``text`` is plain text (HTML stripped and unescaped).
    ``user_id`` is the server's id for a registered sender (None: not registered,
    so the name proves nothing), ``cert_hash`` the SHA-1 of its client certificate.
    Both come from the server, not from the sender.
    """

    sender: str
    channel: str | None
    text: str
    user_id: int | None = None
    cert_hash: str | None = None

    @property
    def registered(self) -> bool:
        return self.user_id is not None
