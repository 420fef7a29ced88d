"""Starting `python run.py` as the sandbox in a subprocess, on free ports, in its own folder."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from radio_bridge.murmur import free_port

ROOT = Path(__file__).resolve().parent.parent
READY = "siap: "


@dataclass
class Sandbox:
    url: str
    proc: asyncio.subprocess.Process
    workdir: Path
    ready_after: float
    stderr: Path


def sandbox_env(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env |= {
        "DISPATCH_STORAGE__PATH": str(workdir / "var" / "dispatch.sqlite3"),
        "DISPATCH_SANDBOX__PORT": str(free_port()),
        "DISPATCH_HTTP__PORT": str(free_port()),
        "DISPATCH_MUMBLE__PORT": str(free_port()),
        "DISPATCH_TELEGRAM__POLL_TIMEOUT": "2",
        "DISPATCH_DIGEST__ENABLED": "false",
    }
    return env | extra


@asynccontextmanager
async def running_sandbox(*args: str, within: float = 30.0, **env: str) -> AsyncIterator[Sandbox]:
    # Not pytest's tmp_path: murmurd runs as mumble-server and cannot traverse /tmp/pytest-of-root.
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-", dir="/tmp"))
    os.chmod(workdir, 0o755)
    stderr = workdir / "sandbox.log"
    started = time.monotonic()
    with stderr.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "run.py"), *args, cwd=str(ROOT), env=sandbox_env(workdir, **env),
            stdout=asyncio.subprocess.PIPE, stderr=err, stdin=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), within)
        text = line.decode().strip()
        assert READY in text, f"no URL line: {text!r}\n{stderr.read_text()[-3000:]}"
        url = text.split(READY, 1)[1].strip().rstrip("/")
        yield Sandbox(url, proc, workdir, time.monotonic() - started, stderr)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
