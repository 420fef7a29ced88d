"""The outbox's document kind: the bytes committed in the row are what Telegram gets, also after a kill -9."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.app import DispatchApp
from bot.delivery import REPEAT_MARK, TelegramDelivery
from bot.pacing import Pacer
from bot.reports.document import enqueue_document
from bot.settings import Settings
from routing.table import load_routing
from storage.records import OutboxRecord
from storage.uow import Store
from tests.dbread import new_target
from tests.test_delivery_pacing import RecordingPort

DOC = bytes(range(256)) * 40  # not text: survives base64 and JSON unchanged or not at all


class DocumentPort(RecordingPort):
    def __init__(self, now: list[float]) -> None:
        super().__init__(now)
        self.documents: list[tuple[int, bytes, str, str]] = []

    async def send_document(self, chat_id: int, data: bytes, filename: str, caption_html: str) -> int:
        self.documents.append((chat_id, data, filename, caption_html))
        return 100 + len(self.documents)


@contextlib.asynccontextmanager
async def open_app(path: Path | str, now: list[float]) -> AsyncIterator[DispatchApp]:
    store = await Store.open(path)
    try:  # closed even when an assertion fails: an open connection's thread would keep pytest alive
        yield DispatchApp(settings=Settings(), store=store, routing=load_routing(), clock=lambda: now[0])
    finally:
        await store.close()


async def deliver_all(app: DispatchApp, now: list[float]) -> DocumentPort:
    port = DocumentPort(now)
    delivery = TelegramDelivery(app, port, Pacer(clock=lambda: now[0]))
    await delivery._dispatch_due()
    await delivery.drain()
    return port


async def test_a_document_is_sent_as_committed(tmp_path: Path) -> None:
    now = [1_000_000.0]
    async with open_app(new_target(tmp_path), now) as app:
        async with app.store.transaction(now[0]) as tx:
            await enqueue_document(tx, 222, 0, "laporan-112-2023.docx", DOC, "📄 Laporan <b>2023</b>")
        port = await deliver_all(app, now)
        assert port.documents == [(222, DOC, "laporan-112-2023.docx", "📄 Laporan <b>2023</b>")]
        assert await _pending(app, now) == []


async def test_a_send_cut_by_a_kill_goes_again_marked(tmp_path: Path) -> None:
    now = [1_000_000.0]
    path = new_target(tmp_path)
    async with open_app(path, now) as app:
        async with app.store.transaction(now[0]) as tx:
            await enqueue_document(tx, 222, 0, "laporan-112-2023-03.docx", DOC, "📄 Maret 2023")
        (row,) = await _pending(app, now)
        # What a kill -9 after the attempt was committed, before Telegram answered, leaves on disk.
        async with app.store.transaction(now[0]) as tx:
            await tx.outbox.begin_attempts([row.id])

    async with open_app(path, now) as app:  # the restart: only the file
        port = await deliver_all(app, now)
        ((chat, data, name, caption),) = port.documents
        assert (chat, data, name) == (222, DOC, "laporan-112-2023-03.docx")
        assert caption == f"📄 Maret 2023\n{REPEAT_MARK}"
        assert await _pending(app, now) == []


async def _pending(app: DispatchApp, now: list[float]) -> list[OutboxRecord]:
    async with app.store.reading(now[0]) as tx:
        return await tx.outbox.pending("telegram")
