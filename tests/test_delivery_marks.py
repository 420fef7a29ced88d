"""The "(mungkin terkirim dua kali)" mark: only on what may really have gone out before."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.delivery import REPEAT_MARK, TelegramDelivery
from bot.pacing import Pacer
from bot.ports import Buttons, DeliveryError
from handlers.telegram_port import translate
from tests.test_delivery_pacing import enqueue, make


class FlakyPort:
    """Fails the next sends with the given errors, then records what it sends."""

    def __init__(self, errors: list[DeliveryError]) -> None:
        self.errors = errors
        self.sent: list[tuple[float, int, str]] = []

    async def send_text(
        self, chat_id: int, html: str, buttons: Buttons | None = None, *, force_reply: bool = False
    ) -> int:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((0.0, chat_id, html))
        return len(self.sent)

    async def edit_text(self, chat_id: int, message_id: int, html: str, buttons: Buttons | None) -> None:
        return None

    async def send_photo(self, chat_id: int, png: bytes, caption_html: str) -> int:
        return await self.send_text(chat_id, caption_html)

    async def leave_chat(self, chat_id: int) -> None:
        return None


async def deliver_with(tmp_path: Path, errors: list[DeliveryError]) -> list[str]:
    app, delivery, _port, now = await make(tmp_path)
    port = FlakyPort(errors)
    delivery.port = port
    await enqueue(app, -1003, "kartu", 1)
    for _ in range(40):
        await delivery._dispatch_due()
        await delivery.drain()
        now[0] += 5.0
        delivery.pacer = Pacer(clock=lambda: now[0])
    await app.store.close()
    return [html for _, _, html in port.sent]


async def test_an_outage_of_certain_failures_leaves_no_mark(tmp_path: Path) -> None:
    errors = [DeliveryError("network: Bad Gateway") for _ in range(4)]
    errors.append(DeliveryError("429: flood", retry_after=1))
    errors.append(DeliveryError("network: httpx.ConnectError: refused"))
    assert await deliver_with(tmp_path, errors) == ["kartu"]


async def test_a_timed_out_send_is_resent_marked(tmp_path: Path) -> None:
    sent = await deliver_with(tmp_path, [DeliveryError("timeout", uncertain=True)])
    assert sent == [f"kartu\n{REPEAT_MARK}"]


async def test_uncertain_then_certain_failure_still_marks(tmp_path: Path) -> None:
    errors = [DeliveryError("timeout", uncertain=True), DeliveryError("network: Bad Gateway")]
    assert await deliver_with(tmp_path, errors) == [f"kartu\n{REPEAT_MARK}"]


async def test_an_attempt_begun_and_never_concluded_is_marked(tmp_path: Path) -> None:
    """kill -9 between begin_attempts and the result: the next process must mark the resend."""
    app, _delivery, _port, now = await make(tmp_path)
    await enqueue(app, -1003, "kartu", 1)
    async with app.store.transaction(now[0]) as tx:
        (row,) = await tx.outbox.pending("telegram")
        await tx.outbox.begin_attempts([row.id])
    # A fresh worker, as after a restart, and a certain failure first: the doubt must survive it.
    port = FlakyPort([DeliveryError("network: Bad Gateway")])
    delivery = TelegramDelivery(app, port, Pacer(clock=lambda: now[0]))
    for _ in range(20):
        await delivery._dispatch_due()
        await delivery.drain()
        now[0] += 5.0
    assert [html for _, _, html in port.sent] == [f"kartu\n{REPEAT_MARK}"]
    await app.store.close()


def _caused(exc: Exception, cause: Exception) -> Exception:
    exc.__cause__ = cause
    return exc


def test_the_port_tells_certain_from_uncertain_failures() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/bot/sendMessage")
    certain = [
        NetworkError("Bad Gateway"),  # a 502 answer
        NetworkError("Internal Server Error (500)"),
        RetryAfter(timedelta(seconds=3)),
        _caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused", request=request)),
        _caused(TimedOut(), httpx.ConnectTimeout("connect", request=request)),
        _caused(TimedOut("Pool timeout"), httpx.PoolTimeout("pool", request=request)),
        InvalidToken("Unauthorized"),
    ]
    uncertain = [
        _caused(TimedOut(), httpx.ReadTimeout("read", request=request)),
        _caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset", request=request)),
        _caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("eof", request=request)),
        TelegramError("Invalid server response"),  # a 200 with a body that is not JSON
    ]
    assert [translate(e).uncertain for e in certain] == [False] * len(certain)
    assert [translate(e).uncertain for e in uncertain] == [True] * len(uncertain)
    assert not translate(InvalidToken("Not Found")).permanent  # an odd answer while running is retried
    assert translate(BadRequest("Chat not found")).permanent
