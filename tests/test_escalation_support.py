"""In-process worlds for the escalation and digest tests: a DispatchApp on a fresh database, a fake clock.

No tests here; test_escalation.py and test_digest.py import from this module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import DispatchApp
from bot.services.common import Actor
from bot.services.incidents import Dispatched, IncidentForm, dispatch_incident
from bot.settings import Settings
from routing.table import load_routing
from storage.uow import Store
from tests.dbread import new_target

WIB = ZoneInfo("Asia/Jakarta")
CALL_TAKER, SUPERVISOR = 111, 222
DAMKAR, POLRES, SUPERVISORS_GROUP = -1003, -1004, -1002
KEBAKARAN = IncidentForm("kebakaran", "Sentul", "Jl. Kenari 17", "081234567890", "Rumah <terbakar>")
PJU = IncidentForm("pju", "Sukorejo", "Jl. Mawar", "-", "Lampu mati")


def wib(text: str) -> float:
    """'2024-03-04 23:59' in WIB as epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=WIB).timestamp()


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_settings(**sections: Any) -> Settings:
    base: dict[str, Any] = {
        "timezone": "Asia/Jakarta",
        "access": {"call_takers": [CALL_TAKER], "supervisors": [SUPERVISOR]},
        "chats": {"supervisors": SUPERVISORS_GROUP},
        "agencies": {"damkar": {"chat_id": DAMKAR}, "polres": {"chat_id": POLRES}, "pln": {}},
    }
    base.update(sections)
    return Settings.model_validate(base)


@dataclass
class World:
    path: Path | str  # the SQLite file, or the PostgreSQL URL
    clock: FakeClock
    settings: Settings
    app: DispatchApp

    @property
    def actor(self) -> Actor:
        return Actor(CALL_TAKER, "Ani", CALL_TAKER)

    async def dispatch(self, form: IncidentForm = KEBAKARAN) -> Dispatched:
        return await dispatch_incident(self.app, form, self.actor, update_id=None)

    async def reopen(self) -> None:
        """What a restart (or a kill -9 between transactions) leaves: the file, nothing in memory."""
        await self.app.store.close()
        self.app = await open_app(self.path, self.clock, self.settings)

    async def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        async with self.app.store.reading(self.clock()) as tx, tx.db.execute(sql, args) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    async def outbox(self, kind: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        rows = await self.rows("SELECT kind, target, payload FROM outbox ORDER BY id")
        return [(k, t, json.loads(p)) for k, t, p in rows if kind is None or k == kind]

    async def texts_to(self, target: int) -> list[str]:
        return [p["html"] for k, t, p in await self.outbox("text") if t == str(target)]


async def open_app(path: Path | str, clock: FakeClock, settings: Settings) -> DispatchApp:
    store = await Store.open(path)
    routing = load_routing(None)
    return DispatchApp(settings=settings, store=store, routing=routing, clock=clock)


async def make_world(tmp_path: Path, start: float, settings: Settings | None = None) -> AsyncIterator[World]:
    settings = settings or make_settings()
    clock = FakeClock(start)
    path = new_target(tmp_path)
    world = World(path, clock, settings, await open_app(path, clock, settings))
    try:
        yield world
    finally:
        await world.app.store.close()
