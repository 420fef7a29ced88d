"""/healthz and /metrics on the product's HTTP server, against python run.py and the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.health import check
from bot.liveness import LoopState
from tests.e2e import DAMKAR, POLRES, World, make_world
from tests.test_e2e_panic import free_port

ONE_LINE = "/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar"


@pytest.fixture
async def http_world(tmp_path: Path) -> AsyncIterator[tuple[World, httpx.AsyncClient]]:
    port = free_port()
    env = {"DISPATCH_HTTP__ENABLED": "true", "DISPATCH_HTTP__PORT": str(port)}
    async for world in make_world(tmp_path, env=env):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield world, client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


async def until_status(client: httpx.AsyncClient, status: int, timeout: float = 20.0) -> httpx.Response:  # noqa: ASYNC109
    """The health check is polled as a monitor would; it changes with the bot's own loop."""
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get("/healthz")
            if response.status_code == status:
                return response
            await asyncio.sleep(0.2)


async def test_healthz_says_what_is_wrong_and_recovers(http_world: tuple[World, httpx.AsyncClient]) -> None:
    world, client = http_world
    healthy = await until_status(client, 200)
    body = healthy.json()
    assert body["status"] == "ok" and body["role"] == "active"
    assert {k: v["ok"] for k, v in body["checks"].items()} == {
        "telegram": True,
        "database": True,
        "radio": True,
    }
    world.api.outage(502)  # Telegram down: getUpdates fails on every try
    sick = await until_status(client, 503)
    checks = sick.json()["checks"]
    assert checks["telegram"]["ok"] is False and "galat terakhir" in checks["telegram"]["detail"]
    assert checks["database"]["ok"] is True  # only what is wrong is named
    world.api.end_outage()
    await until_status(client, 200)


async def test_metrics_count_what_happened(http_world: tuple[World, httpx.AsyncClient]) -> None:
    world, client = http_world
    api = world.api
    api.fail_next("sendMessage", 429, retry_after=1)
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#1")
    await api.wait_message(POLRES, "#1")
    await api.wait_for(lambda: len(api.messages_in(world.call_taker.id)) >= 1)
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("dispatch_first_card_seconds_count", ())] >= 2  # every group card: damkar, polres, bpbd
    assert (
        0
        < found[("dispatch_first_card_seconds_sum", ())]
        < 30 * found[("dispatch_first_card_seconds_count", ())]
    )
    ok = found[("dispatch_telegram_requests_total", (("method", "send_text"), ("outcome", "ok")))]
    assert ok >= 3
    assert found[("dispatch_telegram_requests_total", (("method", "send_text"), ("outcome", "429")))] == 1
    assert found[("dispatch_role", (("role", "active"),))] == 1
    assert found[("dispatch_radio_connected", (("enabled", "false"),))] == 0
    assert ("dispatch_outbox_failed", ()) in found


async def test_a_database_that_does_not_answer_is_named(db_target: str) -> None:
    from bot.app import DispatchApp
    from bot.settings import Settings
    from routing.table import load_routing
    from storage.uow import Store

    store = await Store.open(db_target)
    app = DispatchApp(settings=Settings(), store=store, routing=load_routing(None), clock=lambda: 0.0)
    loop = LoopState()
    loop.polled()
    assert (await check(app, loop)).ok
    await store.close()  # as good as a database that is gone
    health = await check(app, loop)
    assert not health.ok and health.checks["database"]["ok"] is False
    assert health.checks["telegram"]["ok"] is True


async def test_the_first_long_poll_is_not_stuck_until_it_overruns(db_target: str) -> None:
    """Right after start no getUpdates has answered yet (a long poll takes up to poll_timeout): healthy,
    until the poll has run longer than poll_timeout plus the margin."""
    from bot.app import DispatchApp
    from bot.settings import Settings
    from routing.table import load_routing
    from storage.uow import Store

    store = await Store.open(db_target)
    try:
        app = DispatchApp(settings=Settings(), store=store, routing=load_routing(None), clock=lambda: 0.0)
        loop = LoopState()
        loop.polling()
        fresh = await check(app, loop)
        assert fresh.checks["telegram"]["ok"] is True, fresh.checks
        loop.started -= app.settings.telegram.poll_timeout + 60
        stuck = await check(app, loop)
        assert (
            stuck.checks["telegram"]["ok"] is False
            and "belum ada getUpdates" in stuck.checks["telegram"]["detail"]
        )
    finally:
        await store.close()
