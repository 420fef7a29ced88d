"""Digest periods cut in WIB, content, exactly-once sending and catch-up, with an injected clock."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.reports.digest import collect, report_on_demand, send_due_digests
from bot.reports.digest_text import (
    Window,
    day_window,
    due_windows,
    duration_id,
    render_lines,
    requested_window,
    week_window,
)
from bot.services.calls import log_call
from bot.services.common import Actor, Refused
from bot.services.status import Origin, report_status
from routing.model import AssignmentState
from tests.test_escalation_support import (
    CALL_TAKER,
    DAMKAR,
    SUPERVISOR,
    SUPERVISORS_GROUP,
    WIB,
    World,
    make_settings,
    make_world,
    wib,
)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, wib("2024-03-04 08:00")):
        yield w


async def call_at(world: World, when: str, call_type: str = "prank", phone: str = "") -> None:
    world.clock.now = wib(when)
    await log_call(world.app, call_type, phone or "-", world.actor, update_id=None)


def keys(windows: list[Window]) -> list[str]:
    return [w.key for w in windows]


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def test_due_windows_around_the_send_time_and_the_first_of_the_month() -> None:
    def due(text: str) -> list[str]:
        return keys(due_windows(_local(text), (7, 0), monthly=True))

    assert due("2024-03-05 06:59") == ["hari:2024-03-03", "bulan:2024-02"]
    assert due("2024-03-05 07:00") == ["hari:2024-03-04", "bulan:2024-02"]
    assert due("2024-04-01 06:59") == ["hari:2024-03-30", "bulan:2024-02"]
    assert due("2024-04-01 07:00") == ["hari:2024-03-31", "bulan:2024-03"]
    assert due("2025-01-01 07:00") == ["hari:2024-12-31", "bulan:2024-12"]
    assert due("2025-01-01 06:00") == ["hari:2024-12-30", "bulan:2024-11"]
    assert keys(due_windows(_local("2024-03-01 08:00"), (7, 0), monthly=False)) == ["hari:2024-02-29"]


def test_requested_windows_and_titles() -> None:
    now = _local("2024-03-06 10:15")
    assert requested_window("hari", now).title == "Rabu, 6 Maret 2024"
    assert requested_window("hari 2024-02-29", now).key == "hari:2024-02-29"
    assert requested_window("minggu", now).title == "Minggu 4–10 Maret 2024"
    assert week_window(date(2024, 2, 28), WIB).title == "Minggu 26 Februari – 3 Maret 2024"
    assert week_window(date(2024, 12, 31), WIB).key == "minggu:2025-W01"
    assert requested_window("BULAN 2024-02", now).title == "Februari 2024"
    assert requested_window("tahun", now).title == "Tahun 2024"
    for bad in ("", "kemarin", "hari 2024-02-30", "bulan 2024-13", "tahun dua"):
        with pytest.raises(ValueError, match="laporan"):
            requested_window(bad, now)
    assert [duration_id(s) for s in (45, 185, 3600, 7500)] == [
        "45 dtk",
        "3 mnt 5 dtk",
        "1 jam",
        "2 jam 5 mnt",
    ]


async def test_day_window_is_cut_at_midnight_wib(world: World) -> None:
    await call_at(world, "2024-03-04 00:00")
    await call_at(world, "2024-03-04 23:59")
    await call_at(world, "2024-03-05 00:01")
    await call_at(world, "2024-03-03 23:59:59")
    monday = await collect(world.app, day_window(date(2024, 3, 4), WIB))
    tuesday = await collect(world.app, day_window(date(2024, 3, 5), WIB))
    assert monday.calls == {"prank": 2} and tuesday.calls == {"prank": 1}


async def test_month_and_year_windows_take_their_edges(world: World) -> None:
    for when in ("2024-12-01 00:00", "2024-12-31 23:59", "2025-01-01 00:01", "2024-11-30 23:59"):
        await call_at(world, when, "ghost")
    december = await collect(world.app, requested_window("bulan 2024-12", _local("2025-01-02 00:00")))
    year = await collect(world.app, requested_window("tahun 2024", _local("2025-01-02 00:00")))
    assert december.calls == {"ghost": 2} and year.calls == {"ghost": 3}


async def test_digest_content(world: World) -> None:
    world.clock.now = wib("2024-03-04 09:00")
    await world.dispatch()
    (aid,) = (await world.rows("SELECT id FROM assignments WHERE agency = 'damkar'"))[0]
    responder = Actor(501, "Budi", DAMKAR)
    world.clock.advance(40)
    await report_status(world.app, aid, AssignmentState.ACKNOWLEDGED, responder, Origin(), update_id=None)
    world.clock.advance(560)
    await report_status(world.app, aid, AssignmentState.ON_SCENE, responder, Origin(), update_id=None)
    for when in ("10:00", "11:00", "12:00"):
        await call_at(world, f"2024-03-04 {when}", "prank", "081299998888")
    await call_at(world, "2024-03-04 13:00", "ghost", "081277776666")
    await call_at(world, "2024-03-04 14:00", "informasi")
    world.clock.now = wib("2024-03-05 07:00")
    data = await collect(world.app, day_window(date(2024, 3, 4), WIB))
    text = "\n".join(render_lines(data, world.app.routing))
    assert "Ringkasan Harian" in text and "Senin, 4 Maret 2024" in text
    assert "Kejadian 1 · Informasi 1 · Prank 3 · Ghost 1" in text
    assert "Prank + ghost: 4 dari 6 (66,7%)" in text
    assert "Kebakaran: 1" in text and "Kepanjenkidul: 1" in text
    assert "<b>Damkar</b>: dikirim 1, diterima 1, ditolak 0" in text
    assert "terima 40 dtk / 40 dtk · tiba 10 mnt / 10 mnt" in text
    assert "Masih terbuka: 1</b>, terlambat 1" in text and "belum diterima: Polres" in text
    assert "0812****8888: 3 kali" in text and "6666" not in text and "081299998888" not in text


async def test_scheduled_digest_once_and_the_missed_one_on_start(world: World) -> None:
    # First run on this database (Monday 08:00): nothing was missed, nothing is sent.
    assert await send_due_digests(world.app) == []
    await call_at(world, "2024-03-04 09:00", "prank")
    world.clock.now = wib("2024-03-05 06:59:59")
    assert await send_due_digests(world.app) == []
    world.clock.now = wib("2024-03-05 07:00:01")
    assert await send_due_digests(world.app) == ["hari:2024-03-04"]
    assert await send_due_digests(world.app) == []
    texts = await world.texts_to(SUPERVISORS_GROUP)
    assert len(texts) == 1 and "Senin, 4 Maret 2024" in texts[0] and "Prank 1" in texts[0]
    (photo,) = await world.outbox("photo")
    assert photo[1] == str(SUPERVISORS_GROUP)
    assert base64.b64decode(photo[2]["png"]).startswith(b"\x89PNG")
    # Down from Tuesday 07:30 to Thursday 09:00: Wednesday's digest is sent on start, once.
    await world.reopen()
    world.clock.now = wib("2024-03-07 09:00")
    await world.reopen()
    assert await send_due_digests(world.app) == ["hari:2024-03-06"]
    await world.reopen()
    assert await send_due_digests(world.app) == []
    assert len(await world.texts_to(SUPERVISORS_GROUP)) == 2


async def test_monthly_report_on_the_first_and_private_chats_without_a_group(tmp_path: Path) -> None:
    settings = make_settings(chats={}, digest={"time": "06:30"})
    async for world in make_world(tmp_path, wib("2024-12-30 12:00"), settings):
        assert await send_due_digests(world.app) == []
        await call_at(world, "2024-12-31 23:59", "ghost")
        world.clock.now = wib("2025-01-01 06:30:05")
        assert await send_due_digests(world.app) == ["hari:2024-12-31", "bulan:2024-12"]
        texts = await world.texts_to(SUPERVISOR)  # no supervisors' group: each supervisor privately
        assert any("Laporan Bulanan" in t and "Desember 2024" in t for t in texts)
        assert any("Selasa, 31 Desember 2024" in t and "Ghost 1" in t for t in texts)


async def test_laporan_on_demand_answers_in_the_asking_chat(world: World) -> None:
    await call_at(world, "2024-03-04 09:00", "ghost")
    asker = Actor(SUPERVISOR, "Sari", SUPERVISOR)
    await report_on_demand(world.app, "hari", asker, update_id=None)
    (text,) = await world.texts_to(SUPERVISOR)
    assert "Ghost 1" in text and "s.d. 04/03 09:00 WIB" in text
    assert [t for _, t, _ in await world.outbox("photo")] == [str(SUPERVISOR)]
    with pytest.raises(Refused, match="Format"):
        await report_on_demand(world.app, "minggu depan lagi", asker, update_id=None)
    with pytest.raises(Refused, match="belum dimulai"):
        await report_on_demand(world.app, "tahun 2030", asker, update_id=None)
    assert await world.rows("SELECT * FROM digests") == []  # on demand is not a scheduled period
    assert not [t for t in await world.texts_to(CALL_TAKER) if "Laporan" in t or "Ringkasan" in t]
