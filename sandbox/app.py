"""Starting the sandbox: the fake Telegram and the console on one port, murmurd, the radio listeners,
and the bot itself (bot.compose.serve, unchanged) talking real HTTP to the fake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import ValidationError

from bot.compose import load_routing_for, serve
from bot.settings import EscalationSettings, HttpSettings, Settings, SettingsError
from radio_bridge.errors import RadioError
from radio_bridge.murmur import MURMURD, EmbeddedMurmur
from routing.geo import load_centres
from sandbox.botapi import FakeBotApi
from sandbox.console import Console
from sandbox.faults import Faults
from sandbox.radio import RadioSide
from sandbox.scenario import Scenario, ScenarioError, load_scenario
from sandbox.scenario_runner import play
from sandbox.world import TOKEN, World, build_world, populate, sandbox_settings
from storage.files import prepare_private

log = logging.getLogger("sandbox")
READY_WITHIN = 30.0
Switch = Callable[[], Awaitable[None]]


def _fresh_database(path: Path) -> None:
    """A sandbox session starts a fresh shift: the fake Telegram's chats live in memory, so the bot's
    old cards could not be edited any more."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


async def _start_murmur(base: Settings, world: World, var: Path, secret: str) -> EmbeddedMurmur | None:
    if not base.mumble.enabled or not await asyncio.to_thread(Path(MURMURD).exists):
        log.warning("sandbox: murmurd tidak ada (apt-get install mumble-server); radio dimatikan")
        return None
    workdir = (var / "sandbox-murmur").absolute()
    server = EmbeddedMurmur(workdir, base.mumble.port, secret, host=base.mumble.host)
    try:
        await server.start()
        await server.ensure_channels([base.mumble.dispatch_channel, *world.radio_channels.values()])
    except (RadioError, OSError) as exc:
        log.error("sandbox: murmurd gagal (%s); radio dimatikan", exc)
        await server.stop()
        return None
    return server


async def run_sandbox(base: Settings, scenario: Scenario | None = None) -> int:
    routing = load_routing_for(base)
    world = build_world(routing)
    api = FakeBotApi(token=TOKEN, bot_username="dispatch112_latihan_bot")
    populate(api, world)
    var = Path(base.storage.path).parent
    _fresh_database(var / "sandbox.sqlite3")
    # The store makes var/ private; do it before murmurd starts, which then keeps its traverse bit.
    prepare_private(var / "sandbox.sqlite3")
    host, port = base.sandbox.host, base.sandbox.port
    url = f"http://{host}:{port}"
    secret = secrets.token_urlsafe(18)
    # The fake Telegram on a port of its own (it plays Telegram, which the product never serves); the
    # console on the product's one HTTP server, which listens on [sandbox] host and port here.
    await api.start(0, host="127.0.0.1")
    settings = sandbox_settings(base, world, api.base_url.removesuffix("/bot"), secret, var)
    settings = settings.model_copy(update={"http": HttpSettings(enabled=True, host=host, port=port)})
    faults = Faults(api)
    console = Console(
        api, settings, load_centres(routing), faults, radio_folder=(var / "sandbox-radio").absolute()
    )
    murmur = await _start_murmur(base, world, var, secret)
    radio: RadioSide | None = None
    player: asyncio.Task[int] | None = None
    bot = asyncio.create_task(serve(settings, web_extra=console.mount))
    try:
        await _wait_ready(api, bot)
        if murmur is not None:
            radio = RadioSide(base.mumble.host, base.mumble.port,
                              [base.mumble.dispatch_channel, *world.radio_channels.values()],
                              world.mumble_users, console.radio_folder or var, api.notify)  # fmt: skip
            await radio.start()
            console.radio = radio
            faults.stop_radio, faults.start_radio = _radio_switch(murmur, radio)
        print(f"Konsol latihan 112 (sandbox, LATIHAN) siap: {url}/", flush=True)
        if scenario is not None:
            player = asyncio.create_task(play(scenario, console, world, var, routing))
            done, _ = await asyncio.wait([bot, player], return_when=asyncio.FIRST_COMPLETED)
            if player in done and player.exception() is not None:
                log.error("skenario berhenti karena galat", exc_info=player.exception())
                if scenario.auto:
                    return 1
            elif player in done and scenario.auto:
                return player.result()  # headless: the score is saved, the sandbox ends
        return await bot
    finally:
        if player is not None and not player.done():
            player.cancel()
        if not bot.done():
            bot.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await bot
        if radio is not None:
            await radio.stop()
        if murmur is not None:
            await murmur.stop()
        await api.stop()


async def _wait_ready(api: FakeBotApi, bot: asyncio.Task[int]) -> None:
    """Ready when the bot polls: the URL is printed only once a tap in the console reaches it."""
    polling = asyncio.create_task(api.wait_polling(READY_WITHIN))
    done, _ = await asyncio.wait([polling, bot], return_when=asyncio.FIRST_COMPLETED)
    if bot in done:
        polling.cancel()
        try:
            bot.result()  # re-raises a SettingsError from start-up
        except SettingsError as exc:
            if exc.key.startswith("http."):  # the console's port: it is the product's server here
                raise SettingsError(exc.key.replace("http.", "sandbox.", 1), exc.problem) from None
            raise
        raise SettingsError("sandbox", "bot berhenti sebelum siap")
    polling.result()


def _radio_switch(murmur: EmbeddedMurmur, radio: RadioSide) -> tuple[Switch, Switch]:
    async def stop() -> None:
        await radio.stop()
        await murmur.stop()

    async def start() -> None:
        await murmur.start()
        await radio.start()

    return stop, start


def main_sandbox(base: Settings, scenario_file: str | None = None, *, auto: bool = False) -> int:
    try:
        scenario = None
        if scenario_file:
            routing = load_routing_for(base)
            world = build_world(routing)
            channels = [base.mumble.dispatch_channel, *world.radio_channels.values()]
            try:
                scenario = load_scenario(scenario_file, routing, world.mumble_users, channels, auto=auto)
            except ScenarioError as exc:
                print(f"Skenario salah: {exc}", file=sys.stderr)
                return 2
            base = _with_escalation(base, scenario)
        return asyncio.run(run_sandbox(base, scenario))
    except SettingsError as exc:
        print(f"Pengaturan salah: {exc}", file=sys.stderr)
        return 2


def _with_escalation(base: Settings, scenario: Scenario) -> Settings:
    """A short drill may shorten the escalation deadlines ([escalation] in the scenario file)."""
    if not scenario.escalation:
        return base
    try:
        escalation = EscalationSettings.model_validate(base.escalation.model_dump() | scenario.escalation)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or "escalation"
        raise SettingsError(
            f"{scenario.path}: escalation.{key}", str(error["msg"]).removeprefix("Value error, ")
        ) from None
    return base.model_copy(update={"escalation": escalation})
