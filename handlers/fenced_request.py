"""Every Bot API request this process makes passes here first: polling, the delivery worker's sends,
a handler's direct answer. On PostgreSQL the check is the lease's fence (bot/standby.py): a process that
is no longer sure it is the active one raises before the request is written, so it cannot deliver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.request import HTTPXRequest


class FencedRequest(HTTPXRequest):
    def __init__(self, fence: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fence = fence

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self._fence()  # raises storage.lease.LeaseLost (not an Exception: PTB must not wrap it)
        return await super().do_request(*args, **kwargs)
