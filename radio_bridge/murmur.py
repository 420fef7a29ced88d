"""Run a private murmurd (Mumble server 1.3.4) as a child process.

Used by the tests and by a demo/standalone setup: the bridge needs a server,
and Debian's system service may already own port 64738, so we write our own
ini, database and port. Channels persist in the sqlite database in
``workdir``, so stopping and starting again in the same folder keeps them.

Secrets: the SuperUser password goes to ``murmurd -readsupw`` on its standard
input (``-supw PASS`` would show it to every local user in ``ps`` and
/proc/*/cmdline); the server password is in the ini, which is written 0600 in
a 0700 folder. Text limits stay at murmur's defaults (burst 5, then 1 message a
second per user): they are the server's own flood control, and the bridge paces
its own text to stay under them (seat.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from radio_bridge import admin
from radio_bridge.errors import RadioUnavailable
from radio_bridge.secret_files import write_secret

MURMURD = shutil.which("murmurd") or "/usr/sbin/murmurd"
SERVICE_USER = "mumble-server"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (murmurd also binds UDP on it; both were free in practice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _let_service_user_through(workdir: Path) -> None:
    """mumble-server must pass through the folders above its own. The database's folder is 0700 (the
    default layout keeps var/dispatch.sqlite3 next to var/murmur): add only the traverse bit for
    others (no listing; the database files are 0600). Never the home folder or /."""
    home = Path.home().resolve()
    for folder in workdir.resolve().parents:
        info = folder.stat()
        if info.st_mode & stat.S_IXOTH or folder in (home, Path("/")) or info.st_uid != os.geteuid():
            continue
        folder.chmod(stat.S_IMODE(info.st_mode) | stat.S_IXOTH)


class EmbeddedMurmur:
    """A murmurd child process with its own ini, database and port in ``workdir``.

    Started as root, murmurd switches to the mumble-server user before opening its
    database: ``workdir`` is chowned to that user, and its parent folders must be
    traversable by it (pytest's ``tmp_path`` under /tmp/pytest-of-root is not).
    """

    def __init__(
        self,
        workdir: Path,
        port: int,
        superuser_password: str,
        host: str = "127.0.0.1",
        *,
        server_password: str = "",
        extra_ini: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.port = port
        self.host = host
        self.superuser_password = superuser_password
        self.server_password = server_password
        self.extra_ini = dict(extra_ini or {})  # tests only: e.g. a server with raised text limits
        self.ini = self.workdir / "murmur.ini"
        self.log = self.workdir / "murmur.log"
        self._proc: asyncio.subprocess.Process | None = None
        self._prepared = False

    def _write_ini(self) -> None:
        # Keys are documented at https://wiki.mumble.info/wiki/Murmur.ini (1.3).
        lines = [
            f"database={self.workdir / 'murmur.sqlite'}",
            f"logfile={self.log}",
            f"pidfile={self.workdir / 'murmur.pid'}",
            f"host={self.host}",
            f"port={self.port}",
            'ice=""',
            "bonjour=false",
            "allowping=false",
            "welcometext=112 Kota Blitar",
            "users=100",
            "textmessagelength=5000",
            # Tests and an office behind one NAT make many connections from one address;
            # the default autoban would lock 127.0.0.1 out for 5 minutes.
            "autobanAttempts=0",
        ]
        if self.server_password:
            lines.append(f"serverpassword={self.server_password}")
        lines += [f"{key}={value}" for key, value in self.extra_ini.items()]
        write_secret(self.ini, "\n".join(lines) + "\n")

    def supw_command(self) -> list[str]:
        """murmurd's argv for setting the SuperUser password: it reads the password from stdin."""
        return [MURMURD, "-ini", str(self.ini), "-readsupw"]

    def _prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.workdir.chmod(0o700)
        self._write_ini()
        if os.geteuid() == 0:
            # Started as root murmurd drops to mumble-server and must own its files.
            shutil.chown(self.workdir, SERVICE_USER, SERVICE_USER)
            for path in self.workdir.iterdir():
                with contextlib.suppress(OSError):
                    shutil.chown(path, SERVICE_USER, SERVICE_USER)
            _let_service_user_through(self.workdir)
        # -readsupw creates the database if needed, sets the password read from stdin and exits.
        result = subprocess.run(
            self.supw_command(),
            input=self.superuser_password + "\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            detail = result.stderr.strip()[-300:]
            raise RadioUnavailable(f"murmurd -readsupw gagal ({result.returncode}): {detail}")
        self._prepared = True

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, within: float = 15.0) -> None:
        if self.running:
            return
        if not self._prepared:
            await asyncio.to_thread(self._prepare)
        self._proc = await asyncio.create_subprocess_exec(
            MURMURD,
            "-fg",
            "-ini",
            str(self.ini),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await self._wait_listening(within)

    async def _wait_listening(self, within: float) -> None:
        # Start-up only: poll connect() with a short backoff until the port answers.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        delay = 0.01
        while True:
            if self._proc is not None and self._proc.returncode is not None:
                code = self._proc.returncode
                raise RadioUnavailable(f"murmurd berhenti saat mulai (kode {code}); lihat {self.log}")
            try:
                _, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                if loop.time() > deadline:
                    await self.stop()
                    raise RadioUnavailable(f"murmurd tidak mendengarkan di port {self.port}") from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.2)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return

    async def stop(self, within: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), within)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    async def kill(self) -> None:
        """Simulate a crash: SIGKILL, no goodbye to the clients."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()

    def signal(self, signum: int) -> None:
        """Send ``signum`` to murmurd (tests use SIGSTOP/SIGCONT to simulate a hang)."""
        if self._proc is not None and self._proc.returncode is None:
            self._proc.send_signal(signum)

    async def ensure_channels(self, names: Sequence[str]) -> list[str]:
        return await admin.ensure_channels(self.host, self.port, self.superuser_password, list(names))
