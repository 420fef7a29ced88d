"""The fake Telegram Bot API now lives in the product (sandbox/botapi): one fake for the sandbox and the
tests. This re-export keeps `from tests.botapi import FakeBotApi` and `tests.botapi.model` working."""

import sys

from sandbox.botapi import (
    ApiError,
    Call,
    Chat,
    FakeBotApi,
    SentMessage,
    User,
    changes,
    methods,
    model,
    players,
    server,
    state,
    tghtml,
)

for _module in (changes, methods, model, players, server, state, tghtml):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[-1]}"] = _module

__all__ = ["ApiError", "Call", "Chat", "FakeBotApi", "SentMessage", "User"]
