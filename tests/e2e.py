"""End-to-end harness: the fake Bot API in this process, `python run.py` as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.botapi import FakeBotApi
from tests.dbread import is_url, new_target, rows, storage_toml

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-TOKEN"
CALL_TAKER, SUPERVISOR, ADMIN, STRANGER = 111, 222, 333, 999
DAMKAR, POLRES, BPBD, PLN, CALL_TAKERS_GROUP, SUPERVISORS_GROUP = -1003, -1004, -1005, -1006, -1001, -1002
RESPONDER_DAMKAR, RESPONDER_POLRES = 501, 502


# Jobs at a WIB time of day (the roll-calls at 07:00, 15:00 and 23:00, the digest at 07:00) would post into
# the groups of whichever test runs at that minute, where a test may count the messages (a CI run that
# crossed 23:00 WIB found one too many in Damkar's group). Off unless the test's extra has the section;
# /apel and /laporan work either way.
CLOCK_JOBS_OFF = ("[rollcall]\nenabled = false", "[digest]\nenabled = false")


def settings_toml(api: FakeBotApi, db: Path | str, *, call_takers_group: bool = False, extra: str = "",
                  mumble: str = "[mumble]\nenabled = false", folder: Path | None = None) -> str:  # fmt: skip
    groups = f"call_takers = {CALL_TAKERS_GROUP}\n" if call_takers_group else ""
    extra = "\n".join([extra, *(job for job in CLOCK_JOBS_OFF if job.split("\n")[0] not in extra)])
    return f"""
timezone = "Asia/Jakarta"
[telegram]
base_url = "{api.base_url}"
base_file_url = "{api.base_file_url}"
poll_timeout = 2
[storage]
{storage_toml(db, folder or Path(str(db)).parent)}
[access]
call_takers = [{CALL_TAKER}]
supervisors = [{SUPERVISOR}]
admins = [{ADMIN}]
[chats]
{groups}supervisors = {SUPERVISORS_GROUP}
[agencies.damkar]
chat_id = {DAMKAR}
mumble_channel = "Damkar"
[agencies.polres]
chat_id = {POLRES}
mumble_channel = "Polres"
[agencies.bpbd]
chat_id = {BPBD}
{mumble}
{extra}
"""


@dataclass
class BotProcess:
    workdir: Path
    env: dict[str, str]
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)

    async def start(self) -> None:
        self.starts += 1
        log = self.workdir / f"bot-{self.starts}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "run.py"),
                cwd=str(ROOT),
                env=self.env,
                stdout=out,
                stderr=out,
                stdin=asyncio.subprocess.DEVNULL,
            )

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.terminate()
        try:
            return await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    async def restart(self) -> None:
        await self.kill()
        await self.start()

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-6000:] for p in self.logs if p.exists())


def bot_env(settings: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    # The HTTP server is off unless a test asks for it (on a port of its own): tests run side by side.
    env.update(DISPATCH_SETTINGS=str(settings), DISPATCH_TELEGRAM__TOKEN=TOKEN, PYTHONUNBUFFERED="1",
               DISPATCH_HTTP__ENABLED="false")  # fmt: skip
    env.update(extra)
    return env


@dataclass
class World:
    api: FakeBotApi
    bot: BotProcess
    db: Path | str  # the SQLite file, or the PostgreSQL URL (tests.dbread.rows reads either)

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        return rows(self.db, sql, *args)

    def __post_init__(self) -> None:
        api = self.api
        self.call_taker = api.user(CALL_TAKER, "Ani")
        self.supervisor = api.user(SUPERVISOR, "Sari")
        self.admin = api.user(ADMIN, "Admin Kominfo", "admin112")
        self.stranger = api.user(STRANGER, "Orang Asing", "ani_palsu")
        self.damkar_member = api.user(RESPONDER_DAMKAR, "Budi")
        self.polres_member = api.user(RESPONDER_POLRES, "Joko")
        self.damkar = api.group(DAMKAR, "Damkar Kota Blitar")
        self.polres = api.group(POLRES, "Polres Blitar Kota")
        self.bpbd = api.group(BPBD, "BPBD")
        self.pln = api.group(PLN, "PLN")
        self.call_takers = api.group(CALL_TAKERS_GROUP, "Call Taker 112")
        self.supervisors = api.group(SUPERVISORS_GROUP, "Supervisor 112")


async def make_world(tmp_path: Path, *, call_takers_group: bool = False, extra: str = "",
                     env: dict[str, str] | None = None, mumble: str = "[mumble]\nenabled = false",
                     ) -> AsyncIterator[World]:  # fmt: skip
    async with FakeBotApi(token=TOKEN) as api:
        db: Path | str = new_target(tmp_path)
        if not is_url(db):
            db = Path(db)
        settings = tmp_path / "settings.toml"
        settings.write_text(
            settings_toml(
                api, db, call_takers_group=call_takers_group, extra=extra, mumble=mumble, folder=tmp_path
            )
        )
        bot = BotProcess(tmp_path, bot_env(settings, **(env or {})))
        world = World(api, bot, db)
        await bot.start()
        try:
            await api.wait_polling(timeout=20)
            yield world
        finally:
            code = await bot.stop()
            if code not in (0, -9, -15):
                print(bot.output())


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path):
        yield w


@pytest.fixture
async def quiet_world(tmp_path: Path) -> AsyncIterator[World]:
    """The default world without escalation, for a test that counts every message in an agency group:
    a loaded machine can stretch its run past the P1 re-post (ULANG after 60 s), a second message."""
    async for w in make_world(tmp_path, extra="[escalation]\nenabled = false"):
        yield w


@pytest.fixture
async def world_group(tmp_path: Path) -> AsyncIterator[World]:
    async for w in make_world(tmp_path, call_takers_group=True):
        yield w
