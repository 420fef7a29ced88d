"""Prank & ghost patterns for the reports: WIB weekday x hour, kecamatan where known, the heatmap,
and the monthly digest's lines; time is given explicitly, never read from a clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.reports.prank import as_dict, digest_lines, read_patterns, render_csv, render_md
from bot.reports.prank_chart import heatmap_png
from routing.prank import Ladder, history_text, parse_duration
from routing.table import load_routing
from storage.intake import CallRepo
from storage.uow import Store

WIB = ZoneInfo("Asia/Jakarta")


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=WIB).timestamp()


async def test_patterns_cut_in_wib_by_weekday_hour_and_kecamatan(db_target: str) -> None:
    store = await Store.open(db_target)
    calls = [
        (ts(2024, 3, 4, 21, 14), "prank", "Kepanjenkidul"),  # Monday 21:xx
        (ts(2024, 3, 4, 21, 50), "ghost", None),
        (ts(2024, 3, 10, 23, 30), "prank", "Sukorejo"),  # Sunday 23:30 WIB = 16:30 UTC
        (ts(2024, 3, 10, 7, 0), "incident", "Sukorejo"),  # not a prank: not counted
        (ts(2024, 4, 1, 0, 10), "prank", None),  # next month: outside the period
    ]
    for at, kind, kecamatan in calls:
        async with store.transaction(at) as tx:
            await CallRepo(tx.db, at).add(kind, kecamatan=kecamatan)
    routing = load_routing(None)
    offset = 7 * 3600
    patterns = await read_patterns(store.db, ts(2024, 3, 1), ts(2024, 4, 1), offset, routing)
    await store.close()
    assert patterns.total == 3
    assert patterns.grid[0][21] == 2 and patterns.grid[6][23] == 1
    assert patterns.peak == (0, 21, 2)
    assert [(r.kecamatan, r.count, r.percentage) for r in patterns.by_kecamatan] == [
        ("Kepanjenkidul", 1, 50.0),
        ("Sukorejo", 1, 50.0),
        ("Sananwetan", 0, 0.0),
    ]
    assert patterns.unknown_location == 1
    md = render_md(patterns, "Maret 2024")
    assert "paling ramai: Senin 21.00-21.59 (2 panggilan)" in md
    assert "| Senin | " + " | ".join(["0"] * 21 + ["2", "0", "0"]) + " | 2 |" in md
    assert render_csv(patterns).splitlines()[2].startswith("Senin,0,")
    assert as_dict(patterns)["by_weekday"] == [2, 0, 0, 0, 0, 0, 1]
    lines = digest_lines(patterns)
    assert "Jam teramai: 21.00 (2), 23.00 (1)" in lines and lines[-1].endswith("tanpa lokasi 1")
    assert heatmap_png(patterns, "Maret 2024")[:8] == b"\x89PNG\r\n\x1a\n"


def test_history_text_and_ladder() -> None:
    now = datetime(2024, 3, 5, 9, 0, tzinfo=WIB)
    text = history_text(
        "0812****7890", {"prank": 3, "ghost": 1}, 30, datetime(2024, 3, 4, 21, 14, tzinfo=WIB), now
    )
    assert text == "0812****7890: 3 prank, 1 ghost dalam 30 hari; terakhir kemarin 21:14"
    assert history_text("0812****7890", {}, 30, None, now) is None
    older = history_text("x", {"incident": 1}, 30, datetime(2024, 2, 20, 8, 5, tzinfo=WIB), now)
    assert older == "x: 1 kejadian dalam 30 hari; terakhir 20/02 08:05"
    ladder = Ladder(24, 72)
    assert [ladder.level_after(n) for n in range(4)] == [1, 2, 3, 3]
    assert [ladder.hours(level) for level in (1, 2, 3)] == [24, 72, None]
    assert [parse_duration(t) for t in ("24j", "12 jam", "3h", "2hari", "1mgg")] == [24, 12, 72, 48, 168]


async def test_monthly_digest_gains_the_patterns_and_the_heatmap(tmp_path: Path) -> None:
    from bot.reports.digest import report_on_demand
    from bot.services.calls import log_call
    from bot.services.common import Actor
    from tests.test_escalation_support import SUPERVISOR, make_world, wib

    async for world in make_world(tmp_path, wib("2024-03-04 21:14")):
        await log_call(world.app, "prank", "081299998888", world.actor, update_id=None)
        world.clock.now = wib("2024-03-10 23:30")
        await log_call(world.app, "ghost", "-", world.actor, update_id=None)
        world.clock.now = wib("2024-04-02 08:00")
        await report_on_demand(
            world.app, "bulan 2024-03", Actor(SUPERVISOR, "Sari", SUPERVISOR), update_id=None
        )
        text = "\n".join(await world.texts_to(SUPERVISOR))
        assert "Pola Prank &amp; Ghost</b> (2): paling ramai Senin 21.00-21.59 (1 panggilan)" in text
        captions = [p["caption"] for _, _, p in await world.outbox("photo")]
        assert any("Pola prank & ghost" in c for c in captions) and len(captions) == 2
        await report_on_demand(
            world.app, "hari 2024-03-04", Actor(SUPERVISOR, "Sari", SUPERVISOR), update_id=None
        )
        assert len(await world.outbox("photo")) == 3  # the daily digest keeps its one chart


async def test_block_expires_and_the_ladder_window_forgets(tmp_path: Path) -> None:
    from bot.services.blocks import block_number
    from bot.services.common import Refused
    from tests.test_escalation_support import make_world, wib

    async for world in make_world(tmp_path, wib("2024-03-04 08:00")):
        app, actor = world.app, world.actor
        await block_number(app, "081299998888", actor, update_id=None)
        try:
            await block_number(app, "081299998888", actor, update_id=None)
            raise AssertionError("a second block while the first is active")
        except Refused as refusal:
            assert refusal.reason == "already_blocked"
        world.clock.advance(24 * 3600 + 1)  # the first block has ended by itself
        await block_number(app, "081299998888", actor, update_id=None)
        assert await world.rows("SELECT level, ends_at - starts_at FROM blocks ORDER BY id") == [
            (1, 86400.0),
            (2, 3 * 86400.0),
        ]
        world.clock.advance(91 * 86400)  # older than [prank] ladder_days: back to the first step
        await block_number(app, "081299998888", actor, update_id=None)
        assert (await world.rows("SELECT level FROM blocks ORDER BY id DESC LIMIT 1")) == [(1,)]
