"""Every Bot API request this process makes passes here first: polling, the delivery worker's sends,
a handler's direct answer. On PostgreSQL the check is the lease's fence (bot/standby.py): a process that
is no longer sure it is the active one raises before the request is written, so it cannot deliver.

Checked twice: when PTB starts the request, and again at each write of its bytes to the socket (a
network backend wrapped around httpcore's). The second closes the window in which a request already
past the first check waits (for a pooled connection, or in a process stopped by the kernel) and then
goes out after the lease was lost."""

# ruff: noqa: ASYNC109 - the timeout parameters are httpcore's network-backend interface
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx
from telegram.request import HTTPXRequest

Fence = Callable[[], None]


class FencedRequest(HTTPXRequest):
    def __init__(self, fence: Fence, **kwargs: Any) -> None:
        self._fence = fence  # before super(): PTB builds its client in __init__
        super().__init__(**kwargs)

    def _build_client(self) -> httpx.AsyncClient:
        client = super()._build_client()
        # httpx 0.28 takes no network backend; its pool keeps one (pinned versions; tests/test_standby.py
        # fails loudly if this path changes, and so does start-up: an AttributeError here).
        pool = client._transport._pool  # type: ignore[attr-defined]
        pool._network_backend = _FencedBackend(pool._network_backend, self._fence)
        return client

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self._fence()  # raises storage.lease.LeaseLost (not an Exception: PTB must not wrap it)
        return await super().do_request(*args, **kwargs)


class _FencedStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream, fence: Fence) -> None:
        self._inner = inner
        self._fence = fence

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._fence()  # the last moment before the bytes leave
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:  # fmt: skip
        return _FencedStream(await self._inner.start_tls(ssl_context, server_hostname, timeout), self._fence)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _FencedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend, fence: Fence) -> None:
        self._inner = inner
        self._fence = fence

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:  # fmt: skip
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _FencedStream(stream, self._fence)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:  # fmt: skip
        return _FencedStream(
            await self._inner.connect_unix_socket(path, timeout, socket_options), self._fence
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
