"""The report document in the bot, in process with an injected clock: the monthly report on the 1st
attaches the month's .docx, /laporan ... docx answers with the document, and a failed build is said."""

from __future__ import annotations

import argparse
import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import docx
import pytest

from bot.reports import digest
from bot.reports.cli import run_import_calls, run_import_telephony
from bot.reports.digest import report_on_demand, send_due_digests
from bot.services.common import Actor, Refused
from tests.data.seed_2023 import write_seed_csvs
from tests.test_escalation_support import SUPERVISOR, SUPERVISORS_GROUP, WIB, World, make_world, wib


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, wib("2023-03-30 12:00")):
        telephony, calls = write_seed_csvs(tmp_path / "csv")
        routing = w.app.routing
        assert (
            await run_import_telephony(argparse.Namespace(file=str(telephony)), str(w.path), WIB, routing)
            == 0
        )
        assert await run_import_calls(argparse.Namespace(file=str(calls)), str(w.path), WIB, routing) == 0
        yield w


def opened(payload: dict[str, Any]) -> Any:
    return docx.Document(io.BytesIO(base64.b64decode(payload["data"])))


async def test_the_monthly_report_attaches_the_months_document(world: World) -> None:
    assert await send_due_digests(world.app) == []  # first run: baseline
    world.clock.now = wib("2023-04-01 07:00:05")
    assert await send_due_digests(world.app) == ["hari:2023-03-31", "bulan:2023-03"]
    (row,) = await world.outbox("document")  # the daily digest carries none
    _, target, payload = row
    assert target == str(SUPERVISORS_GROUP)
    assert payload["filename"] == "laporan-112-2023-03.docx" and "Maret 2023" in payload["caption"]
    doc = opened(payload)
    assert [c.text for c in doc.tables[0].rows[1].cells] == [
        "1",
        "Maret",
        "4.803",
        "270",
        "226",
        "96%",
        "159",
    ]
    assert any(
        "pada Maret 2023 panggilan masuk ke agent" in p.text and "270" in p.text for p in doc.paragraphs
    )
    assert len(doc.inline_shapes) == 3
    kinds = [k for k, t, _ in await world.outbox() if t == str(SUPERVISORS_GROUP)]
    assert kinds.index("document") > kinds.index("photo")  # after the month's text and chart
    # Exactly once: a second pass (or the catch-up job) sends nothing more.
    assert await send_due_digests(world.app) == []
    assert len(await world.outbox("document")) == 1


async def test_laporan_docx_on_demand(world: World) -> None:
    world.clock.now = wib("2024-02-10 09:00")
    asker = Actor(SUPERVISOR, "Sari", SUPERVISOR)
    await report_on_demand(world.app, "tahun 2023 DOCX", asker, update_id=None)
    await report_on_demand(world.app, "bulan 2023-06 docx", asker, update_id=None)
    rows = await world.outbox("document")
    assert [(t, p["filename"]) for _, t, p in rows] == [
        (str(SUPERVISOR), "laporan-112-2023.docx"),
        (str(SUPERVISOR), "laporan-112-2023-06.docx"),
    ]
    year = opened(rows[0][2])
    assert any("April 2023 dengan total panggilan 342" in p.text for p in year.paragraphs)
    assert [c.text for c in year.tables[0].rows[-1].cells][-1] == "1.777"
    assert await world.texts_to(SUPERVISOR) == []  # the document alone, no digest text
    with pytest.raises(Refused, match="per bulan atau per tahun"):
        await report_on_demand(world.app, "hari 2023-03-05 docx", asker, update_id=None)
    with pytest.raises(Refused, match="belum dimulai"):
        await report_on_demand(world.app, "tahun 2030 docx", asker, update_id=None)
    with pytest.raises(Refused, match="Format"):
        await report_on_demand(world.app, "docx", asker, update_id=None)
    assert len(await world.outbox("document")) == 2


async def test_a_failed_document_is_said_not_hidden(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(digest, "window_document", broken)
    assert await send_due_digests(world.app) == []
    world.clock.now = wib("2023-04-01 07:00:05")
    assert await send_due_digests(world.app) == ["hari:2023-03-31", "bulan:2023-03"]
    assert await world.outbox("document") == []
    texts = await world.texts_to(SUPERVISORS_GROUP)
    assert any("Laporan Bulanan" in t for t in texts)  # the month's digest still went
    assert any(
        "Dokumen .docx Maret 2023 gagal dibuat" in t and "/laporan bulan 2023-03 docx" in t for t in texts
    )
    with pytest.raises(Refused, match="gagal dibuat"):
        await report_on_demand(
            world.app, "tahun 2023 docx", Actor(SUPERVISOR, "Sari", SUPERVISOR), update_id=None
        )
