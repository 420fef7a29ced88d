"""A TCP relay in front of a server, for one client process: it can go silent (a network cut as the
client sees it), and it notes when each HTTP request line passes (which process asked the Bot API what,
and when), so a test can tell two bot processes apart on one fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field

REQUEST_LINE = re.compile(rb"(?:GET|POST) /bot[^/\s]+/(\w+) HTTP/1\.[01]")


@dataclass
class Relay:
    port: int  # the server's
    frozen: asyncio.Event = field(default_factory=asyncio.Event)
    requests: list[tuple[float, str]] = field(default_factory=list)  # (wall time, Bot API method)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def methods_after(self, when: float) -> list[tuple[float, str]]:
        return [(t, m) for t, m in self.requests if t > when]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    if self.frozen.is_set():
                        await asyncio.Event().wait()  # swallow everything from now on
                    if upstream:
                        now = time.time()
                        self.requests += [(now, m.decode()) for m in REQUEST_LINE.findall(data)]
                    dst.write(data)
                    await dst.drain()
            if self.frozen.is_set():
                await asyncio.Event().wait()  # silent, even about the other side going away
            # One side closed (a process killed): close the other, as the kernel would end to end.
            dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        except asyncio.CancelledError:
            writer.close()
            up_writer.close()
        finally:
            self._tasks.discard(task)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
