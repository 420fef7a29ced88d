"""The role loop and the fence, in one process: standby until the lease is free, active, fenced on loss;
the fence stops a Bot API request before it leaves and a Mumble send before pymumble gets it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import Bot

from bot.app import DispatchApp
from bot.compose import build_application
from bot.settings import Settings
from bot.standby import FENCED_EXIT, run_with_lease, stopped_or_lost
from handlers.fenced_request import FencedRequest
from radio_bridge.pacing import TextBudget
from radio_bridge.seat import Seat
from sandbox.botapi import FakeBotApi
from storage.lease import Lease, LeaseLost
from tests import dbread, pgserver

TOKEN = "123456:FENCE"


@pytest.fixture(scope="module")
def cluster() -> pgserver.PgCluster:
    if not pgserver.available():
        pytest.skip("PostgreSQL server binaries not installed")
    return dbread.cluster()  # the test session's one cluster, shared with the PostgreSQL runs


async def test_standby_until_the_lease_is_free_then_active_then_fenced(cluster: pgserver.PgCluster) -> None:
    url = cluster.create_database()
    other = Lease(url, name="lease-other")
    assert await other.try_acquire()
    app = cast(DispatchApp, SimpleNamespace(role="?", fence=lambda: None))
    became_active = asyncio.Event()
    mine = Lease(url, name="lease-mine")

    async def active(holder: asyncio.Task[str]) -> int:
        assert app.role == "active"
        app.fence()  # certain now: nothing raised
        became_active.set()
        return await stopped_or_lost(asyncio.Event(), holder, grace=None)

    running = asyncio.create_task(run_with_lease(app, mine, active, grace=None))
    try:
        await asyncio.sleep(1.5)  # a couple of attempts
        assert app.role == "standby" and not became_active.is_set()
        with pytest.raises(LeaseLost):
            app.fence()  # a standby may not send either
        await other.release()
        await asyncio.wait_for(became_active.wait(), 5)
        pid = cluster.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'lease-mine'")
        cluster.psql(f"SELECT pg_terminate_backend({int(pid)})")
        assert await asyncio.wait_for(running, 5) == FENCED_EXIT
        with pytest.raises(LeaseLost):
            app.fence()
    finally:
        running.cancel()
        await other.release()


class Gate:
    def __init__(self) -> None:
        self.open = True

    def __call__(self) -> None:
        if not self.open:
            raise LeaseLost("test: lease hilang")


async def test_the_fence_stops_a_bot_api_request_before_it_leaves() -> None:
    gate = Gate()
    async with FakeBotApi(token=TOKEN) as api:
        api.group(-1003, "Damkar Kota Blitar")
        bot = Bot(
            TOKEN, base_url=api.base_url, request=FencedRequest(gate), get_updates_request=FencedRequest(gate)
        )
        async with bot:
            await bot.send_message(-1003, "sebelum")
            calls = len(api.calls)
            gate.open = False
            with pytest.raises(LeaseLost):  # not wrapped into a TelegramError the workers would retry
                await bot.send_message(-1003, "sesudah")
            with pytest.raises(LeaseLost):
                await bot.get_updates(timeout=0)
            assert len(api.calls) == calls
            assert [m.text for m in api.messages_in(-1003)] == ["sebelum"]


class LateGate:
    """Passes the first check (PTB starting the request), refuses every later one (the socket write):
    the lease lost while the request waited between the two."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls > 1:
            raise LeaseLost("test: lease hilang di tengah permintaan")


async def test_a_request_already_past_the_first_check_is_stopped_at_the_socket_write() -> None:
    async with FakeBotApi(token=TOKEN) as api:
        api.group(-1003, "Damkar Kota Blitar")
        gate = LateGate()
        bot = Bot(
            TOKEN, base_url=api.base_url, request=FencedRequest(gate), get_updates_request=FencedRequest(gate)
        )
        try:
            with pytest.raises(LeaseLost):
                await bot.send_message(-1003, "terlambat")  # no initialize(): one request, two checks
            assert gate.calls >= 2
            assert api.calls == [] and api.messages_in(-1003) == []
        finally:
            await bot.shutdown()


def test_build_application_puts_the_fence_in_both_request_objects() -> None:
    settings = Settings(telegram={"token": TOKEN})  # type: ignore[arg-type]
    fenced = build_application(settings, Gate())
    requests: Any = fenced.bot._request  # (getUpdates' request, every other request)
    assert all(isinstance(r, FencedRequest) for r in requests)
    assert not any(isinstance(r, FencedRequest) for r in build_application(settings).bot._request)


async def test_the_fence_stops_a_mumble_send_before_pymumble_gets_it() -> None:
    gate = Gate()

    async def ensure(_client: object, _name: str) -> None:
        return None

    seat = Seat(host="127.0.0.1", port=1, username="u", password="", certfile=None, keyfile=None,
                channel="Dispatch", primary=True, ensure_channel=ensure, on_message=lambda _m: None,
                on_change=lambda: None, is_own_name=lambda _n: False, budget=TextBudget(10, 10),
                fence=gate)  # fmt: skip
    seat.client, seat.up = (
        cast(Any, SimpleNamespace(is_connected=True, get_max_message_length=lambda: 0)),
        True,
    )
    assert seat.require() is seat.client
    gate.open = False
    with pytest.raises(LeaseLost):
        seat.speak(b"\0" * 960)
    with pytest.raises(LeaseLost):
        await seat.send_channel_text("<b>tes</b>", 1)
