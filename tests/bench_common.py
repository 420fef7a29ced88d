"""Shared pieces of `make bench`: a fake Bot API that timestamps every message it accepts (edits
included), bot processes, percentiles and plain-text tables."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing import stats
from tests.botapi import FakeBotApi
from tests.botapi.methods import Files
from tests.botapi.model import JSON
from tests.dbread import is_url, storage_toml
from tests.e2e import ROOT, TOKEN, BotProcess, bot_env

LATENCY = 0.05  # seconds the fake server adds to every request
# Methods that put or change a message in a chat: what Telegram's flood limits count.
COUNTED = frozenset(
    {
        "sendmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "sendphoto",
        "senddocument",
        "sendlocation",
    }
)
NUMBER = re.compile(r"#(\d+)")


@dataclass(frozen=True, slots=True)
class Accept:
    at: float  # time.monotonic() when the fake accepted the call
    method: str
    chat_id: int
    message_id: int | None


class TimedBotApi(FakeBotApi):
    """FakeBotApi plus a log of accepted message calls with their time.

    The fake's SentMessage.accepted_at is set once, when a message is sent; an edit appends a
    snapshot of the old version to SentMessage.edits (the snapshot keeps the *original* accepted_at)
    and only sets edit_date in whole seconds. The calls log has no time at all. So edits are
    timed here, at the moment the method succeeded, for the flood-limit checks.
    """

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token=token)
        self.accepts: list[Accept] = []
        self.observers: list[Callable[[Accept, Any], None]] = []

    async def _dispatch(self, name: str, params: JSON, files: Files) -> Any:
        result = await super()._dispatch(name, params, files)
        key = name.lower()
        if key in COUNTED:
            message_id = result.get("message_id") if isinstance(result, dict) else None
            accept = Accept(time.monotonic(), key, int(params["chat_id"]), message_id)
            self.accepts.append(accept)
            for observe in self.observers:
                observe(accept, result)
        return result


def percentile(values: list[float], p: float) -> float:
    """The product's own percentile (linear interpolation); NaN for no values, for the tables."""
    result = stats.percentile(values, p)
    return float("nan") if result is None else result


def settings_toml(api: FakeBotApi, db: Path | str, *, call_takers: list[int], agencies: dict[str, int],
                  supervisors_group: int, escalation: bool = True) -> str:  # fmt: skip
    """A bot on the fake Bot API with no radio and no digests (they would add traffic to the figures)."""
    groups = "\n".join(f"[agencies.{code}]\nchat_id = {chat}" for code, chat in agencies.items())
    return f"""
timezone = "Asia/Jakarta"
[telegram]
base_url = "{api.base_url}"
base_file_url = "{api.base_file_url}"
poll_timeout = 10
[storage]
{storage_toml(db, Path(str(db)).parent if not is_url(db) else Path(tempfile.gettempdir()))}
[access]
call_takers = {call_takers}
supervisors = [222]
admins = [333]
[chats]
supervisors = {supervisors_group}
{groups}
[mumble]
enabled = false
[escalation]
enabled = {"true" if escalation else "false"}
[digest]
enabled = false
[rollcall]
enabled = false
"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for row in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(out)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {cpus}, {model or platform.machine()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


async def start_bot(workdir: Path, settings_text: str, name: str = "bot") -> BotProcess:
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - before the bot runs, nothing to block
    settings = workdir / f"{name}.toml"
    settings.write_text(settings_text)
    bot = BotProcess(workdir, bot_env(settings))
    await bot.start()
    return bot


async def wait_polls(api: FakeBotApi, more_than: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    ok = await api._changes.wait_until(lambda: api.polls > more_than, timeout)
    if not ok:
        raise TimeoutError(f"bot did not poll within {timeout}s")


async def start_relay(api: FakeBotApi, workdir: Path, groups: list[int]) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env.update(
        RELAY_TOKEN=TOKEN,
        RELAY_BASE_URL=api.base_url,
        RELAY_BASE_FILE_URL=api.base_file_url,
        RELAY_GROUPS=",".join(str(g) for g in groups),
        PYTHONUNBUFFERED="1",
    )
    log = (workdir / "relay.log").open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench_relay",
            cwd=str(ROOT),
            env=env,
            stdout=log,
            stderr=log,
            stdin=asyncio.subprocess.DEVNULL,
        )
    finally:
        log.close()


async def stop_process(proc: asyncio.subprocess.Process) -> int:
    if proc.returncode is not None:
        return proc.returncode
    proc.terminate()
    try:
        return await asyncio.wait_for(proc.wait(), 15)
    except TimeoutError:
        proc.kill()
        return await proc.wait()
