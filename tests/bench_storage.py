"""Bench 6: the dispatch path on SQLite and on PostgreSQL, one bot process each, same load.

Each backend gets bench 1b's idle part: its own `python run.py` on the fake Bot API (50 ms added to
every request), the rotation over agency groups (no card held by the pacer), and the bare relay
alternating with it as the floor. PostgreSQL is a real server started for the bench (Debian's
binaries, a temporary cluster on loopback, default settings: fsync on, synchronous_commit on), so the
difference is the engine's commit path plus the network round trips of its protocol.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests import bench_dispatch_one
from tests.bench_common import ms, percentile, table
from tests.bench_dispatch import Sample
from tests.pgserver import PgCluster, start_cluster


async def _one_backend(workdir: Path, target: str | Path, count: int) -> tuple[list[Sample], list[Sample]]:
    result = await bench_dispatch_one.run(workdir, count, import_rows=0, target=target)
    return result["idle"], result["idle_floor"]


async def run(workdir: Path, count: int = 100) -> dict[str, Any]:
    cluster: PgCluster = start_cluster()
    try:
        (workdir / "sqlite").mkdir()
        (workdir / "pg").mkdir()
        lite = await _one_backend(workdir / "sqlite", workdir / "sqlite" / "db.sqlite3", count)
        pg = await _one_backend(workdir / "pg", cluster.create_database(), count)
    finally:
        cluster.stop()
    return {"count": count, "sqlite": lite, "postgresql": pg}


def render(result: dict[str, Any]) -> str:
    rows = []
    for backend in ("sqlite", "postgresql"):
        ours, floor = result[backend]
        latency = [s.latency for s in ours]
        relay = [s.latency for s in floor]
        rows.append([
            backend, ms(percentile(latency, 50)), ms(percentile(latency, 95)), ms(percentile(relay, 95)),
            f"{percentile(latency, 95) / percentile(relay, 95):.2f}x",
        ])  # fmt: skip
    lite95 = percentile([s.latency for s in result["sqlite"][0]], 95)
    pg95 = percentile([s.latency for s in result["postgresql"][0]], 95)
    return (
        f"{result['count']} dispatches per backend, one bot process each, `/baru` to its last card:\n\n"
        + table(["backend", "p50", "p95", "relay floor p95", "p95 / floor"], rows)
        + f"\nPostgreSQL p95 against SQLite p95: {pg95 / lite95:.2f}x (no goal: the figure for the choice)\n"
    )
