"""The outbox worker's pacing and priority, in process with the clocks moved by hand."""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.app import DispatchApp
from bot.delivery import TelegramDelivery
from bot.pacing import Pacer
from bot.ports import Buttons
from bot.settings import Settings
from routing.table import load_routing
from storage.uow import Store
from tests.dbread import new_target


class RecordingPort:
    """Stands in for Telegram at the port boundary: records what the worker sends, and when."""

    def __init__(self, now: list[float]) -> None:
        self.now = now
        self.sent: list[tuple[float, int, str]] = []

    async def send_text(
        self, chat_id: int, html: str, buttons: Buttons | None = None, *, force_reply: bool = False
    ) -> int:
        self.sent.append((self.now[0], chat_id, html))
        return len(self.sent)

    async def edit_text(self, chat_id: int, message_id: int, html: str, buttons: Buttons | None) -> None:
        self.sent.append((self.now[0], chat_id, html))

    async def send_photo(self, chat_id: int, png: bytes, caption_html: str) -> int:
        return await self.send_text(chat_id, caption_html)

    async def leave_chat(self, chat_id: int) -> None:
        return None


async def make(tmp_path: Path) -> tuple[DispatchApp, TelegramDelivery, RecordingPort, list[float]]:
    now = [1_000_000.0]
    store = await Store.open(new_target(tmp_path))
    app = DispatchApp(settings=Settings(), store=store, routing=load_routing(), clock=lambda: now[0])
    port = RecordingPort(now)
    return app, TelegramDelivery(app, port, Pacer(clock=lambda: now[0])), port, now


async def enqueue(app: DispatchApp, target: int, text: str, priority: int) -> None:
    async with app.store.transaction(app.clock()) as tx:
        await tx.outbox.add("telegram", "text", target, priority, {"html": text})


async def run_for(delivery: TelegramDelivery, now: list[float], seconds: int, step: float = 0.5) -> None:
    port = delivery.port
    assert isinstance(port, RecordingPort)
    for _ in range(int(seconds / step)):
        while True:  # as many passes as the worker would make at this instant
            before = len(port.sent)
            await delivery._dispatch_due()
            await delivery.drain()
            if len(port.sent) == before:
                break
        now[0] += step


async def test_a_group_gets_at_most_20_a_minute_and_one_a_second(tmp_path: Path) -> None:
    app, delivery, port, now = await make(tmp_path)
    start = now[0]
    for i in range(30):
        await enqueue(app, -1001, f"kartu {i}", 2)
    await run_for(delivery, now, 60)
    times = [t for t, _, _ in port.sent]
    assert len(times) == 20 and all(t < start + 60 for t in times)
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    await run_for(delivery, now, 20)
    assert len(port.sent) == 30
    assert [h for _, _, h in port.sent] == [f"kartu {i}" for i in range(30)]  # in order
    await app.store.close()


async def test_at_most_30_a_second_overall(tmp_path: Path) -> None:
    app, delivery, port, now = await make(tmp_path)
    for chat in range(1, 46):
        await enqueue(app, chat, "balasan", 0)
    await run_for(delivery, now, 1, step=1.0)
    assert len(port.sent) == 30
    await run_for(delivery, now, 1, step=1.0)
    assert len(port.sent) == 45
    await app.store.close()


async def test_priority_one_goes_before_a_digest_in_the_same_chat(tmp_path: Path) -> None:
    app, delivery, port, now = await make(tmp_path)
    await enqueue(app, -1002, "digest bagian 1", 9)
    await enqueue(app, -1002, "digest bagian 2", 9)
    await enqueue(app, -1002, "P1 kebakaran", 1)
    await enqueue(app, 111, "balasan call taker", 0)
    await run_for(delivery, now, 5)
    to_group = [h for _, chat, h in port.sent if chat == -1002]
    assert to_group == ["P1 kebakaran", "digest bagian 1", "digest bagian 2"]
    assert port.sent[0][2] in ("P1 kebakaran", "balasan call taker")
    await app.store.close()


async def test_a_long_backlog_in_one_chat_does_not_hide_another_chat(tmp_path: Path) -> None:
    app, delivery, port, now = await make(tmp_path)
    for i in range(600):
        await enqueue(app, 111, f"balasan {i}", 0)
    await enqueue(app, -1003, "kartu baru", 1)
    await run_for(delivery, now, 1, step=1.0)
    assert {chat for _, chat, _ in port.sent} == {111, -1003}
    await app.store.close()
