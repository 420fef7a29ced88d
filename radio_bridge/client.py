"""A pymumble client that reports its own death promptly.

pymumble 1.6.1 swallows socket EOF: after the server goes away ``recv()``
returns ``b""`` forever and the thread spins at full CPU until its 10 s ping
fails. We read the control socket ourselves and treat an empty read as the end
of the connection (measured: loss noticed in well under 100 ms). The thread is
a daemon so a forgotten client never blocks interpreter exit, and it tells its
owner when it ends through ``on_exit`` (called on the pymumble thread).
We always run with ``reconnect=False``: the asyncio side builds a fresh client
after a loss, because a pymumble object whose thread ended blocks forever.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from radio_bridge.compat import load_pymumble

load_pymumble()
from pymumble_py3 import constants as C  # noqa: E402
from pymumble_py3 import messages, mumble_pb2  # noqa: E402
from pymumble_py3 import mumble as pymumble_mumble  # noqa: E402
from pymumble_py3.mumble import Mumble  # noqa: E402

# A crashed or restarted server closes the socket and is noticed at once. A frozen
# server or a cut cable closes nothing, so we also ping often and call the link lost
# when the server has said nothing (pong, state, audio) for SILENCE_LIMIT seconds.
# With the 0.2 s check in seat.py this keeps detection under the 2 s contract.
PING_EVERY = 0.4
SILENCE_LIMIT = 1.2
pymumble_mumble.PYMUMBLE_PING_DELAY = PING_EVERY  # read by Mumble.loop() as a module global


__all__ = ["SILENCE_LIMIT", "BridgeMumble", "C", "threadsafe"]


class BridgeMumble(Mumble):  # type: ignore[misc]  # pymumble ships no types
    receive_buffer: bytes  # set by pymumble's init_connection()

    def __init__(self, *args: Any, on_exit: Callable[[], None] | None = None, **kwargs: Any) -> None:
        kwargs["reconnect"] = False
        super().__init__(*args, **kwargs)
        self.daemon = True
        # pymumble adds a stderr handler per instance; a bridge that reconnects for
        # weeks would pile them up. Its records go to the root logger instead.
        for handler in list(self.Log.handlers):
            self.Log.removeHandler(handler)
        self._on_exit = on_exit
        self._closing = False
        self.last_heard = time.monotonic()
        self.failure: BaseException | None = None
        self.on_text: Callable[[Any], None] | None = None

    # -- thread lifecycle -------------------------------------------------
    def run(self) -> None:
        try:
            super().run()
        except BaseException as exc:  # rejected, refused, or our close() raced the loop
            self.failure = exc
        finally:
            self.connected = C.PYMUMBLE_CONN_STATE_NOT_CONNECTED
            if self._on_exit is not None:
                self._on_exit()

    def loop(self) -> None:
        if not self._closing:
            super().loop()

    def close(self) -> None:
        """Ask the thread to end; safe from any thread and at any stage."""
        self._closing = True
        self.exit = True
        sock = getattr(self, "control_socket", None)
        if sock is not None:
            try:
                # Wakes the select() in the loop: the read sees EOF and the loop ends.
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def is_connected(self) -> bool:
        return bool(self.connected == C.PYMUMBLE_CONN_STATE_CONNECTED and self.is_alive())

    # -- socket reading with EOF detection --------------------------------
    def read_control_messages(self) -> None:
        sock = self.control_socket
        while True:
            try:
                chunk = sock.recv(C.PYMUMBLE_READ_BUFFER_SIZE)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                break  # a partial TLS record: nothing to hand out yet
            except OSError:
                chunk = b""
            if not chunk or self._closing:
                self.connected = C.PYMUMBLE_CONN_STATE_NOT_CONNECTED
                return
            self.receive_buffer += chunk
            self.last_heard = time.monotonic()
            # TLS may hold decrypted bytes that select() cannot see: drain them now.
            if not sock.pending():
                break

        while len(self.receive_buffer) >= 6:
            (msg_type, size) = struct.unpack("!HL", self.receive_buffer[:6])
            if len(self.receive_buffer) < size + 6:
                break
            message = self.receive_buffer[6 : size + 6]
            self.receive_buffer = self.receive_buffer[size + 6 :]
            self.dispatch_control_message(msg_type, message)

    # -- ordered text delivery ---------------------------------------------
    def dispatch_control_message(self, type: int, message: bytes) -> None:
        # pymumble runs text callbacks on a fresh thread per message, so two quick
        # commands ("!terima 42", "!status 42 tiba") could arrive swapped. We call
        # our handler inline on the client thread instead, in arrival order.
        if type == C.PYMUMBLE_MSG_TYPES_TEXTMESSAGE and self.on_text is not None:
            mess = mumble_pb2.TextMessage()
            mess.ParseFromString(message)
            self.on_text(mess)
            return
        super().dispatch_control_message(type, message)

    # -- commands with a deadline ----------------------------------------
    def run_command(self, cmd: Any, timeout: float) -> bool:
        """Queue a pymumble command and wait (blocking) until the thread sent it.

        pymumble's own ``execute_command`` waits forever when the thread is dead;
        here the wait is bounded so a worker thread never leaks.
        """
        if not self.is_connected:
            return False
        lock: threading.Lock = self.commands.new_cmd(cmd)
        if lock.acquire(timeout=timeout):
            lock.release()
            return True
        return False


def threadsafe(loop: asyncio.AbstractEventLoop, fn: Callable[..., object], *args: object) -> None:
    """Hand a call from the pymumble thread to the event loop.

    A callback can fire after the loop closed (the client thread outlives a test or a
    shutdown); there is nobody left to tell, so it is dropped.
    """
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:
        pass


def text_to_channel(client: BridgeMumble, channel_id: int, html: str) -> Any:
    return messages.TextMessage(client.users.myself_session, channel_id, html)


def text_to_user(session: int, text: str) -> Any:
    return messages.TextPrivateMessage(session, text)


def move_to(session: int, channel_id: int) -> Any:
    return messages.MoveCmd(session, channel_id)


def create_channel(parent_id: int, name: str) -> Any:
    return messages.CreateChannel(parent_id, name, False)
