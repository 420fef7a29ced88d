"""Bench 1b: dispatch latency on ONE bot process (as in production), idle and during a big import.

One `python run.py` serves every dispatch. Telegram allows ~1 message/s per chat and 20/min per
group, and our pacer holds a card that would break them, so 200 dispatches to the same 3 groups
would measure the pacer, not the dispatch path. The bench therefore rotates over every agency group
of the routing table: each dispatch uses a (category, kelurahan) that routes to exactly 3 agencies
(ambulans, pohon-tumbang, ambulans-rs, odgj over the three kecamatan: 8 different triples over 15
groups) and is sent only when all 3 of its groups are clear of the pacer's limits (read from
bot.pacing.Pacer's defaults, with a margin); the call takers rotate too, so their private chats stay
under 1/s. Afterwards the accept log is checked: cards the pacer could have held should be 0.

The floor (the bare PTB relay) alternates with ours exactly as in bench 1, so both see the same load.

Then the same measurement runs while `python run.py import-calls` imports a 1,000,000-row CSV into
the bot's own database (the supervisor importing history mid-shift): goal within 1.5x of idle.
Also reported: start of `python run.py` to its first getUpdates.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from pathlib import Path
from typing import Any

from routing.table import load_routing
from tests.bench_common import (
    LATENCY,
    TimedBotApi,
    ms,
    percentile,
    settings_toml,
    start_relay,
    stop_process,
    table,
    wait_polls,
)
from tests.bench_dispatch import GROUPS, MARK, WARMUP, Sample, Tracked, _pacer_limits
from tests.botapi.model import JSON, max_in_window
from tests.e2e import ROOT, BotProcess, bot_env

CALL_TAKERS = [1101, 1102, 1103, 1104]
LINE = "/baru {category} | {kelurahan} | Jl. Kenari 17 | 081234567890 | Uji satu proses (uji B{mark:03d})"
IMPORT_ROWS = 1_000_000


def routes() -> list[tuple[str, str, frozenset[str]]]:
    """(category, kelurahan, its 3 agencies) for every route to exactly three agencies."""
    routing = load_routing(None)
    found = []
    for category in ("ambulans", "pohon-tumbang", "ambulans-rs", "odgj"):
        for kecamatan, kelurahan in routing.kecamatan.items():
            agencies = frozenset(routing.route(category, kecamatan))
            if len(agencies) == 3:
                found.append((category, kelurahan[0], agencies))
    return found


def group_ids() -> dict[str, int]:
    return {code: -4001 - i for i, code in enumerate(load_routing(None).agencies)}


class OneTracked(TimedBotApi):
    """Every agency group; knows when each marked dispatch reached each of its expected groups."""

    def __init__(self, groups: dict[str, int]) -> None:
        super().__init__()
        self.expect: dict[int, set[int]] = {}
        self.cards: dict[int, dict[int, int]] = {}
        self.done: dict[int, asyncio.Event] = {}
        self.handed_out: dict[int, float] = {}
        self.observers.append(self._see)
        for uid in CALL_TAKERS:
            self.user(uid, f"Call taker {uid}")
        for code, chat in groups.items():
            self.group(chat, f"Grup {code}")
        self.group(-1002, "Supervisor")

    def _see(self, accept: Any, result: Any) -> None:
        if accept.method != "sendmessage":
            return
        found = MARK.search(str(result.get("text") or ""))
        if found is None or accept.chat_id not in self.expect.get(int(found[1]), set()):
            return
        mark = int(found[1])
        self.cards.setdefault(mark, {})[accept.chat_id] = int(result["message_id"])
        if len(self.cards[mark]) == len(self.expect[mark]):
            self.done.setdefault(mark, asyncio.Event()).set()

    async def _get_updates(self, params: JSON) -> list[JSON]:
        result = await super()._get_updates(params)
        now = time.monotonic()
        for update in result:
            self.handed_out.setdefault(int(update["update_id"]), now)
        return result


async def one_ours(api: OneTracked, mark: int, taker: int, route: tuple[str, str, frozenset[str]],
                   groups: dict[str, int], timeout: float = 30.0) -> Sample:  # fmt: skip  # noqa: ASYNC109
    category, kelurahan, agencies = route
    api.expect[mark] = {groups[a] for a in agencies}
    event = api.done.setdefault(mark, asyncio.Event())
    user = api.state.users[taker]
    started = time.monotonic()
    update_id = api.send_text(user, user, LINE.format(category=category, kelurahan=kelurahan, mark=mark))
    await asyncio.wait_for(event.wait(), timeout)
    accepted = [api.message(chat, mid).accepted_at for chat, mid in api.cards[mark].items()]  # type: ignore[union-attr]
    handed = api.handed_out.get(update_id, started)
    first = min(accepted) - LATENCY
    return Sample(mark, update_id, started, first, max(accepted) - started, handed - started,
                  first - handed, max(accepted) - first)  # fmt: skip


def room(api: OneTracked, chats: set[int], now: float) -> bool:
    gap, window, per_window = _pacer_limits()
    for chat in chats:
        times = [a.at for a in api.accepts if a.chat_id == chat and a.at > now - window - 1]
        if len(times) >= per_window - 1 or (times and now - times[-1] < gap + 0.2):
            return False
    return True


def could_hold(api: OneTracked, samples: list[Sample]) -> int:
    gap, window, per_window = _pacer_limits()
    held = 0
    for s in samples:
        for chat in api.cards.get(s.mark, {}):
            before = [a.at for a in api.accepts if a.chat_id == chat and a.at < s.started]
            if (before and s.started - before[-1] < gap) or len(
                [t for t in before if t > s.started - window]
            ) >= per_window:
                held += 1
    return held


def write_calls_csv(path: Path, rows: int) -> None:
    """A year of plausible history: incidents, information calls, pranks and ghost calls."""
    rng = random.Random(11)
    routing = load_routing(None)
    kelurahan = [k for names in routing.kecamatan.values() for k in names]
    with path.open("w", encoding="utf-8") as out:
        out.write("timestamp,type,category,location,agencies,phone\n")
        base = 1_672_506_000  # 2023-01-01 00:00 WIB
        for i in range(rows):
            t = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(base + 7 * 3600 + i * 31))
            kind = rng.random()
            if kind < 0.5:
                out.write(f"{t},prank,,,,\n")
            elif kind < 0.7:
                out.write(f"{t},ghost,,,,\n")
            elif kind < 0.8:
                out.write(f"{t},informasi,informasi,,,\n")
            else:
                out.write(f"{t},incident,ambulans,{rng.choice(kelurahan)},dinkes;pmi,08123{i % 10**7:07d}\n")


class Run:
    def __init__(self, api: OneTracked, floor: Tracked, groups: dict[str, int]) -> None:
        self.api, self.floor, self.groups = api, floor, groups
        self.routes = routes()
        self.mark = 10_000  # apart from the floor's marks
        self.turn = 0
        self.floor_mark = 0

    async def pair(self) -> tuple[Sample, Sample]:
        deadline = time.monotonic() + 90
        while True:
            now = time.monotonic()
            order = self.routes[self.turn :] + self.routes[: self.turn]
            chosen = next((r for r in order if room(self.api, {self.groups[a] for a in r[2]}, now)), None)
            if chosen is not None:
                break
            if now > deadline:
                raise TimeoutError("no route with room in the pacer within 90 s")
            await asyncio.sleep(0.05)
        self.turn = (self.routes.index(chosen) + 1) % len(self.routes)
        self.mark += 1
        ours = await one_ours(
            self.api, self.mark, CALL_TAKERS[self.mark % len(CALL_TAKERS)], chosen, self.groups
        )
        await asyncio.sleep(0.05)
        self.floor_mark += 1
        floor = await _floor_one(self.floor, self.floor_mark)
        await asyncio.sleep(0.05)
        return ours, floor


async def _floor_one(api: Tracked, mark: int) -> Sample:
    from tests.bench_dispatch import one

    return await one(api, mark)


async def run(workdir: Path, count: int = 200, import_rows: int = IMPORT_ROWS,
              target: str | Path | None = None) -> dict[str, Any]:  # fmt: skip
    """target: the database (default a SQLite file in workdir; bench 6 passes a PostgreSQL URL).
    import_rows 0: the idle part only."""
    groups = group_ids()
    api = OneTracked(groups)
    floor = Tracked()
    bot: BotProcess | None = None
    relay = None
    importer = None
    db = target if target is not None else workdir / "one.sqlite3"
    during: list[Sample] = []
    during_floor: list[Sample] = []
    out, import_seconds = b"", 0.0
    try:
        await api.start()
        await floor.start()
        settings = workdir / "one.toml"
        settings.write_text(settings_toml(api, db, call_takers=CALL_TAKERS, agencies=groups,
                                          supervisors_group=-1002, escalation=False))  # fmt: skip
        bot = BotProcess(workdir, bot_env(settings))
        began = time.monotonic()
        await bot.start()
        await wait_polls(api, 0)
        startup = time.monotonic() - began
        relay = await start_relay(floor, workdir, GROUPS)
        await wait_polls(floor, 0)
        api.latency = floor.latency = LATENCY
        r = Run(api, floor, groups)
        for _ in range(WARMUP):
            await r.pair()
        idle: list[Sample] = []
        idle_floor: list[Sample] = []
        t0 = time.monotonic()
        for _ in range(count):
            ours, fl = await r.pair()
            idle.append(ours)
            idle_floor.append(fl)
        elapsed = time.monotonic() - t0
        held = could_hold(api, idle)
        if import_rows:
            csv = workdir / "calls.csv"
            await asyncio.to_thread(write_calls_csv, csv, import_rows)
            importer = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "run.py"), "import-calls", str(csv), cwd=str(ROOT),
                env=bot_env(settings), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            i0 = time.monotonic()
            while importer.returncode is None and len(during) < count:
                ours, fl = await r.pair()
                if importer.returncode is None:
                    during.append(ours)
                    during_floor.append(fl)
            out, _ = await importer.communicate()
            import_seconds = time.monotonic() - i0
            held += could_hold(api, during)
        group_max = max(
            max_in_window([x.at for x in api.accepts if x.chat_id == c], 60) for c in groups.values()
        )
    finally:
        if importer is not None and importer.returncode is None:
            importer.kill()
            await importer.wait()
        if bot is not None:
            await bot.stop()
        if relay is not None:
            await stop_process(relay)
        await api.stop()
        await floor.stop()
    return {"idle": idle, "idle_floor": idle_floor, "during": during, "during_floor": during_floor,
            "elapsed": elapsed, "held": held, "group_max": group_max, "startup": startup,
            "import_seconds": import_seconds, "import_rows": import_rows,
            "import_output": out.decode(errors="replace").strip().splitlines()[-1:] if out else [],
            "routes": len(r.routes), "groups": len(groups)}  # fmt: skip


def _row(name: str, samples: list[Sample]) -> list[str]:
    lat = [s.latency for s in samples]
    if not lat:
        return [name, "0", "-", "-", "-", "-"]
    return [
        name,
        str(len(lat)),
        ms(percentile(lat, 50)),
        ms(percentile(lat, 95)),
        ms(percentile(lat, 99)),
        ms(max(lat)),
    ]


def p95(samples: list[Sample]) -> float:
    return percentile([s.latency for s in samples], 95)


def render(result: dict[str, Any]) -> str:
    idle, floor = result["idle"], result["idle_floor"]
    during, during_floor = result["during"], result["during_floor"]
    ratio = p95(idle) / p95(floor)
    rows = [
        _row("ours, one process, idle", idle),
        _row("floor (bare PTB relay), alongside", floor),
        ["ratio ours/floor", "", f"{percentile([s.latency for s in idle], 50) / percentile([s.latency for s in floor], 50):.2f}x",
         f"{ratio:.2f}x", "", ""],
        _row("ours, one process, during import-calls", during),
        _row("floor, alongside the import", during_floor),
    ]  # fmt: skip
    stall = p95(during) / p95(idle) if during else float("nan")

    def split(name: str, part: str) -> list[str]:
        return [
            name,
            *(
                ms(percentile([getattr(s, part) for s in side], q))
                for side in (idle, floor)
                for q in (50, 95)
            ),
        ]

    inside = table(
        ["idle, the fake server's view", "ours p50", "ours p95", "floor p50", "floor p95"],
        [
            split("update queued -> getUpdates answer", "to_bot"),
            split("getUpdates answer -> 1st card request", "in_bot"),
            split("1st card request -> last card accepted", "fan_out"),
        ],
    )  # fmt: skip
    goal = "MET" if ratio <= 1.10 else "NOT MET"
    stall_goal = "MET" if stall <= 1.5 else "NOT MET"
    start_goal = "MET" if result["startup"] <= 1.5 else "NOT MET"
    notes = [
        f"goal: one process, p95 within 1.10x of the floor's p95: {goal} ({ratio:.2f}x)",
        f"goal: p95 during the import within 1.5x of idle: {stall_goal} ({stall:.2f}x; {len(during)} dispatches "
        f"while a {result['import_rows']:,}-row import-calls ran for {result['import_seconds']:.0f} s: "
        f"{' '.join(result['import_output'])})",
        f"goal: start of python run.py -> first getUpdates at most 1.5 s: {start_goal} ({result['startup']:.2f} s)",
        f"{len(idle)} dispatches each side, {LATENCY * 1000:.0f} ms per Bot API request, one bot process; "
        f"rotated over {result['routes']} routes to 3 agencies ({result['groups']} agency groups configured), "
        f"a dispatch sent only when its 3 groups were clear of the pacer: cards it could have held = "
        f"{result['held']}; max messages in any 60 s per group = {result['group_max']}; idle part took "
        f"{result['elapsed']:.0f} s",
    ]
    return table(["bot", "n", "p50", "p95", "p99", "max"], rows) + "\n\n" + inside + "\n\n" + "\n".join(notes)
