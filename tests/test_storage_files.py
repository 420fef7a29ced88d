"""The database holds caller numbers: its files are 0600 in a 0700 folder, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from storage.uow import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _open_and_write(path: Path) -> None:
    store = await Store.open(path)
    try:
        async with store.transaction(1.0) as tx:
            await tx.inbox.store([(1, {"update_id": 1})])
        # While open, the -wal and -shm files exist too.
        assert (path.parent / (path.name + "-wal")).exists()
        assert (path.parent / (path.name + "-shm")).exists()
        for suffix in ("", "-wal", "-shm"):
            assert mode(path.parent / (path.name + suffix)) == 0o600, suffix
    finally:
        await store.close()


async def test_new_database_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files 0644, folders 0755 unless we say otherwise
    try:
        path = tmp_path / "var" / "dispatch.sqlite3"
        await _open_and_write(path)
        assert mode(path.parent) == 0o700
        assert mode(path) == 0o600
    finally:
        os.umask(old)


async def test_existing_loose_files_and_our_folder_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "dispatch.sqlite3"
    old = os.umask(0o022)
    try:
        await _open_and_write(path)  # created 0600 now; loosen everything as an older version left it
        for suffix in ("", "-wal", "-shm"):
            target = folder / (path.name + suffix)
            if target.exists():
                target.chmod(0o644)
        await _open_and_write(path)
        assert mode(folder) == 0o700
    finally:
        os.umask(old)


async def test_shared_sticky_folder_is_left_alone(tmp_path: Path) -> None:
    """A folder like /tmp (sticky, world-writable) is not ours to change; the files still are."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    await _open_and_write(shared / "dispatch.sqlite3")
    assert mode(shared) == 0o1777
