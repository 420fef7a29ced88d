"""Bench 1: one-line /baru to every agency card, ours against a bare PTB relay (the floor).

Both bots run as subprocesses against their own fake Bot API with the same added latency. Each
dispatch is sent only when the previous one (ours, then the floor's) has reached all three groups,
so the two never overlap in time.

Our bot paces every group to 1 message/s and 20/min. To measure the dispatch path and not the
pacer, dispatches rotate over several identical bot processes (each its own fake server, database
and groups): a dispatch goes to a process whose groups are clear of the limits of bot.pacing.Pacer
(read from its defaults, with a margin), so our pacer never holds a measured card (checked
afterwards from the fake's accept log). The paced regime is measured by the surge bench.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.pacing import Pacer
from tests.bench_common import (
    LATENCY,
    Accept,
    TimedBotApi,
    ms,
    percentile,
    settings_toml,
    start_bot,
    start_relay,
    stop_process,
    table,
    wait_polls,
)
from tests.botapi.model import JSON, max_in_window
from tests.e2e import (
    BPBD,
    CALL_TAKER,
    DAMKAR,
    POLRES,
    SUPERVISORS_GROUP,
    BotProcess,
)

GROUPS = [DAMKAR, POLRES, BPBD]
LINE = (
    "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar, 2 orang terjebak (uji B{:03d})"
)
MARK = re.compile(r"\(uji B(\d+)\)")
WARMUP = 2  # per process, not counted: first HTTP connections, first queries


def settings(api: TimedBotApi, db: Path) -> str:
    agencies = {"damkar": DAMKAR, "polres": POLRES, "bpbd": BPBD}
    return settings_toml(api, db, call_takers=[CALL_TAKER], agencies=agencies,
                         supervisors_group=SUPERVISORS_GROUP, escalation=False)  # fmt: skip


class Tracked(TimedBotApi):
    """Knows when each marked dispatch reached each group, and when getUpdates handed it out."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[int, dict[int, int]] = {}  # mark -> {chat_id: message_id}
        self.done: dict[int, asyncio.Event] = {}
        self.handed_out: dict[int, float] = {}  # update_id -> when getUpdates returned it
        self.observers.append(self._see)
        self.user(CALL_TAKER, "Ani")
        for chat_id, title in (
            (DAMKAR, "Damkar"),
            (POLRES, "Polres"),
            (BPBD, "BPBD"),
            (SUPERVISORS_GROUP, "Supervisor"),
        ):
            self.group(chat_id, title)

    def _see(self, accept: Accept, result: Any) -> None:
        if accept.method != "sendmessage" or accept.chat_id not in GROUPS:
            return
        found = MARK.search(str(result.get("text") or ""))
        if found is None:
            return
        mark = int(found[1])
        self.cards.setdefault(mark, {})[accept.chat_id] = int(result["message_id"])
        if len(self.cards[mark]) == len(GROUPS):
            self.done.setdefault(mark, asyncio.Event()).set()

    async def _get_updates(self, params: JSON) -> list[JSON]:
        result = await super()._get_updates(params)
        now = time.monotonic()
        for update in result:
            self.handed_out.setdefault(int(update["update_id"]), now)
        return result


@dataclass
class Sample:
    mark: int
    update_id: int
    started: float
    first_request: float
    latency: float
    to_bot: float  # enqueue -> getUpdates answered
    in_bot: float  # getUpdates answered -> first card request reached the server
    fan_out: float  # first card request -> last card accepted (latency of one request included)


@dataclass
class Side:
    name: str
    apis: list[Tracked]
    samples: list[Sample] = field(default_factory=list)
    held: int = 0  # measured cards our pacer could have held (should stay 0)


async def one(api: Tracked, mark: int, timeout: float = 15.0) -> Sample:  # noqa: ASYNC109
    event = api.done.setdefault(mark, asyncio.Event())
    user = api.state.users[CALL_TAKER]
    started = time.monotonic()
    update_id = api.send_text(user, user, LINE.format(mark))
    await asyncio.wait_for(event.wait(), timeout)
    accepted = [api.message(chat, mid).accepted_at for chat, mid in api.cards[mark].items()]  # type: ignore[union-attr]
    handed = api.handed_out.get(update_id, started)
    first_request = min(accepted) - LATENCY
    return Sample(
        mark,
        update_id,
        started,
        first_request,
        max(accepted) - started,
        handed - started,
        first_request - handed,
        max(accepted) - first_request,
    )


def _pacer_limits() -> tuple[float, float, int]:
    """(gap per chat, group window, messages per window) of the product's pacer, as configured now."""
    pacer = Pacer()
    return pacer.per_chat_gap, float(getattr(pacer, "group_window", 60.0)), pacer.group_per_minute


def has_room(api: Tracked, now: float) -> bool:
    gap, window, per_window = _pacer_limits()
    for chat in GROUPS:
        times = [a.at for a in api.accepts if a.chat_id == chat and a.at > now - window - 1]
        if len(times) >= per_window - 1 or (times and now - times[-1] < gap + 0.1):
            return False
    return True


def pacer_could_hold(api: Tracked, samples: list[Sample]) -> int:
    """Measured cards whose group, when the dispatch was sent, had a message less than the pacer's
    gap before or a full window's worth: the only cases in which our pacer could have held them.
    (Conservative: accepts come after the pacer's own records.)"""
    gap, window, per_window = _pacer_limits()
    held = 0
    for s in samples:
        for chat in api.cards.get(s.mark, {}):
            before = [a.at for a in api.accepts if a.chat_id == chat and a.at < s.started]
            recent = [t for t in before if t > s.started - window]
            if (before and s.started - before[-1] < gap) or len(recent) >= per_window:
                held += 1
    return held


async def run(workdir: Path, count: int = 200, processes: int = 6) -> dict[str, Any]:
    ours = Side("ours (python run.py)", [Tracked() for _ in range(processes)])
    floor = Side("floor (bare PTB relay)", [Tracked()])
    bots: list[BotProcess] = []
    relay = None
    try:
        for api in [*ours.apis, *floor.apis]:
            await api.start()
        for i, api in enumerate(ours.apis):
            bots.append(
                await start_bot(workdir / f"ours-{i}", settings(api, workdir / f"ours-{i}" / "db.sqlite3"))
            )
        relay = await start_relay(floor.apis[0], workdir, GROUPS)
        for api in [*ours.apis, *floor.apis]:
            await wait_polls(api, 0)
            api.latency = LATENCY
        mark = 0
        for _ in range(WARMUP):
            for api in [*ours.apis, *floor.apis]:
                mark += 1
                await one(api, mark)
            await asyncio.sleep(1.1)
        measured: dict[int, list[Sample]] = {id(a): [] for a in ours.apis}
        where: dict[int, int] = {}  # mark -> index of the bot process
        current = 0
        started = time.monotonic()
        for _ in range(count):
            # Ours: a process with room in the pacer (stay on the same one while it has room).
            deadline = time.monotonic() + 60
            while True:
                now = time.monotonic()
                order = [ours.apis[(current + k) % processes] for k in range(processes)]
                chosen = next((a for a in order if has_room(a, now)), None)
                if chosen is not None or now > deadline:
                    break
                await asyncio.sleep(0.05)
            if chosen is None:
                raise TimeoutError("no bot process with room in the pacer within 60 s")
            current = ours.apis.index(chosen)
            mark += 1
            where[mark] = current
            ours.samples.append(await one(chosen, mark))
            measured[id(chosen)].append(ours.samples[-1])
            await asyncio.sleep(0.05)  # let our bot finish its bookkeeping (sent rows, reply)
            mark += 1
            floor.samples.append(await one(floor.apis[0], mark))
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        ours.held = sum(pacer_could_hold(a, measured[id(a)]) for a in ours.apis)
        group_max = max(
            max_in_window([x.at for x in a.accepts if x.chat_id == c], 60) for a in ours.apis for c in GROUPS
        )
        inside = _inside_our_bot(
            ours.samples, where, [workdir / f"ours-{i}" / "db.sqlite3" for i in range(processes)]
        )
    finally:
        for bot in bots:
            await bot.stop()
        if relay is not None:
            await stop_process(relay)
        for api in [*ours.apis, *floor.apis]:
            await api.stop()
    return {
        "ours": ours,
        "floor": floor,
        "elapsed": elapsed,
        "count": count,
        "processes": processes,
        "group_max": group_max,
        "inside": inside,
    }


def _inside_our_bot(samples: list[Sample], where: dict[int, int], dbs: list[Path]) -> dict[str, list[float]]:
    """Split 'answer -> 1st card request' with the bot's own timestamps (wall clock, same machine):
    inbox.received_at (update being stored) and incidents.created_at (the /baru handler started)."""
    offset = time.time() - time.monotonic()
    stages: dict[str, list[float]] = {"stored": [], "handler": [], "to_request": []}
    conns = [sqlite3.connect(f"file:{db}?mode=ro", uri=True) for db in dbs]
    try:
        for s in samples:
            db = conns[where[s.mark]]
            received = db.execute(
                "SELECT received_at FROM inbox WHERE update_id = ?", (s.update_id,)
            ).fetchone()
            created = db.execute(
                "SELECT created_at FROM incidents WHERE description LIKE ?", (f"%(uji B{s.mark:03d})",)
            ).fetchone()
            if received is None or created is None:
                continue
            answered = s.started + s.to_bot
            stages["stored"].append(received[0] - offset - answered)
            stages["handler"].append(created[0] - received[0])
            stages["to_request"].append(s.first_request - (created[0] - offset))
    finally:
        for c in conns:
            c.close()
    return stages


def render(result: dict[str, Any]) -> str:
    ours: Side = result["ours"]
    floor: Side = result["floor"]
    rows = []
    for side in (ours, floor):
        lat = [s.latency for s in side.samples]
        rows.append(
            [
                side.name,
                str(len(lat)),
                ms(percentile(lat, 50)),
                ms(percentile(lat, 95)),
                ms(percentile(lat, 99)),
                ms(max(lat)),
            ]
        )
    ratio = [
        percentile([s.latency for s in ours.samples], p) / percentile([s.latency for s in floor.samples], p)
        for p in (50, 95, 99)
    ]
    rows.append(["ratio ours/floor", "", f"{ratio[0]:.2f}x", f"{ratio[1]:.2f}x", f"{ratio[2]:.2f}x", ""])
    main = table(["bot", "n", "p50", "p95", "p99", "max"], rows)
    parts = []
    for side in (ours, floor):
        parts.append(
            [
                side.name,
                ms(percentile([s.to_bot for s in side.samples], 50)),
                ms(percentile([s.in_bot for s in side.samples], 50))
                + " / "
                + ms(percentile([s.in_bot for s in side.samples], 95)),
                ms(percentile([s.fan_out for s in side.samples], 50))
                + " / "
                + ms(percentile([s.fan_out for s in side.samples], 95)),
            ]
        )
    breakdown = table(
        [
            "where the time goes (fake server's view)",
            "update -> getUpdates answer p50",
            "answer -> 1st card request p50/p95",
            "1st card request -> last card accepted p50/p95",
        ],
        parts,
    )
    inside = result["inside"]
    if inside["stored"]:
        split = table(
            ["inside our bot (its own timestamps)", "p50", "p95"],
            [
                [
                    "getUpdates answer -> update being stored (inbox tx start)",
                    ms(percentile(inside["stored"], 50)),
                    ms(percentile(inside["stored"], 95)),
                ],
                [
                    "stored -> /baru handler starts (inbox commit, read back, PTB dispatch)",
                    ms(percentile(inside["handler"], 50)),
                    ms(percentile(inside["handler"], 95)),
                ],
                [
                    "handler starts -> 1st card request (incident tx, outbox read, attempt tx, render, HTTP)",
                    ms(percentile(inside["to_request"], 50)),
                    ms(percentile(inside["to_request"], 95)),
                ],
            ],
        )
        breakdown += "\n\n" + split
    goal = "MET" if ratio[1] <= 1.3 else "NOT MET"
    notes = [
        f"goal: ours p95 within 1.3x of the floor's p95: {goal} ({ratio[1]:.2f}x)",
        f"{result['count']} dispatches each side, {LATENCY * 1000:.0f} ms added to every Bot API request, "
        f"{WARMUP} warm-up dispatches per process not counted; run took {result['elapsed']:.0f} s",
        f"ours rotated over {result['processes']} identical bot processes so the pacer never held a measured "
        f"card: cards it could have held = {ours.held}; "
        f"max messages in any 60 s per group = {result['group_max']}",
        "floor: tests/bench_relay.py, PTB Application.run_polling + MessageHandler, "
        "3 sends via asyncio.gather",
    ]
    return main + "\n\n" + breakdown + "\n\n" + "\n".join(notes)
