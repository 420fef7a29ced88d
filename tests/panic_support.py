"""Shared by the panic API tests: an app on a real SQLite file and the web edge on a loopback port."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiohttp.test_utils import TestServer

from bot.app import DispatchApp
from bot.settings import Settings
from routing.table import load_routing
from storage.uow import Store
from tests.dbread import new_target, rows
from web.server import build_web_app

TOKEN_A = "token-blitar-in-hand-0123456789"
TOKEN_B = "token-other-app-abcdefghijklmn"
TOKENS = {"blitar_in_hand": TOKEN_A, "other_app": TOKEN_B}
CALL_TAKERS_GROUP = -1001
GOOD = {"phone": "0812-3456-7890", "name": "Sari", "lat": -8.0800, "lon": 112.1620, "accuracy_m": 12,
        "text": "Tolong, ada orang mencurigakan"}  # fmt: skip


def auth(token: str = TOKEN_A) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    app: DispatchApp
    client: httpx.AsyncClient
    db: Path | str

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        return rows(self.db, sql, *args)

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [
            json.loads(r[0]) for r in self.rows("SELECT data FROM events WHERE kind = ? ORDER BY id", kind)
        ]


@asynccontextmanager
async def panic_api(tmp_path: Path, **panic: Any) -> AsyncIterator[Api]:
    settings = Settings(
        access={"call_takers": [111]}, chats={"call_takers": CALL_TAKERS_GROUP},
        panic={"tokens": TOKENS, **panic},
    )  # fmt: skip
    db = new_target(tmp_path, "panic.sqlite3")
    store = await Store.open(db)
    app = DispatchApp(settings=settings, store=store, routing=load_routing(), clock=time.time)
    server = TestServer(build_web_app(app), host="127.0.0.1")
    await server.start_server()
    try:
        async with httpx.AsyncClient(base_url=str(server.make_url("")), timeout=10) as client:
            yield Api(app, client, db)
    finally:
        await server.close()
        await store.close()
