"""A fake Telegram Bot API server over real HTTP on 127.0.0.1, for end-to-end tests."""

from .model import ApiError, Call, Chat, SentMessage, User
from .server import FakeBotApi

__all__ = ["ApiError", "Call", "Chat", "FakeBotApi", "SentMessage", "User"]
