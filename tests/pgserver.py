"""A real PostgreSQL for the tests: Debian's server binaries started as a child process.

One cluster per test session (``initdb`` in a temporary folder, a free port on 127.0.0.1, trust
authentication on loopback), one fresh database per test. ``initdb`` and ``postgres`` refuse to run as
root, so as root (CI) the folder belongs to the ``postgres`` user and both run under ``runuser``, as the
radio tests run murmurd under its own user.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BIN_DIRS = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15)]
USER = "postgres"


def bin_dir() -> Path | None:
    for folder in BIN_DIRS:
        if (folder / "postgres").exists():
            return folder
    return None


def available() -> bool:
    return bin_dir() is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", USER, "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class PgCluster:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    _databases: list[str] = field(default_factory=list)

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh empty database; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self.dsn(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        binary = bin_dir()
        assert binary is not None
        out = subprocess.run(
            [str(binary / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, self.dsn(database)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return out.stdout.decode().strip()

    def stop(self) -> None:
        """SIGQUIT (immediate shutdown: nothing to keep in a test cluster) to the postmaster itself
        and to runuser's process group: as root the Popen child is runuser, which does not pass the
        signal on, and killing it alone left the server running."""
        postmaster = self._postmaster_pid()
        for pid in (postmaster, self.process.pid):
            if pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGQUIT)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGQUIT)
        deadline = time.monotonic() + 10
        while postmaster is not None and _alive(postmaster) and time.monotonic() < deadline:
            time.sleep(0.02)
        if postmaster is not None and _alive(postmaster):
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_cluster() -> PgCluster:
    binary = bin_dir()
    if binary is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="dispatch-pg-", dir="/tmp"))
    data = folder / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, USER, USER)
        shutil.chown(data, USER, USER)
    subprocess.run(
        _as_owner([str(binary / "initdb"), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C.UTF-8",
                   "-D", str(data)]),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = _free_port()
    log = open(folder / "server.log", "wb")  # the server writes it until stop()
    process = subprocess.Popen(
        _as_owner([str(binary / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
                   "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300",
                   "-c", "shared_buffers=64MB"]),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    log.close()
    cluster = PgCluster(folder, port, process)
    atexit.register(cluster.stop)
    deadline = time.monotonic() + 60
    while True:
        try:
            cluster.psql("SELECT 1")
            return cluster
        except subprocess.CalledProcessError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "server.log").read_text()[-2000:]
                cluster.stop()
                raise RuntimeError("PostgreSQL did not start: " + tail) from exc
            time.sleep(0.05)
