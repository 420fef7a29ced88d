"""Import pymumble 1.6.1 in a way that survives newer Pythons and protobufs.

pymumble ships protobuf 3 generated code and calls ``ssl.wrap_socket`` inside
its own thread. Both break silently on newer stacks (see notes/mumble.md):
protobuf >= 4.21 refuses old descriptors unless the pure-python backend is
chosen before the first import, and Python >= 3.12 removed ``ssl.wrap_socket``
so ``is_ready()`` would hang forever. Every module of the bridge imports
pymumble through ``load_pymumble()`` so the fixes are applied first.
"""

from __future__ import annotations

import importlib
import os
import ssl
import types
from typing import Any


def _install_wrap_socket_shim() -> None:
    # Only when missing: on 3.11 the stdlib version is used unchanged.
    if hasattr(ssl, "wrap_socket"):
        return

    def wrap_socket(
        sock: Any,
        keyfile: str | None = None,
        certfile: str | None = None,
        server_side: bool = False,
        ssl_version: int | None = None,
        **_: Any,
    ) -> ssl.SSLSocket:
        # Mumble servers use self-signed certificates: pymumble never verified them either.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if certfile:
            ctx.load_cert_chain(certfile, keyfile)
        return ctx.wrap_socket(sock, server_side=server_side)

    ssl.wrap_socket = wrap_socket  # type: ignore[assignment,attr-defined,unused-ignore]


def load_pymumble() -> types.ModuleType:
    """Return the ``pymumble_py3`` package with the compatibility fixes applied."""
    os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
    _install_wrap_socket_shim()
    return importlib.import_module("pymumble_py3")
