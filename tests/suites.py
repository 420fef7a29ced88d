"""`make test`: the whole suite on SQLite and, at the same time, on PostgreSQL.

The two passes run side by side (each waits mostly on the bot's subprocesses, not on the CPU); the SQLite
pass prints as it goes, the PostgreSQL pass into a log printed at the end. The
exit status fails if either pass fails. `python -m tests.suites sqlite` (or postgresql) runs one pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# The SQLite pass runs every test, the PostgreSQL pass about half (tests/conftest.py): the first is
# spread over this many pytest-xdist workers, a test file per worker at a time (files share fixtures), so
# the two passes end at about the same time.
SQLITE_WORKERS = int(os.environ.get("DISPATCH_TEST_WORKERS", "2"))


# This run's own folder: pytest wipes its basetemp at start, and a fixed /tmp name was shared by every
# run on the machine (two clones at once wiped each other's; a later run overwrote a failed pass's log).
RUN_DIR = Path(tempfile.mkdtemp(prefix="dispatch-tests-"))


def _command(backend: str, extra: list[str]) -> tuple[list[str], dict[str, str]]:
    base = RUN_DIR / backend
    env = {**os.environ, "DISPATCH_TEST_BACKEND": backend}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={base}", *extra]
    if backend == "sqlite" and SQLITE_WORKERS > 1 and not extra:
        argv += ["-n", str(SQLITE_WORKERS), "--dist", "loadfile"]
    return argv, env


def main(args: list[str]) -> int:
    backends = [a for a in args if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
    extra = [a for a in args if a not in ("sqlite", "postgresql")]
    began = time.monotonic()
    quiet: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    ended: dict[str, float] = {}

    def timed(backend: str, proc: subprocess.Popen[bytes]) -> None:
        proc.wait()
        ended[backend] = time.monotonic() - began

    for backend in backends[1:]:
        log = RUN_DIR / f"{backend}.log"
        argv, env = _command(backend, extra)
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        quiet[backend] = (proc, log)
        threading.Thread(target=timed, args=(backend, proc), daemon=True).start()
    argv, env = _command(backends[0], extra)
    print(f"== {backends[0]} ==", flush=True)
    codes = {backends[0]: subprocess.call(argv, cwd=ROOT, env=env)}
    times = {backends[0]: time.monotonic() - began}
    for backend, (proc, log) in quiet.items():
        codes[backend] = proc.wait()
        while backend not in ended:  # the thread records the end as it happened
            time.sleep(0.01)
        times[backend] = ended[backend]
        print(f"\n== {backend} (log: {log}) ==")
        lines = log.read_text(errors="replace").splitlines()
        failures = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        print("\n".join(lines[-40:] if codes[backend] or failures else lines[-3:]))
        if failures:
            print("\n".join(failures))
            if not codes[backend]:  # seen once in CI: a failure printed, exit status 0; the log is kept
                print(f"WARNING: {backend} pass printed failures but exited 0; whole log: {log}")
    for backend in backends:
        state = "ok" if codes[backend] == 0 else f"FAILED (exit {codes[backend]})"
        print(f"{backend}: {state} after {times[backend] / 60:.1f} min")
        if codes[backend] == 0:  # the tests' files go; the logs stay, small, for a look afterwards
            shutil.rmtree(RUN_DIR / backend, ignore_errors=True)
    return max(codes.values(), key=abs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
