"""Run one command and print its wall time and peak RSS as JSON (stdlib only, so this process is small).

    python -m tests.bench_rss OUTFILE CMD [ARG...]

ru_maxrss comes from os.wait4 on that one child. A child forked from a big process inherits the
parent's high-water RSS at exec, so `make bench` measures from this small launcher, not from the
bench process itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> int:
    out_path, cmd = sys.argv[1], sys.argv[2:]
    with open(out_path, "wb") as out:
        began = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    print(json.dumps({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "exit": proc.returncode}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
