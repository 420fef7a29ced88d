"""Staying up end to end: odd answers from Telegram are retried, persistent trouble reaches the admins,
and only a token rejected at start ends the service (exit 2)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from tests.botapi import FakeBotApi
from tests.dbread import new_target
from tests.e2e import ADMIN, CALL_TAKER, DAMKAR, TOKEN, BotProcess, World, bot_env, settings_toml
from tests.test_e2e_dispatch import ONE_LINE

FAST_ALERTS = {"DISPATCH_WATCHDOG__ALERT_AFTER": "1.5"}


async def started(tmp_path: Path, prepare: Callable[[FakeBotApi], None] = lambda api: None,
                  ) -> AsyncIterator[World]:  # fmt: skip
    """make_world, with faults armed before the bot's first request."""
    async with FakeBotApi(token=TOKEN) as api:
        db = new_target(tmp_path)
        settings = tmp_path / "settings.toml"
        settings.write_text(settings_toml(api, db, folder=tmp_path))
        bot = BotProcess(tmp_path, bot_env(settings, **FAST_ALERTS))
        world = World(api, bot, db)
        api.user(ADMIN, "Admin")
        prepare(api)
        await bot.start()
        try:
            yield world
        finally:
            await bot.stop()


async def dispatch_works(world: World, line: str = ONE_LINE, number: int = 1) -> None:
    world.api.send_text(world.call_taker, world.call_taker, line)
    await world.api.wait_message(DAMKAR, f"#{number}", timeout=30)
    await world.api.wait_message(CALL_TAKER, f"#{number}", timeout=30)


def alive(world: World) -> bool:
    return world.bot.proc is not None and world.bot.proc.returncode is None


async def test_a_401_and_a_404_from_get_updates_are_retried(tmp_path: Path) -> None:
    async for world in started(tmp_path):
        api = world.api
        await api.wait_polling(timeout=20)
        api.fail_next("getUpdates", 401)
        api.fail_next("getUpdates", 404)
        await api.wait_for(
            lambda a=api: sum(c.http_status in (401, 404) for c in a.calls_of("getUpdates")) == 2  # type: ignore[misc]
        )
        await dispatch_works(world)
        assert alive(world)


async def test_a_body_that_is_not_json_does_not_stop_polling(tmp_path: Path) -> None:
    async for world in started(tmp_path):
        api = world.api
        await api.wait_polling(timeout=20)
        api.garble_next("getUpdates", count=2)
        api.garble_next("sendMessage", count=1)
        await dispatch_works(world)
        assert alive(world)


async def test_persistent_get_updates_trouble_alerts_the_admins_then_recovery(tmp_path: Path) -> None:
    async for world in started(tmp_path):
        api = world.api
        await api.wait_polling(timeout=20)
        api.fail_next("getUpdates", 401, count=10_000)  # sends still work: the admins can be told
        alert = await api.wait_message(ADMIN, "Gangguan", timeout=30)
        assert "getUpdates" in alert.current_text
        assert "ALERT getUpdates" in world.bot.output()
        assert TOKEN not in world.bot.output()
        api.clear_faults()
        await api.wait_message(ADMIN, "Pulih", timeout=30)
        await dispatch_works(world)


async def test_a_429_on_get_me_at_start_is_waited_out(tmp_path: Path) -> None:
    async for world in started(tmp_path, lambda api: api.fail_next("getMe", 429, count=2, retry_after=1)):
        await world.api.wait_polling(timeout=30)
        await dispatch_works(world)
        assert [c.http_status for c in world.api.calls_of("getMe")][:3] == [429, 429, 200]


async def test_a_body_that_is_not_json_on_get_me_at_start_is_retried(tmp_path: Path) -> None:
    async for world in started(tmp_path, lambda api: api.garble_next("getMe", count=2)):
        await world.api.wait_polling(timeout=30)
        await dispatch_works(world)


async def test_a_token_rejected_at_start_exits_2_with_one_line(tmp_path: Path) -> None:
    async for world in started(tmp_path, lambda api: api.fail_next("getMe", 401)):
        assert world.bot.proc is not None
        assert await asyncio.wait_for(world.bot.proc.wait(), 30) == 2
        output = world.bot.output()
        assert "telegram.token" in output and TOKEN not in output
