"""Bench 2: a surge of incidents from 8 call takers; every card tapped Terima, Berangkat, Tiba, Selesai.

Our bot (python run.py) against the fake Bot API with 50 ms per request. Every agency in the routing
table has a group (as in a city where every OPD has one); the incidents use the four categories
that route to exactly three agencies (ambulans, pohon-tumbang, ambulans-rs, odgj), so 15 groups
share the load and the busiest ones get a quarter of the incidents each. Telegram's 20 messages
per minute per group makes 5 messages per card (card + 4 edits) the bottleneck: at 100 incidents in
5 minutes the busiest groups need 125 messages, at least 6 minutes of sending; the default run
keeps the same arrival rate (20 incidents/min) for fewer incidents, BENCH_FULL=1 runs 100 in 5 min.

How a responder taps (BENCH_SURGE_TAPS):
- "crew" (the default): one member per group taps the next step 0.5-2 s after the bot answered the
  previous tap (the toast "#N diterima" that Telegram shows at once), without waiting for the card
  to be edited, as a crew calling out Terima, Berangkat, ... does. Edits of one card that wait in a
  saturated group's queue are then coalesced into one carrying the latest state.
- "strict": the next tap only 0.5-2 s after the card shows the previous one, so no tap can be
  coalesced into another's edit: every card costs 5 messages in its group. At full size the
  busiest groups then need 25 x 5 = 125 messages for 5 minutes of arrivals, more than 20 a minute
  allow, so the tail waits for minutes whatever the order: a worst case for the flood limits.
A tap counts as shown when the card no longer offers that step (a later edit shows it too).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.pacing import Pacer
from routing.table import load_routing
from tests.bench_common import (
    LATENCY,
    Accept,
    TimedBotApi,
    ms,
    percentile,
    settings_toml,
    start_bot,
    table,
    wait_polls,
)
from tests.botapi.model import SentMessage, User, max_in_window
from tests.e2e import BotProcess

CATEGORIES = ["ambulans", "pohon-tumbang", "ambulans-rs", "odgj"]
CALL_TAKERS = [1001 + i for i in range(8)]
SUPERVISORS_GROUP = -1002
STEPS = ["Terima", "Berangkat", "Tiba", "Selesai"]
NOTICE = re.compile(r"(menerima|berangkat ke|tiba di lokasi|menyelesaikan) #(\d+)")
MARK = re.compile(r"\(uji S(\d+)\)")
NUMBER = re.compile(r"#(\d+)")


def group_ids() -> dict[str, int]:
    routing = load_routing(None)
    return {code: -3001 - i for i, code in enumerate(routing.agencies)}


def settings(api: TimedBotApi, db: Path, groups: dict[str, int]) -> str:
    return settings_toml(
        api, db, call_takers=CALL_TAKERS, agencies=groups, supervisors_group=SUPERVISORS_GROUP
    )


@dataclass
class Card:
    mark: int
    chat_id: int
    message_id: int
    accepted_at: float
    tap_to_edit: list[float] = field(default_factory=list)
    done: bool = False


class Surge(TimedBotApi):
    def __init__(self, groups: dict[str, int], deadline: float, seed: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.deadline = deadline
        self.group_chats = set(groups.values())
        self.cards: dict[tuple[int, int], Card] = {}  # (chat, message) -> card
        self.marked: dict[int, list[Card]] = {}  # mark -> its cards
        self.replies: list[tuple[int, SentMessage]] = []  # (call taker chat, message) with "tercatat"
        self.notices = 0
        self.repeats = 0  # ULANG cards (escalation re-posts)
        self.changed: dict[tuple[int, int], asyncio.Event] = {}
        self.responders: set[asyncio.Task[None]] = set()
        self.members: dict[int, User] = {}
        for code, chat in groups.items():
            self.group(chat, f"Grup {code}")
            self.members[chat] = self.user(7000 - chat, f"Petugas {code}")
        self.group(SUPERVISORS_GROUP, "Supervisor 112")
        self.takers = [self.user(uid, f"Call taker {uid}") for uid in CALL_TAKERS]
        self.observers.append(self._see)
        self.taps = os.environ.get("BENCH_SURGE_TAPS", "crew")

    def _see(self, accept: Accept, result: Any) -> None:
        key = (accept.chat_id, accept.message_id or 0)
        if accept.method == "editmessagetext":
            event = self.changed.pop(key, None)
            if event is not None:
                event.set()
            return
        if accept.method != "sendmessage":
            return
        text = str(result.get("text") or "")
        if accept.chat_id in self.group_chats:
            found = MARK.search(text)
            if found is None:
                return
            if "ULANG" in text:  # an escalation re-post: counted, not tapped
                self.repeats += 1
                return
            sent = self.message(*key)
            assert sent is not None
            card = Card(int(found[1]), accept.chat_id, key[1], sent.accepted_at)
            self.cards[key] = card
            self.marked.setdefault(card.mark, []).append(card)
            task = asyncio.get_running_loop().create_task(self._respond(card))
            self.responders.add(task)
            task.add_done_callback(self.responders.discard)
        elif accept.chat_id in CALL_TAKERS:
            if "tercatat" in text:
                self.replies.append((accept.chat_id, self.message(*key)))  # type: ignore[arg-type]
            elif NOTICE.search(text):
                self.notices += 1

    async def _wait_card(self, key: tuple[int, int], gone: str) -> bool:
        while time.monotonic() < self.deadline:
            message = self.message(*key)
            labels = [b["text"] for b in message.buttons] if message else []
            if gone not in labels:
                return True
            event = self.changed.setdefault(key, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), max(0.01, self.deadline - time.monotonic()))
            except TimeoutError:
                pass
        return False

    async def _respond(self, card: Card) -> None:
        key = (card.chat_id, card.message_id)
        message = self.message(*key)
        assert message is not None
        data = {b["text"]: b["callback_data"] for b in message.buttons}
        if self.taps == "crew":
            shown = []
            for step in STEPS:
                await asyncio.sleep(self.rng.uniform(0.5, 2.0))  # hearing the toast, tapping the next
                query = self.tap(self.members[card.chat_id], card.chat_id, card.message_id, data[step])
                shown.append(asyncio.ensure_future(self._shown(card, key, step, time.monotonic())))
                answered = await self._changes.wait_until(
                    lambda q=query: q in self.state.answered_callbacks,
                    max(0.01, self.deadline - time.monotonic()), recheck=0.2,
                )  # fmt: skip
                if not answered:
                    return
            card.done = all(await asyncio.gather(*shown))
            return
        for step in STEPS:
            await asyncio.sleep(self.rng.uniform(0.5, 2.0))  # reading the card, tapping
            tapped = time.monotonic()
            self.tap(self.members[card.chat_id], card.chat_id, card.message_id, data[step])
            if not await self._wait_card(key, step):
                return
            card.tap_to_edit.append(time.monotonic() - tapped)
        card.done = True

    async def _shown(self, card: Card, key: tuple[int, int], step: str, tapped: float) -> bool:
        if not await self._wait_card(key, step):
            return False
        card.tap_to_edit.append(time.monotonic() - tapped)
        return True


def _schedule(count: int, seconds: float, rng: random.Random) -> list[float]:
    return sorted(rng.uniform(0, seconds) for _ in range(count))


async def _watch_backlog(db: Path, until: asyncio.Event, peaks: dict[str, int]) -> None:
    """Largest number of pending outbox rows seen (read-only, once a second)."""
    while not until.is_set():
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                (pending,) = conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()
            peaks["pending"] = max(peaks.get("pending", 0), int(pending))
        except sqlite3.Error:
            pass
        try:
            await asyncio.wait_for(until.wait(), 1.0)
        except TimeoutError:
            pass


async def run(workdir: Path, *, full: bool = False) -> dict[str, Any]:
    count = int(os.environ.get("BENCH_SURGE_INCIDENTS", "100" if full else "60"))
    seconds = float(os.environ.get("BENCH_SURGE_SECONDS", str(count * 3.0)))  # 20 incidents/min
    drain = 900.0 if full else 420.0
    groups = group_ids()
    routing = load_routing(None)
    kelurahan = [k for names in routing.kecamatan.values() for k in names]
    rng = random.Random(2024)
    db = workdir / "surge.sqlite3"
    api = Surge(groups, deadline=float("inf"), seed=7)
    bot: BotProcess | None = None
    stop_watch = asyncio.Event()
    peaks: dict[str, int] = {}
    sent_at: dict[int, float] = {}
    try:
        await api.start()
        started = time.monotonic()
        bot = await start_bot(workdir, settings(api, db, groups))
        await wait_polls(api, 0)
        startup = time.monotonic() - started
        api.latency = LATENCY
        watcher = asyncio.create_task(_watch_backlog(db, stop_watch, peaks))
        began = time.monotonic()
        api.deadline = began + seconds + drain
        for i, at in enumerate(_schedule(count, seconds, rng)):
            await asyncio.sleep(max(0.0, began + at - time.monotonic()))
            taker = api.takers[i % len(api.takers)]
            category = CATEGORIES[i % len(CATEGORIES)]
            text = (
                f"/baru {category} | {rng.choice(kelurahan)} | Jl. Uji {i + 1}"
                f" | 0813{rng.randrange(10**7, 10**8)}"
                f" | Lonjakan panggilan (uji S{i + 1:03d})"
            )
            sent_at[i + 1] = time.monotonic()
            api.send_text(taker, taker, text)
        commands_done = time.monotonic() - began
        expected_notices = count * 3 * len(STEPS)
        ok = await api._changes.wait_until(
            lambda: (
                sum(len(v) for v in api.marked.values()) >= 3 * count
                and not api.responders
                and api.notices >= expected_notices
                and len(api.replies) >= count
            ),
            max(1.0, api.deadline - time.monotonic()),
            recheck=1.0,
        )
        finished = time.monotonic() - began
        await asyncio.sleep(2.0)  # anything late (a duplicate, an escalation) still shows up
        stop_watch.set()
        await watcher
        peak_rss = _peak_rss_kb(bot)
        checks = _db_checks(db, count)
    finally:
        stop_watch.set()
        if bot is not None:
            code = await bot.stop()
            if code not in (0, -15):
                print(bot.output()[-3000:])
        await api.stop()
    return {
        "api": api,
        "count": count,
        "seconds": seconds,
        "full": full,
        "began": began,
        "sent_at": sent_at,
        "commands_done": commands_done,
        "finished": finished,
        "complete": bool(ok),
        "db": checks,
        "peaks": peaks,
        "groups_used": _groups_used(routing),
        "startup": startup,
        "peak_rss_kb": peak_rss,
        "taps": api.taps,
    }


def _peak_rss_kb(bot: BotProcess) -> int:
    """VmHWM of the running run.py: the most resident memory it has had so far (the surge's peak)."""
    assert bot.proc is not None
    for line in Path(f"/proc/{bot.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _groups_used(routing: Any) -> int:
    return len({a for c in CATEGORIES for k in routing.kecamatan for a in routing.route(c, k)})


def _db_checks(db: Path, count: int) -> dict[str, Any]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        numbers = {int(n): d for n, d in conn.execute("SELECT number, description FROM incidents")}
        return {
            "incidents": one("SELECT COUNT(*) FROM incidents"),
            "assignments": one("SELECT COUNT(*) FROM assignments"),
            "cleared": one("SELECT COUNT(*) FROM assignments WHERE state = 'cleared'"),
            "with_card": one("SELECT COUNT(*) FROM assignments WHERE message_id IS NOT NULL"),
            "pending": one("SELECT COUNT(*) FROM outbox WHERE state = 'pending'"),
            "failed": one("SELECT COUNT(*) FROM outbox WHERE state = 'failed'"),
            "superseded": one("SELECT COUNT(*) FROM outbox WHERE state = 'superseded'"),
            "refused": one("SELECT COUNT(*) FROM events WHERE kind = 'refused'"),
            "unhandled": one("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL"),
            "mark_of": {n: int(m[1]) for n, d in numbers.items() if (m := MARK.search(d))},
        }


def render(result: dict[str, Any]) -> str:
    api: Surge = result["api"]
    count: int = result["count"]
    dbc = result["db"]
    began: float = result["began"]
    sent_at: dict[int, float] = result["sent_at"]
    accepts = [a for a in api.accepts if a.at >= began - 1]
    groups = sorted({a.chat_id for a in accepts if a.chat_id in api.group_chats})
    per_group = {g: max_in_window([a.at for a in accepts if a.chat_id == g], 60) for g in groups}
    per_second = max_in_window([a.at for a in accepts], 1)
    gaps = []
    for chat in {a.chat_id for a in accepts}:
        times = sorted(a.at for a in accepts if a.chat_id == chat)
        gaps += [b - a for a, b in itertools.pairwise(times)]
    tightest = min(
        (
            (times[i + 20] - times[i], g)
            for g in groups
            for times in [sorted(a.at for a in accepts if a.chat_id == g)]
            for i in range(len(times) - 20)
        ),
        default=(float("inf"), 0),
    )
    pacer = Pacer()
    gap, window = pacer.per_chat_gap, float(getattr(pacer, "group_window", 60.0))
    sends = sum(1 for a in accepts if a.method == "sendmessage")
    edits = sum(1 for a in accepts if a.method.startswith("edit"))
    group_msgs = sum(1 for a in accepts if a.chat_id in api.group_chats)
    fake_sends_60 = max((api.sends_per_window(g, 60) for g in groups), default=0)

    cards = [c for cs in api.marked.values() for c in cs]
    final_ok = sum(
        1
        for c in cards
        if (m := api.message(c.chat_id, c.message_id)) is not None
        and not m.buttons
        and "Selesai" in m.current_text
    )
    confirm: list[float] = []
    mark_of: dict[int, int] = dbc["mark_of"]
    for _, reply in api.replies:
        number = NUMBER.search(reply.current_text)
        if number and int(number[1]) in mark_of:
            confirm.append(reply.accepted_at - sent_at[mark_of[int(number[1])]])
    first_card = [min(c.accepted_at for c in cs) - sent_at[m] for m, cs in api.marked.items()]
    last_card = [max(c.accepted_at for c in cs) - sent_at[m] for m, cs in api.marked.items() if len(cs) >= 3]
    tap_edit = [x for c in cards for x in c.tap_to_edit]

    loss_rows = [
        ["incidents in the database", f"{dbc['incidents']} / {count}", _ok(dbc["incidents"] == count)],
        [
            "cards delivered (distinct incident x group)",
            f"{len({(c.mark, c.chat_id) for c in cards})} / {3 * count}",
            _ok(len({(c.mark, c.chat_id) for c in cards}) == 3 * count),
        ],
        [
            "assignments 'cleared' (all 4 taps applied)",
            f"{dbc['cleared']} / {3 * count}",
            _ok(dbc["cleared"] == 3 * count),
        ],
        [
            "cards showing Selesai with no buttons left",
            f"{final_ok} / {3 * count}",
            _ok(final_ok == 3 * count),
        ],
        ["call taker confirmations", f"{len(api.replies)} / {count}", _ok(len(api.replies) == count)],
        ["call taker notices (one per tap)", f"{api.notices} / {12 * count}", _ok(api.notices == 12 * count)],
        [
            "outbox rows pending / failed at the end",
            f"{dbc['pending']} / {dbc['failed']}",
            _ok(dbc["pending"] == 0 and dbc["failed"] == 0),
        ],
        [
            "updates unhandled / refusals audited",
            f"{dbc['unhandled']} / {dbc['refused']}",
            _ok(dbc["unhandled"] == 0 and dbc["refused"] == 0),
        ],
    ]
    limit_rows = [
        [
            "max messages in any 60 s, per group (sends + edits)",
            str(max(per_group.values(), default=0)),
            "<= 20",
            _ok(max(per_group.values(), default=0) <= 20),
        ],
        [
            "  same, sends only (fake's sends_per_window)",
            str(fake_sends_60),
            "<= 20",
            _ok(fake_sends_60 <= 20),
        ],
        ["max messages in any 1 s, all chats", str(per_second), "<= 30", _ok(per_second <= 30)],
        [
            "min gap between two messages to one chat",
            f"{min(gaps, default=0):.2f} s",
            "~1 s",
            _ok(min(gaps, default=1) >= 0.95),
        ],
    ]
    latency_rows = [
        ["call taker confirmation (command -> reply in private chat)", *_pcts(confirm)],
        ["first card of an incident (command -> card accepted)", *_pcts(first_card)],
        ["all 3 cards of an incident (command -> last card)", *_pcts(last_card)],
        ["tap -> card edited", *_pcts(tap_edit)],
    ]
    what = (
        f"{'BENCH_FULL' if result['full'] else 'default (compressed)'}: {count} incidents over "
        f"{result['seconds']:.0f} s (20/min) from 8 call takers, 3 agencies each, "
        f"{result['groups_used']} agency groups in use; every card tapped 4 times by a group member "
        f"(taps: {result['taps']}, see tests/bench_surge.py); "
        f"{LATENCY * 1000:.0f} ms per Bot API request"
    )
    notes = [
        what,
        f"commands sent by {result['commands_done']:.0f} s; everything delivered and tapped by "
        f"{result['finished']:.0f} s{'' if result['complete'] else ' (INCOMPLETE: deadline reached)'}",
        f"messages accepted: {sends} sends + {edits} edits ({group_msgs} in agency groups); "
        f"card renders coalesced (superseded): {dbc['superseded']}; ULANG re-posts: {api.repeats}; "
        f"peak outbox backlog: {result['peaks'].get('pending', 0)} rows",
        f"tightest 21 consecutive messages to one group (fake's accept times): {tightest[0]:.3f} s "
        f"(chat {tightest[1]}); bot.pacing.Pacer lets the 21st go {window:.1f} s after the 1st and keeps "
        f"{gap:.1f} s per chat by its own clock, taken before the attempt transaction, card read and HTTP "
        "request, so jitter on that path shows up here",
        "edits are timed by the bench (TimedBotApi): SentMessage.edits snapshots keep the original "
        "accepted_at",
    ]
    goal = _goal_rows(confirm, first_card, tap_edit, result)
    return "\n\n".join(
        [
            table(["goal", "observed", "goal", ""], goal),
            table(["zero loss", "observed", ""], loss_rows),
            table(["limits held", "observed", "limit", ""], limit_rows),
            table(["latency under the surge (paced)", "n", "p50", "p95", "max"], latency_rows),
            "\n".join(notes),
        ]
    )


def _ok(good: bool) -> str:
    return "OK" if good else "FAIL"


def _pcts(values: list[float]) -> list[str]:
    if not values:
        return ["0", "-", "-", "-"]
    return [str(len(values)), _s(percentile(values, 50)), _s(percentile(values, 95)), _s(max(values))]


def _s(seconds: float) -> str:
    return ms(seconds) if seconds < 1 else f"{seconds:.1f} s"


def _goal_rows(confirm: list[float], first_card: list[float], tap_edit: list[float],
               result: dict[str, Any]) -> list[list[str]]:  # fmt: skip
    def p95(values: list[float]) -> float:
        return percentile(values, 95) if values else float("inf")

    rss_mb = result["peak_rss_kb"] / 1024
    return [
        ["call taker confirmation p95", _s(p95(confirm)), "<= 1 s", _ok(p95(confirm) <= 1.0)],
        ["first card of an incident p95", _s(p95(first_card)), "<= 3 s", _ok(p95(first_card) <= 3.0)],
        ["tap -> card edited p95", _s(p95(tap_edit)), "<= 10 s", _ok(p95(tap_edit) <= 10.0)],
        ["peak RSS of run.py during the surge (VmHWM)", f"{rss_mb:.0f} MB", "<= 150 MB", _ok(rss_mb <= 150)],
        [
            "start of run.py -> first getUpdates",
            _s(result["startup"]),
            "<= 1.5 s",
            _ok(result["startup"] <= 1.5),
        ],
    ]
