"""/laporan tahun 2023 docx end to end: python run.py against the fake Bot API, the seed's year imported."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import docx

from bot.reports.cli import run_import_calls, run_import_telephony
from routing.table import load_routing
from tests.data.seed_2023 import write_seed_csvs
from tests.e2e import SUPERVISOR, SUPERVISORS_GROUP, World
from tests.test_escalation_support import WIB


async def test_laporan_docx_reaches_the_supervisor_who_asked(world: World, tmp_path: Path) -> None:
    api = world.api
    # The year's history goes in beside the running bot, as the office would import it.
    telephony, calls = write_seed_csvs(tmp_path / "csv")
    routing = load_routing()
    assert (
        await run_import_telephony(argparse.Namespace(file=str(telephony)), str(world.db), WIB, routing) == 0
    )
    assert await run_import_calls(argparse.Namespace(file=str(calls)), str(world.db), WIB, routing) == 0

    api.send_text(world.supervisor, world.supervisor, "/laporan tahun 2023 docx")
    sent = await api.wait_message(SUPERVISOR, "Tahun 2023", timeout=30)
    assert sent.document is not None and sent.filename == "laporan-112-2023.docx"
    assert sent.caption is not None and "Call Center 112 Kota Blitar" in sent.caption
    doc = docx.Document(io.BytesIO(sent.document))
    assert [c.text for c in doc.tables[0].rows[-1].cells][2:] == [
        "53.814",
        "2.983",
        "2.472",
        "95,3%",
        "1.777",
    ]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "April 2023 dengan total panggilan 342" in text and "Permasalahan PJU" in text
    assert len(doc.inline_shapes) == 3
    # To the one who asked, nowhere else.
    assert [m for m in api.messages_in(SUPERVISORS_GROUP) if m.document] == []

    # A day is no document: said, and nothing more is sent.
    api.send_text(world.supervisor, world.supervisor, "/laporan hari docx")
    await api.wait_message(SUPERVISOR, "per bulan atau per tahun")
    assert len([m for m in api.messages_in(SUPERVISOR) if m.document]) == 1
