"""The one value type the radio edge hands to the application."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RadioMessage:
    """A text received on Mumble.

    ``channel`` is the channel name it was said in, or None for a private
    message to the bot; ``text`` is plain text (HTML stripped and unescaped).
    """

    sender: str
    channel: str | None
    text: str
