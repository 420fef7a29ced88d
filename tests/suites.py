"""`make test`: the whole suite on SQLite and, at the same time, on PostgreSQL.

The two passes run as two pytest processes side by side (each waits mostly on the bot's subprocesses, not
on the CPU); the SQLite pass prints as it goes, the PostgreSQL pass into a log printed at the end. The
exit status fails if either pass fails. `python -m tests.suites sqlite` (or postgresql) runs one pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _command(backend: str, extra: list[str]) -> tuple[list[str], dict[str, str]]:
    base = Path(tempfile.gettempdir()) / f"dispatch-tests-{backend}"
    env = {**os.environ, "DISPATCH_TEST_BACKEND": backend}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={base}", *extra]
    return argv, env


def main(args: list[str]) -> int:
    backends = [a for a in args if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
    extra = [a for a in args if a not in ("sqlite", "postgresql")]
    began = time.monotonic()
    quiet: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for backend in backends[1:]:
        log = Path(tempfile.gettempdir()) / f"dispatch-tests-{backend}.log"
        argv, env = _command(backend, extra)
        with open(log, "wb") as out:
            quiet[backend] = (
                subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT),
                log,
            )
    argv, env = _command(backends[0], extra)
    print(f"== {backends[0]} ==", flush=True)
    codes = {backends[0]: subprocess.call(argv, cwd=ROOT, env=env)}
    times = {backends[0]: time.monotonic() - began}
    for backend, (proc, log) in quiet.items():
        codes[backend] = proc.wait()
        times[backend] = time.monotonic() - began
        print(f"\n== {backend} (log: {log}) ==")
        lines = log.read_text(errors="replace").splitlines()
        failures = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        print("\n".join(lines[-40:] if codes[backend] else lines[-3:]))
        if failures and codes[backend]:
            print("\n".join(failures))
    for backend in backends:
        state = "ok" if codes[backend] == 0 else f"FAILED (exit {codes[backend]})"
        print(f"{backend}: {state} after {times[backend] / 60:.1f} min")
    return max(codes.values(), key=abs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
