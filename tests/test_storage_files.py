"""The database holds caller numbers: its files are 0600 in a 0700 folder, whatever the umask."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from storage.uow import Store

# File and folder modes of the SQLite file and its -wal/-shm: PostgreSQL keeps its own files.
pytestmark = pytest.mark.sqlite_only


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


async def test_embedded_murmur_still_starts_below_the_private_folder() -> None:
    """`make run`'s layout: var/dispatch.sqlite3 and the embedded murmurd's var/murmur/server. Run as
    root, murmurd drops to mumble-server, which must still reach its own folder through var/: var/
    gets the traverse bit for others (0701, no listing), and the database files stay 0600."""
    if os.geteuid() != 0:
        pytest.skip("murmurd keeps the caller's user unless started as root")
    from radio_bridge.murmur import EmbeddedMurmur, free_port

    base = Path(tempfile.mkdtemp(prefix="db-murmur-", dir="/tmp"))  # not tmp_path: see radio_fixtures
    try:
        os.chmod(base, 0o755)
        path = base / "var" / "dispatch.sqlite3"
        old = os.umask(0o022)
        try:
            await _open_and_write(path)
            assert mode(path.parent) == 0o700
            murmur = EmbeddedMurmur(path.parent / "murmur" / "server", free_port(), "rahasia-uji")
            try:
                await murmur.start(within=20)
                assert murmur.running
            finally:
                await murmur.stop()
        finally:
            os.umask(old)
        assert mode(path.parent) & 0o077 == 0o001  # traverse only: nobody else lists or writes it
        assert mode(path) == 0o600
    finally:
        shutil.rmtree(base, ignore_errors=True)


async def test_traverse_only_folder_is_kept(tmp_path: Path) -> None:
    """0701 (set for the embedded murmurd) is not loosened nor flipped back to 0700 on every start."""
    folder = tmp_path / "var"
    folder.mkdir()
    folder.chmod(0o701)
    await _open_and_write(folder / "dispatch.sqlite3")
    assert mode(folder) == 0o701
