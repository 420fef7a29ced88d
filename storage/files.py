"""The database file holds caller numbers: 0600 files in a 0700 folder, whatever the umask."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)
FILE_MODE = 0o600
DIR_MODE = 0o700
SIDE_FILES = ("-wal", "-shm", "-journal")


def prepare_private(path: Path) -> None:
    """Create the folder 0700 and an empty database file 0600 before SQLite opens it.

    SQLite creates -wal, -shm and -journal with the main file's mode, so a 0600 main file keeps them
    0600 too. Files an older version left looser are tightened. An existing folder is tightened when
    it is ours (our user owns it) and not a shared one (sticky, like /tmp) nor the home folder."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        folder.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask
    else:
        _tighten_folder(folder)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for target in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        if target.exists() and stat.S_IMODE(target.stat().st_mode) & 0o077:
            target.chmod(FILE_MODE)


def _tighten_folder(folder: Path) -> None:
    info = folder.stat()
    # Others' bare traverse bit is allowed: the embedded murmurd (as mumble-server) passes through to
    # its own folder below (radio_bridge/murmur.py); without read it lists nothing, files are 0600.
    loose = stat.S_IMODE(info.st_mode) & 0o076
    if not loose:
        return
    shared = info.st_mode & stat.S_ISVTX or folder.resolve() in (Path.home().resolve(), Path("/"))
    if info.st_uid == os.geteuid() and not shared:
        folder.chmod(stat.S_IMODE(info.st_mode) & ~0o077)
    else:
        log.warning("folder %s is readable by others; the database files in it are 0600", folder)
