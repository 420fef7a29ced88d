"""`make test`: the whole suite on SQLite and, at the same time, on PostgreSQL.

The two passes run side by side (each waits mostly on the bot's subprocesses, not on the CPU); the SQLite
pass prints as it goes, the PostgreSQL pass into a log printed at the end. The
exit status fails if either pass fails, and so does a pass that prints a failure line (FAILED or ERROR
and a test id) whatever its exit status. `python -m tests.suites sqlite` (or postgresql) runs one pass.
"""

from __future__ import annotations

import os
import re
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

# pytest's short summary (-ra) names each failed or erroring test so; a pass whose log has one fails.
# Seen once in CI, when the log was a fixed /tmp name that another run on the machine could write to:
# a failure line printed under a pass that exited 0, and the run reported ok.
FAILURE_LINE = re.compile(r"^(FAILED|ERROR) tests/")


def _command(backend: str, extra: list[str]) -> tuple[list[str], dict[str, str]]:
    base = RUN_DIR / backend
    env = {**os.environ, "DISPATCH_TEST_BACKEND": backend}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={base}", *extra]
    if backend == "sqlite" and SQLITE_WORKERS > 1 and not extra:
        argv += ["-n", str(SQLITE_WORKERS), "--dist", "loadfile"]
    return argv, env


def _shown(argv: list[str], env: dict[str, str], log: Path) -> int:
    """The pass printed as it goes and kept in `log`; its failure lines count as a failure too."""
    failed = False
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        for raw in proc.stdout:
            sys.stdout.buffer.write(raw)
            sys.stdout.flush()
            out.write(raw)
            failed = failed or bool(FAILURE_LINE.match(raw.decode(errors="replace")))
    code = proc.wait()
    if failed and not code:
        print(f"the pass printed failures but exited 0: counted as failed; whole log: {log}")
    return code or int(failed)


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
    codes = {backends[0]: _shown(argv, env, RUN_DIR / f"{backends[0]}.log")}
    times = {backends[0]: time.monotonic() - began}
    for backend, (proc, log) in quiet.items():
        codes[backend] = proc.wait()
        while backend not in ended:  # the thread records the end as it happened
            time.sleep(0.01)
        times[backend] = ended[backend]
        print(f"\n== {backend} (log: {log}) ==")
        lines = log.read_text(errors="replace").splitlines()
        failures = [line for line in lines if FAILURE_LINE.match(line)]
        print("\n".join(lines[-40:] if codes[backend] or failures else lines[-3:]))
        if failures:
            print("\n".join(failures))
            if not codes[backend]:  # a failure printed is a failure, whatever the exit status said
                print(f"{backend} pass printed failures but exited 0: counted as failed; whole log: {log}")
                codes[backend] = 1
    for backend in backends:
        state = "ok" if codes[backend] == 0 else f"FAILED (exit {codes[backend]})"
        print(f"{backend}: {state} after {times[backend] / 60:.1f} min")
        if codes[backend] == 0:  # the tests' files go; the logs stay, small, for a look afterwards
            shutil.rmtree(RUN_DIR / backend, ignore_errors=True)
    return max(codes.values(), key=abs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
