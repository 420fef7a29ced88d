"""Issue 15 (murmurd part): the SuperUser password never on a command line, secret files 0600 from the start."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import MumbleSettings, Settings
from radio_bridge.bridge import _embedded_secret
from radio_bridge.murmur import EmbeddedMurmur, free_port
from radio_bridge.secret_files import private_dir

pytestmark = pytest.mark.radio
PASSWORD = "sangat-rahasia-8f3a2c"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def murmur_dir() -> Iterator[Path]:
    # Not tmp_path: murmurd runs as mumble-server and cannot traverse /tmp/pytest-of-root.
    path = Path(tempfile.mkdtemp(prefix="radio-murmur-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


class CmdlineScanner:
    """Reads every /proc/*/cmdline in a loop until stopped: what `ps` shows to any local user."""

    def __init__(self, secret: str, marker: str) -> None:
        self.secret, self.marker = secret.encode(), marker.encode()
        self.leaks: list[str] = []
        self.saw_murmurd = False
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CmdlineScanner:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.scans += 1
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                        cmdline = f.read()
                except OSError:
                    continue
                if b"murmurd" in cmdline and self.marker in cmdline:
                    self.saw_murmurd = True
                if self.secret in cmdline:
                    self.leaks.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))


async def test_superuser_password_never_on_a_command_line(murmur_dir: Path) -> None:
    server = EmbeddedMurmur(murmur_dir / "server", free_port(), PASSWORD)
    command = server.supw_command()
    assert "-readsupw" in command and not any(PASSWORD in arg for arg in command)  # stdin carries it
    with CmdlineScanner(PASSWORD, str(murmur_dir)) as scanner:
        # A fresh database: murmurd spends ~1 s on its PBKDF2 benchmark while setting the password.
        await server.start()
        await server.ensure_channels(["Dispatch"])  # the password set this way really works
        await server.stop()
    assert scanner.saw_murmurd, f"the scan never caught murmurd ({scanner.scans} scans): proves nothing"
    assert scanner.leaks == []


async def test_murmur_folder_and_ini_are_private(murmur_dir: Path) -> None:
    workdir = murmur_dir / "server"
    server = EmbeddedMurmur(workdir, free_port(), PASSWORD, server_password="sandi-server")
    await server.start()
    try:
        assert _mode(workdir) == 0o700
        assert _mode(server.ini) == 0o600  # it holds the server password
        assert "sandi-server" in server.ini.read_text()
        assert PASSWORD not in server.ini.read_text()
    finally:
        await server.stop()


def test_secret_file_is_never_readable_by_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash between creating a secret file and restricting it must not leave it readable."""
    data_dir = tmp_path / "murmur"
    settings = Settings(mumble=MumbleSettings(data_dir=str(data_dir)))
    real_chmod = os.chmod

    def killed_before_chmod_of_a_file(path: object, mode: int, *args: object, **kwargs: object) -> None:
        if os.path.isfile(path):  # type: ignore[arg-type]
            raise OSError("simulated kill between writing a file and setting its mode")
        real_chmod(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "chmod", killed_before_chmod_of_a_file)
    old_umask = os.umask(0)  # the worst case a service may be started with
    try:
        try:
            _embedded_secret(settings)
        except OSError:
            pass
    finally:
        os.umask(old_umask)
    secret = data_dir / "superuser.secret"
    assert secret.exists()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files and all(_mode(p) == 0o600 for p in files), {str(p): oct(_mode(p)) for p in files}
    assert _mode(data_dir) == 0o700


async def test_murmurd_reaches_its_folder_under_a_private_database_folder(murmur_dir: Path) -> None:
    """var/ may be 0700 (it holds the database); run as root, murmurd (mumble-server) must still reach
    var/murmur/server, and nothing there becomes readable: the folders only let it pass (0701)."""
    if os.geteuid() != 0:
        pytest.skip("only root hands murmurd to the mumble-server user")
    var = murmur_dir / "var"
    var.mkdir(mode=0o700)
    var.chmod(0o700)
    (var / "dispatch.sqlite3").write_text("")
    (var / "dispatch.sqlite3").chmod(0o600)
    data_dir = private_dir(var / "murmur")
    server = EmbeddedMurmur(data_dir / "server", free_port(), PASSWORD)
    await server.start()
    try:
        await server.ensure_channels(["Dispatch"])
    finally:
        await server.stop()
    private_dir(data_dir)  # the next start keeps the pass-through bit: no flip-flop
    for folder in (var, data_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o701
    assert stat.S_IMODE((var / "dispatch.sqlite3").stat().st_mode) == 0o600
