"""Secret files and private folders for the embedded Mumble server.

A secret is created with mode 0600 in the same ``open`` call that creates it
(``O_CREAT`` with a mode, then ``fchmod`` in case the file already existed with
a wider one), so there is no moment at which another user could read it, and a
failure half-way leaves nothing readable behind. Folders that hold secrets are
0700 (or 0701 when run as root: murmurd, as mumble-server, may pass through to
its own data folder without listing ours).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

SECRET_MODE = 0o600


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by the owner only, from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, SECRET_MODE)
    try:
        # An existing file keeps its old mode through O_CREAT: narrow it before writing.
        os.fchmod(fd, SECRET_MODE)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def stored_secret(path: Path) -> str:
    """The secret kept in ``path``; generated (0600) on first use."""
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        if path.stat().st_mode & 0o077:
            path.chmod(SECRET_MODE)  # left wide by an older version of this code
        return existing
    value = secrets.token_urlsafe(18)
    try:
        write_secret(path, value + "\n")
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return value


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700 (0701 is kept: murmur.py lets murmurd through)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) not in (0o700, 0o701):
        path.chmod(0o700)
    return path
