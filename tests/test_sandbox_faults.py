"""The console's fault buttons on the fake Telegram, answered as Telegram answers (PTB parses them)."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram import Bot, Update

from sandbox.botapi import FakeBotApi
from sandbox.faults import Faults

GROUP, ADMIN = -1005, 77


async def call(api: FakeBotApi, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.base_url}{api.token}/{method}", json=params) as r,
    ):
        return r.status, await r.json()


async def test_migration_sends_service_messages_and_answers_400_with_the_new_id() -> None:
    async with FakeBotApi() as api:
        api.user(ADMIN, "Admin")
        api.group(GROUP, "Damkar")
        faults = Faults(api)
        faults.migrate(GROUP, ADMIN)
        new_id = faults.migrated[GROUP]
        status, body = await call(api, "sendMessage", chat_id=GROUP, text="x")
        assert status == 400 and body["parameters"] == {"migrate_to_chat_id": new_id}
        assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
        assert (await call(api, "sendMessage", chat_id=new_id, text="x"))[0] == 200
        bot = Bot(api.token)
        updates = [Update.de_json(u, bot) for u in api.pending_updates]
        assert [u.message.migrate_to_chat_id for u in updates if u.message] == [new_id, None]  # type: ignore[union-attr]
        assert [u.message.migrate_from_chat_id for u in updates if u.message] == [None, GROUP]  # type: ignore[union-attr]


async def test_kicking_the_bot_is_a_my_chat_member_update_then_403_until_added_back() -> None:
    async with FakeBotApi() as api:
        api.user(ADMIN, "Admin")
        api.group(GROUP, "Polres")
        faults = Faults(api)
        faults.kick(GROUP, ADMIN)
        (update,) = [Update.de_json(u, Bot(api.token)) for u in api.pending_updates]
        assert update.my_chat_member is not None
        assert update.my_chat_member.old_chat_member.status == "administrator"
        assert update.my_chat_member.new_chat_member.status == "kicked"
        status, body = await call(api, "sendMessage", chat_id=GROUP, text="x")
        assert status == 403 and body["description"].startswith("Forbidden: bot was kicked from the ")
        faults.readd(GROUP, ADMIN)
        assert (await call(api, "sendMessage", chat_id=GROUP, text="x"))[0] == 200


async def test_outage_and_429_burst() -> None:
    async with FakeBotApi() as api:
        api.group(GROUP, "Damkar")
        faults = Faults(api)
        faults.set_outage(True)
        assert (await call(api, "getMe"))[0] == 502
        assert faults.status()["refused"] == 1 and faults.status()["outage"] is True
        faults.set_outage(False)
        faults.burst_429(count=2, retry_after=3)
        for _ in range(2):
            status, body = await call(api, "sendMessage", chat_id=GROUP, text="x")
            assert status == 429 and body["parameters"] == {"retry_after": 3}
        assert (await call(api, "sendMessage", chat_id=GROUP, text="x"))[0] == 200
