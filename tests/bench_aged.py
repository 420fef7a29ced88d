"""Bench 4: dispatch latency on a database holding a year of rows, against an empty one.

A year at ten times the seed's load is written straight into the product's schema with sqlite3
executemany: 25,000 incidents with 3 agencies each, their calls, audit events, outbox rows and
Telegram updates, plus the prank and ghost calls (about 1.6 million rows; keep_days = 400, so the
prune job leaves them in place: this is the worst case, a year that was never pruned). Then the
same /baru line as bench 1 is dispatched alternately to bots on empty databases and bots on copies
of the aged one (each side rotating over a few processes so the pacer never holds a measured card,
as in bench 1), and p50/p95 are printed side by side.

    python -m tests.bench --only aged
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.db import connect
from tests.bench_common import LATENCY, ms, percentile, settings_toml, start_bot, table, wait_polls
from tests.bench_dispatch import GROUPS, WARMUP, Sample, Tracked, has_room, one
from tests.e2e import CALL_TAKER, SUPERVISORS_GROUP, BotProcess

DAY = 86400.0
YEAR_INCIDENTS = 25_000  # ten times the seed's 2,472 answered calls a year, all taken as incidents
PRANK_GHOST = 17_770  # ten times the seed's 1,777
AGENCIES = (("damkar", GROUPS[0]), ("polres", GROUPS[1]), ("bpbd", GROUPS[2]))
STEPS = ("acknowledged", "en_route", "on_scene", "cleared")
OUTBOX_PER_INCIDENT = 31  # 3 cards, 12 card edits, the reply, 12 notices, 3 radio rows
INBOX_PER_INCIDENT = 13  # the /baru and 12 taps


@dataclass
class Aged:
    rows: dict[str, int]
    seconds: float
    size_mb: float
    max_update_id: int


@dataclass
class SideResult:
    name: str
    apis: list[Tracked]
    samples: list[Sample] = field(default_factory=list)


def _settings(api: Tracked, db: Path) -> str:
    agencies = {code: chat for code, chat in AGENCIES}
    text = settings_toml(api, db, call_takers=[CALL_TAKER], agencies=agencies,
                         supervisors_group=SUPERVISORS_GROUP, escalation=False)  # fmt: skip
    # Nothing of the year is pruned while measuring: the worst case.
    return text.replace(f'path = "{db}"', f'path = "{db}"\nkeep_days = 400', 1)


def build(path: Path, incidents: int = YEAR_INCIDENTS, now: float | None = None) -> Aged:
    began = time.monotonic()
    asyncio.run(_schema(path))
    now = time.time() if now is None else now
    rng = random.Random(15)
    start = now - 365 * DAY
    times = sorted(rng.uniform(start, now - 3600) for _ in range(incidents))
    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("incidents", "assignments", "events", "calls")}
    outbox: list[tuple[Any, ...]] = []
    inbox: list[tuple[Any, ...]] = []
    numbers: dict[int, int] = {}
    update_id = 0
    assignment_id = 0
    for i, at in enumerate(times, start=1):
        year = time.gmtime(at + 7 * 3600).tm_year
        numbers[year] = numbers.get(year, 0) + 1
        phone = f"0812{rng.randrange(10**8):08d}"
        full = phone if at > now - 90 * DAY else None  # older full numbers were purged
        masked = f"{phone[:4]}****{phone[-4:]}"
        rows["incidents"].append((i, year, numbers[year], "kebakaran", 1, "Sentul", "Kepanjenkidul", "Jl. Kenari 17",
                                  "Rumah terbakar", full, masked, "closed", "tertangani", CALL_TAKER, CALL_TAKER,
                                  at, at + 3600))  # fmt: skip
        rows["calls"].append(("incident", at, "kebakaran", "Sentul", "Kepanjenkidul", "damkar;polres;bpbd", full,
                              masked, CALL_TAKER, i))  # fmt: skip
        data = {
            "number": numbers[year],
            "category": "kebakaran",
            "kelurahan": "Sentul",
            "kecamatan": "Kepanjenkidul",
        }
        rows["events"].append((at, "incident_created", i, None, json.dumps(data)))
        for code, chat in AGENCIES:
            assignment_id += 1
            step_at = [at + 60 * (k + 1) for k in range(4)]
            rows["assignments"].append((assignment_id, i, code, "cleared", f"{rng.randrange(16**8):08x}", chat,
                                        assignment_id, at, *step_at))  # fmt: skip
            rows["events"].append((at, "assigned", i, assignment_id, json.dumps({"agency": code})))
            for step, when in zip(STEPS, step_at, strict=True):
                rows["events"].append(
                    (when, "status", i, assignment_id, json.dumps({"state": step, "agency": code}))
                )
        for k in range(OUTBOX_PER_INCIDENT):
            kind = "card" if k < 15 else ("text" if k < 28 else "radio_post")
            channel = "mumble" if kind == "radio_post" else "telegram"
            target = str(AGENCIES[k % 3][1]) if kind == "card" else str(CALL_TAKER)
            a_id = assignment_id - 2 + k % 3 if kind == "card" else None
            sent = at + k * 10
            outbox.append((channel, kind, target, 1, i, a_id, sent, sent, 1, sent, 1000 + k))
        for k in range(INBOX_PER_INCIDENT):
            update_id += 1
            inbox.append((update_id, at + k * 60, at + k * 60 + 0.05))
    prank_times = sorted(rng.uniform(start, now - 3600) for _ in range(PRANK_GHOST))
    for at in prank_times:
        phone = f"0813{rng.randrange(10**8):08d}"
        kind = "prank" if rng.random() < 0.7 else "ghost"
        rows["calls"].append((kind, at, None, None, None, "", phone if at > now - 90 * DAY else None,
                              f"{phone[:4]}****{phone[-4:]}", CALL_TAKER, None))  # fmt: skip
    rows["calls"].sort(key=lambda r: r[1])  # the bot records calls in time order
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA journal_mode=MEMORY")  # bulk load only; back to WAL below, as the bot runs it
        db.execute("PRAGMA cache_size=-200000")
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO incidents (id, year, number, category, priority, kelurahan, kecamatan, address,"
            " description, phone, phone_masked, state, disposition, call_taker_id, call_taker_chat_id,"
            " created_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows["incidents"],
        )
        db.executemany(
            "INSERT INTO assignments (id, incident_id, agency, state, token, chat_id, message_id, notified_at,"
            " acknowledged_at, en_route_at, on_scene_at, cleared_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows["assignments"],
        )
        db.executemany(
            "INSERT INTO events (at, kind, channel, actor_id, actor_name, incident_id, assignment_id, data)"
            f" VALUES (?, ?, 'telegram', {CALL_TAKER}, 'Ani', ?, ?, ?)",
            rows["events"],
        )
        db.executemany(
            "INSERT INTO calls (type, at, category, kelurahan, kecamatan, agencies, phone, phone_masked,"
            " call_taker_id, incident_id, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bot')",
            rows["calls"],
        )
        db.executemany(
            "INSERT INTO outbox (channel, kind, target, priority, incident_id, assignment_id, created_at, due_at,"
            " attempts, sent_at, message_id, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sent')",
            outbox,
        )
        db.executemany(
            "INSERT INTO inbox (update_id, payload, received_at, handled_at) VALUES (?, '{}', ?, ?)", inbox
        )
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")
        counts = {
            t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("incidents", "assignments", "events", "calls", "outbox", "inbox")
        }
    finally:
        db.close()
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    return Aged(counts, time.monotonic() - began, size, update_id)


async def _schema(path: Path) -> None:
    db = await connect(path)
    await db.close()


async def _measure(workdir: Path, aged: Aged, template: Path, count: int, processes: int) -> list[SideResult]:
    sides = [
        SideResult("empty database", [Tracked() for _ in range(processes)]),
        SideResult("a year of rows (10x the seed)", [Tracked() for _ in range(processes)]),
    ]
    bots: list[BotProcess] = []
    try:
        for s, side in enumerate(sides):
            for i, api in enumerate(side.apis):
                await api.start()
                folder = workdir / f"{'empty' if s == 0 else 'aged'}-{i}"
                folder.mkdir(parents=True)
                db = folder / "db.sqlite3"
                if s == 1:
                    shutil.copyfile(template, db)
                    api.state.next_update_id = aged.max_update_id + 1  # Telegram's ids only grow
                bots.append(await start_bot(folder, _settings(api, db)))
        apis = [api for side in sides for api in side.apis]
        for api in apis:
            await wait_polls(api, 0)
            api.latency = LATENCY
        mark = 0
        for _ in range(WARMUP):
            for api in apis:
                mark += 1
                await one(api, mark)
            await asyncio.sleep(1.1)
        current = [0, 0]
        for _ in range(count):
            for s, side in enumerate(sides):
                chosen = await _with_room(side.apis, current[s])
                current[s] = side.apis.index(chosen)
                mark += 1
                side.samples.append(await one(chosen, mark))
                await asyncio.sleep(0.05)  # let the bot finish its bookkeeping (sent rows, reply)
    finally:
        for bot in bots:
            await bot.stop()
        for side in sides:
            for api in side.apis:
                await api.stop()
    return sides


async def _with_room(apis: list[Tracked], current: int) -> Tracked:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = time.monotonic()
        for k in range(len(apis)):
            api = apis[(current + k) % len(apis)]
            if has_room(api, now):
                return api
        await asyncio.sleep(0.05)
    raise TimeoutError("no bot process with room in the pacer within 60 s")


def run(
    workdir: Path, count: int = 100, processes: int = 3, incidents: int = YEAR_INCIDENTS
) -> dict[str, Any]:
    template = workdir / "aged-template.sqlite3"
    aged = build(template, incidents)
    began = time.monotonic()
    sides = asyncio.run(_measure(workdir, aged, template, count, processes))
    return {"aged": aged, "sides": sides, "count": count, "processes": processes,
            "elapsed": time.monotonic() - began}  # fmt: skip


def render(result: dict[str, Any]) -> str:
    aged: Aged = result["aged"]
    sides: list[SideResult] = result["sides"]
    rows = []
    for side in sides:
        lat = [s.latency for s in side.samples]
        rows.append([side.name, str(len(lat)), ms(percentile(lat, 50)), ms(percentile(lat, 95)),
                     ms(percentile(lat, 99)), ms(max(lat))])  # fmt: skip
    ratio = [
        percentile([s.latency for s in sides[1].samples], p)
        / percentile([s.latency for s in sides[0].samples], p)
        for p in (50, 95)
    ]
    rows.append(["ratio year/empty", "", f"{ratio[0]:.2f}x", f"{ratio[1]:.2f}x", "", ""])
    main = table(["database", "n", "p50", "p95", "p99", "max"], rows)
    filled = ", ".join(f"{t} {n:,}" for t, n in aged.rows.items())
    notes = [
        f"aged database: {filled} ({sum(aged.rows.values()):,} rows, {aged.size_mb:.0f} MB, "
        f"built in {aged.seconds:.0f} s with executemany); keep_days = 400 so nothing is pruned",
        f"{result['count']} dispatches each side, alternating, {LATENCY * 1000:.0f} ms added to every Bot API "
        f"request, {result['processes']} bot processes per side; run took {result['elapsed']:.0f} s",
    ]
    return main + "\n\n" + "\n".join(notes)
