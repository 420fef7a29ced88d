"""`make bench`: dispatch latency against a bare PTB relay, a surge of incidents, the annual report.

    python -m tests.bench                  # default run (about 20 minutes on 2 cores)
    BENCH_FULL=1 python -m tests.bench     # the surge as specified: 100 incidents in 5 minutes
    BENCH_ONLY=dispatch,report python -m tests.bench
    python -m tests.bench --only aged      # one section (or several: --only dispatch,aged)
    python -m tests.bench --only voice     # voice over the radio bridge (needs murmurd, ~3 minutes)

Everything runs on loopback against the fake Bot API in tests/botapi; the tables are printed and
also written to var/bench-results.md (var/bench-results-full.md with BENCH_FULL=1).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from tests import (
    bench_aged,
    bench_dispatch,
    bench_dispatch_one,
    bench_report,
    bench_storage,
    bench_surge,
    bench_voice,
)
from tests.bench_common import machine
from tests.e2e import ROOT

RESULTS = ROOT / "var" / "bench-results.md"
RESULTS_FULL = ROOT / "var" / "bench-results-full.md"  # BENCH_FULL=1 keeps the default run's file


def _command() -> str:
    env = " ".join(f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith("BENCH_"))
    return f"{env + ' ' if env else ''}python -m tests.bench  (make bench)"


def _section(title: str, body: str, header: str) -> str:
    return f"## {title}\n\n{header}\n\n```\n{body}\n```\n"


def _only() -> str:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--only":
        return args[1]
    if args:
        raise SystemExit(
            "usage: python -m tests.bench [--only dispatch,dispatch-one,surge,report,aged,voice,storage]"
        )
    return os.environ.get("BENCH_ONLY", "")


def main() -> int:
    only = {s.strip() for s in _only().split(",") if s.strip()}
    full = os.environ.get("BENCH_FULL") == "1"
    when = datetime.now().isoformat(timespec="seconds")
    header = f"command: `{_command()}`  \nmachine: {machine()}  \nrun at: {when}"
    sections: list[tuple[str, Callable[[Path], Any], Callable[[Any], str]]] = [
        (
            "1. Dispatch latency: /baru to every agency card",
            lambda d: asyncio.run(
                bench_dispatch.run(d, count=int(os.environ.get("BENCH_DISPATCHES", "200")))
            ),
            bench_dispatch.render,
        ),
        (
            "1b. Dispatch latency on ONE bot process, idle and during a 1,000,000-row import-calls",
            lambda d: asyncio.run(
                bench_dispatch_one.run(
                    d,
                    count=int(os.environ.get("BENCH_DISPATCHES", "200")),
                    import_rows=int(os.environ.get("BENCH_IMPORT_ROWS", "1000000")),
                )
            ),
            bench_dispatch_one.render,
        ),
        (
            "2. Surge: incidents from 8 call takers, every card tapped 4 times",
            lambda d: asyncio.run(bench_surge.run(d, full=full)),
            bench_surge.render,
        ),
        (
            "3. Annual report over 1,000,000 calls",
            lambda d: bench_report.run(d, rows=int(os.environ.get("BENCH_REPORT_ROWS", "1000000"))),
            bench_report.render,
        ),
        (
            "4. Dispatch latency on a year of rows (10x the seed) against an empty database",
            lambda d: bench_aged.run(d, count=int(os.environ.get("BENCH_AGED_DISPATCHES", "100"))),
            bench_aged.render,
        ),
        (
            "5. Voice over the radio bridge (real murmurd, pymumble field users)",
            lambda d: asyncio.run(bench_voice.run(d, rounds=int(os.environ.get("BENCH_VOICE_ROUNDS", "20")))),
            bench_voice.render,
        ),
        (
            "6. Dispatch latency on SQLite and on PostgreSQL (one process each)",
            lambda d: asyncio.run(
                bench_storage.run(d, count=int(os.environ.get("BENCH_STORAGE_DISPATCHES", "100")))
            ),
            bench_storage.render,
        ),
    ]
    keys = ["dispatch", "dispatch-one", "surge", "report", "aged", "voice", "storage"]
    out = [f"# 112 Dispatch Bridge benchmarks\n\n{header}\n"]
    print(header.replace("  \n", "\n"), flush=True)
    total = time.monotonic()
    failed = False
    for key, (title, runner, render) in zip(keys, sections, strict=True):
        if only and key not in only and key.split("-")[0] not in only:
            continue
        print(f"\n== {title} ...", flush=True)
        began = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"bench-{key}-") as tmp:
            try:
                body = render(runner(Path(tmp)))
            except Exception as exc:  # one broken section must not hide the others' figures
                failed = True
                body = f"FAILED: {type(exc).__name__}: {exc}"
        body += f"\n(section took {time.monotonic() - began:.0f} s)"
        print(header.replace("  \n", "\n") + "\n\n" + body, flush=True)
        out.append(_section(title, body, header))
    summary = f"total bench time: {time.monotonic() - total:.0f} s"
    print(f"\n{summary}")
    out.append(summary + "\n")
    results = RESULTS_FULL if full else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("\n".join(out), encoding="utf-8")
    print(f"written to {results.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
