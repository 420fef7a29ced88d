"""Active and standby: two `python run.py` against one test PostgreSQL and one fake Bot API.

Each process reaches the Bot API through a relay of its own (tests/tcp_relay.py), which notes when each
request passed: so the tests can tell who asked what, and when."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.botapi import FakeBotApi
from storage.lease import MAX_AGE
from tests import dbread, pgserver
from tests.e2e import TOKEN, BotProcess, World, bot_env, settings_toml
from tests.tcp_relay import Relay
from tests.test_e2e_panic import free_port
from tests.test_faults import GROUPS, LADDER, cards_for, dispatch_line

pytestmark = pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL server binaries not installed")
TAKEOVER_LIMIT = 15.0
IN_FLIGHT = 0.1
LOST_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ERROR dispatch: LEASE HILANG", re.M)


@pytest.fixture(scope="module")
def cluster() -> pgserver.PgCluster:
    if not pgserver.available():
        pytest.skip("PostgreSQL server binaries not installed")
    return dbread.cluster()  # the test session's one cluster, shared with the PostgreSQL runs


@dataclass
class Node:
    name: str
    bot: BotProcess
    relay: Relay
    http_port: int

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(f"http://127.0.0.1:{self.http_port}/healthz")
            return response.status_code, response.json()

    async def metrics(self) -> str:
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(f"http://127.0.0.1:{self.http_port}/metrics")).text

    async def until_role(self, role: str, timeout: float = 30.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Polled as a monitor would; the HTTP server may not listen yet."""
        async with asyncio.timeout(timeout):
            while True:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    status, body = await self.health()
                    if status == 200 and body.get("role") == role:
                        return body
                assert self.bot.proc is not None and self.bot.proc.returncode is None, self.bot.output()
                await asyncio.sleep(0.2)

    def first_poll_after(self, when: float) -> float | None:
        return next((t for t, m in self.relay.methods_after(when) if m == "getUpdates"), None)

    def lost_at(self) -> float | None:
        found = LOST_LINE.search(self.bot.logs[-1].read_text(errors="replace"))
        return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp() if found else None


@dataclass
class Pair:
    world: World
    url: str
    a: Node
    b: Node

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return dbread.rows(self.url, sql)


@contextlib.asynccontextmanager
async def pair(tmp_path: Path, cluster: pgserver.PgCluster, extra: str = "", a_db: Relay | None = None,
               mumble: str = "[mumble]\nenabled = false", env: dict[str, str] | None = None,
               together: bool = False) -> AsyncIterator[Pair]:  # fmt: skip
    """a_db: a relay that A (the first active) reaches PostgreSQL through, to cut it off."""
    async with FakeBotApi(token=TOKEN) as api:
        url = cluster.create_database()
        settings = tmp_path / "settings.toml"
        settings.write_text(settings_toml(api, url, extra=extra, folder=tmp_path, mumble=mumble))
        nodes = []
        for name in ("a", "b"):
            relay = Relay(api.port)
            port = await relay.start()
            http_port = free_port()
            node_env = bot_env(settings, **(env or {}), DISPATCH_HTTP__ENABLED="true",
                          DISPATCH_HTTP__PORT=str(http_port),
                          DISPATCH_TELEGRAM__BASE_URL=f"http://127.0.0.1:{port}/bot",
                          DISPATCH_TELEGRAM__BASE_FILE_URL=f"http://127.0.0.1:{port}/file/bot")  # fmt: skip
            if name == "a" and a_db is not None:
                db_port = await a_db.start()
                node_env["DISPATCH_STORAGE__URL"] = url.replace(f":{cluster.port}/", f":{db_port}/")
            workdir = tmp_path / name
            workdir.mkdir()
            nodes.append(Node(name, BotProcess(workdir, node_env), relay, http_port))
        world = World(api, nodes[0].bot, url)
        found = Pair(world, url, nodes[0], nodes[1])
        try:
            if together:  # both at once on an empty database: one migrates, one wins the lease
                yield found
                return
            await found.a.bot.start()
            await found.a.until_role("active")
            await api.wait_polling(timeout=20)
            await found.b.bot.start()
            await found.b.until_role("standby")
            yield found
        finally:
            for node in nodes:
                code = await node.bot.stop()
                if code not in (0, 3, -9, -15):
                    print(f"--- {node.name} exited {code}\n{node.bot.output()}")
                await node.relay.stop()
            if a_db is not None:
                await a_db.stop()


OPEN_ATTEMPTS = "SELECT id, target, kind, incident_id, attempts FROM outbox WHERE attempt_open = 1"


def tap_out(world: World, tapped: set[int]) -> None:
    api = world.api
    for message in list(api.messages_in(GROUPS[0])):
        found = re.search(r"#(\d+) ·", message.text or "")
        if found and int(found.group(1)) not in tapped and message.buttons:
            tapped.add(int(found.group(1)))
            terima = next(b["callback_data"] for b in message.buttons if b["text"] == "Terima")
            api.tap(world.damkar_member, world.damkar, message.message_id, terima)


async def settle(p: Pair, sent: int, tapped: set[int], kills: int, overlap: int = 0) -> None:
    """Zero loss: every dispatch's cards in every group, every tap applied once, the inbox empty; repeats
    at most one per chat in flight at each takeover, and marked."""
    world, api = p.world, p.world.api
    timeout = 60 + 6 * sent
    await api.wait_for(
        lambda: all(cards_for(world, chat, n) for chat in GROUPS for n in range(1, sent + 1)), timeout=timeout
    )
    acked = "SELECT COUNT(*) FROM assignments WHERE agency = 'damkar' AND state = 'acknowledged'"
    await api.wait_for(lambda: p.rows(acked) == [(len(tapped),)], timeout=timeout, recheck=0.3)
    assert p.rows("SELECT COUNT(*), COUNT(DISTINCT number) FROM incidents") == [(sent, sent)]
    assert p.rows("SELECT COUNT(*) FROM events WHERE kind = 'status'") == [(len(tapped),)]
    assert p.rows("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == [(0,)]
    repeats = [m for m in api.messages if m.text and "mungkin terkirim dua kali" in m.text]
    duplicates = sum(len(cards_for(world, chat, n)) - 1 for chat in GROUPS for n in range(1, sent + 1))
    # One send in flight per chat at most (the delivery worker's rule), so a takeover repeats at most one
    # message per chat, marked; the chats: the agencies' groups, the call taker, the supervisors.
    per_chat = Counter(m.chat_id for m in repeats)
    for m in repeats:
        print("marked:", m.chat_id, (m.text or "")[:60].replace("\n", " | "))
    print(f"{sent} dispatches, {len(tapped)} taps, {kills} takeovers: {duplicates} cards twice,"
          f" {len(repeats)} marked as possible repeats, per chat {dict(per_chat)}")  # fmt: skip
    assert duplicates <= len(repeats) and all(n <= kills for n in per_chat.values()), per_chat
    # Never two pollers: Telegram would have answered one of them 409 Conflict. `overlap`: a fenced
    # active's long poll, sent before it lost the lease, may still be open at the server when the new
    # active's first one arrives (on a loaded machine its orderly stop is slower than the takeover); the
    # tests assert separately that nothing at all is sent by it after its notice.
    conflicts = [c for c in api.calls if c.http_status == 409]
    if conflicts:
        for node in (p.a, p.b):
            print(node.name, [(round(t, 3), m) for t, m in node.relay.requests if m == "getUpdates"][-6:])
    assert len(conflicts) <= overlap, conflicts
    # Escalation deadlines carried over, neither lost nor doubled: every assignment never acknowledged
    # climbed both steps of the ladder, each once.
    never = "SELECT id FROM assignments WHERE acknowledged_at IS NULL AND en_route_at IS NULL"
    climbing = f"SELECT COUNT(*) FROM assignments WHERE id IN ({never}) AND escalation_level < 2"
    await api.wait_for(lambda: p.rows(climbing) == [(0,)], timeout=timeout, recheck=0.3)
    steps = p.rows("SELECT assignment_id, json_extract(data, '$.level'), COUNT(*) FROM events"
                   " WHERE kind = 'escalated' GROUP BY 1, 2")  # fmt: skip
    assert steps and all(count == 1 for _, _, count in steps)
    climbed = {a for a, level, _ in steps if str(level) == "2"}
    assert {r[0] for r in p.rows(never)} <= climbed


async def test_standby_answers_healthz_as_standby_and_never_calls_the_bot_api(
    tmp_path: Path, cluster: pgserver.PgCluster
) -> None:
    async with pair(tmp_path, cluster) as p:
        status, body = await p.b.health()
        assert status == 200 and body["role"] == "standby", body
        assert body["checks"]["database"]["ok"]
        assert 'dispatch_role{role="standby"} 1.0' in await p.b.metrics()
        async with httpx.AsyncClient(timeout=5) as client:  # the panic API is the active's only
            refused = await client.post(f"http://127.0.0.1:{p.b.http_port}/api/v1/panic", json={})
            assert refused.status_code == 503 and "standby" in refused.text
            assert (
                await client.post(f"http://127.0.0.1:{p.a.http_port}/api/v1/panic", json={})
            ).status_code == 401
        status, body = await p.a.health()
        assert status == 200 and body["role"] == "active", body
        assert 'dispatch_role{role="active"} 1.0' in await p.a.metrics()
        # Only the active polls and sends; the standby waited without one request.
        p.world.api.send_text(p.world.call_taker, p.world.call_taker, dispatch_line(1))
        await p.world.api.wait_message(GROUPS[0], "#1 ·", timeout=20)
        assert p.b.relay.requests == []
        assert [m for _, m in p.a.relay.requests].count("getUpdates") >= 1


async def test_two_started_at_once_one_is_active_and_one_standby(
    tmp_path: Path, cluster: pgserver.PgCluster
) -> None:
    async with pair(tmp_path, cluster, together=True) as p:
        await asyncio.gather(p.a.bot.start(), p.b.bot.start())
        await p.world.api.wait_polling(timeout=30)
        roles: dict[str, str] = {}
        async with asyncio.timeout(30):
            while sorted(roles.values()) != ["active", "standby"]:
                for node in (p.a, p.b):
                    with contextlib.suppress(httpx.HTTPError, ValueError):
                        status, body = await node.health()
                        roles[node.name] = str(body.get("role")) if status == 200 else "?"
                await asyncio.sleep(0.2)
        p.world.api.send_text(p.world.call_taker, p.world.call_taker, dispatch_line(1))
        await p.world.api.wait_message(GROUPS[0], "#1 ·", timeout=20)
        standby = p.a if roles["a"] == "standby" else p.b
        assert standby.relay.requests == []
        assert p.rows("SELECT COUNT(*) FROM incidents") == [(1,)]


async def test_kill_9_of_the_active_during_a_burst_loses_nothing_and_the_standby_takes_over(
    tmp_path: Path, cluster: pgserver.PgCluster
) -> None:
    async with pair(tmp_path, cluster, extra=LADDER) as p:
        world, api = p.world, p.world.api
        active, standby = p.a, p.b
        sent, tapped, takeovers = 0, set[int](), []
        kills = 2
        for _ in range(kills):
            for _ in range(3):
                sent += 1
                api.send_text(world.call_taker, world.call_taker, dispatch_line(sent))
            tap_out(world, tapped)
            progress = len(api.calls_of("sendMessage")) + len(api.calls_of("editMessageText"))
            await api.wait_for(
                lambda p=progress: len(api.calls_of("sendMessage")) + len(api.calls_of("editMessageText")) >= p + 2,
                timeout=30,
            )  # fmt: skip
            killed_at = time.time()
            await active.bot.kill()
            # What the kill left in doubt (shown when the test fails): one row a chat at most.
            print("attempts open at the kill:", p.rows(OPEN_ATTEMPTS))
            polled = await api.wait_for(
                lambda s=standby, k=killed_at: s.first_poll_after(k), timeout=30, recheck=0.05
            )
            takeovers.append(polled - killed_at)
            print(f"kill -9 of {active.name}: {standby.name} polling after {polled - killed_at:.2f} s")
            await standby.until_role("active")
            await active.bot.start()  # back, as systemd would bring it: a standby now
            await active.until_role("standby")
            active, standby = standby, active
        tap_out(world, tapped)
        await settle(p, sent, tapped, kills)
        print(f"takeover times: {', '.join(f'{t:.2f} s' for t in takeovers)}")
        assert max(takeovers) < TAKEOVER_LIMIT


@pytest.mark.parametrize("which", ["dispatch-lease", "dispatch-store"])
async def test_terminated_lease_session_stops_the_active_sending_and_the_other_takes_over(
    tmp_path: Path, cluster: pgserver.PgCluster, which: str
) -> None:
    """The lease's own session, or the store's: without either the active can no longer be trusted."""
    async with pair(tmp_path, cluster, extra=LADDER) as p:
        world, api = p.world, p.world.api
        sent = 5
        for n in range(1, sent + 1):
            api.send_text(world.call_taker, world.call_taker, dispatch_line(n))
        await api.wait_message(GROUPS[0], "#1 ·", timeout=20)  # mid-burst: the active has cards to send
        assert p.a.bot.proc is not None
        session = f"{which} {p.a.bot.proc.pid} %"
        pids = p.rows(f"SELECT pid FROM pg_stat_activity WHERE application_name LIKE '{session}'")
        assert len(pids) == 1, pids
        cut_at = time.time()
        assert p.rows(f"SELECT pg_terminate_backend({pids[0][0]})") == [(True,)]
        code = await asyncio.wait_for(p.a.bot.proc.wait(), 20)
        assert code == 3, p.a.bot.output()
        noticed = p.a.lost_at()
        assert noticed is not None, p.a.bot.output()
        print(f"{which} session terminated: the active noticed it after {noticed - cut_at:.3f} s")
        assert noticed - cut_at < 1.0
        polled = await api.wait_for(lambda: p.b.first_poll_after(cut_at), timeout=30, recheck=0.05)
        print(f"the standby polling {polled - cut_at:.2f} s after the termination")
        assert polled - cut_at < TAKEOVER_LIMIT
        # Fenced: nothing from the old active once it noticed, and all of it before the new one's first.
        # IN_FLIGHT: the log line's millisecond, the relay's own reading lag, and a request already past
        # the fence in the same turn of the event loop as PostgreSQL's termination message.
        last_a = max(t for t, _ in p.a.relay.requests)
        print(f"the old active's last request reached the relay {last_a - noticed:+.3f} s from its notice")
        late = p.a.relay.methods_after(noticed + IN_FLIGHT)
        assert late == [], late
        first_b = min(t for t, _ in p.b.relay.requests)
        assert last_a < first_b
        # The old active's last long poll (timeout 2 s, sent before the termination) may still be open at
        # the server while the new one starts: each new poll then gets 409 and is retried after 0.5, 1, 2 s,
        # so at most 3 fall in those 2 s. Two pollers for longer would give a 409 every retry, far more.
        await settle(p, sent, set(), 1, overlap=3)


async def test_an_active_cut_off_from_the_database_fences_itself_before_the_lock_is_freed(
    tmp_path: Path, cluster: pgserver.PgCluster
) -> None:
    db_link = Relay(cluster.port)
    async with pair(tmp_path, cluster, extra=LADDER, a_db=db_link) as p:
        world, api = p.world, p.world.api
        sent = 4
        for n in range(1, sent + 1):
            api.send_text(world.call_taker, world.call_taker, dispatch_line(n))
        await api.wait_message(GROUPS[0], "#1 ·", timeout=20)
        cut_at = time.time()
        db_link.frozen.set()  # A hears nothing from PostgreSQL any more, and PostgreSQL nothing from A
        noticed = await api.wait_for(p.a.lost_at, timeout=MAX_AGE + 5, recheck=0.05)
        print(f"cut off from the database: the active fenced itself after {noticed - cut_at:.2f} s")
        assert noticed - cut_at <= MAX_AGE + 0.5
        # Nothing simulated from here: PostgreSQL ends the session that fell silent (idle_session_timeout,
        # 5 s after the last heartbeat it received), which frees the lock.
        polled = await api.wait_for(lambda: p.b.first_poll_after(cut_at), timeout=30, recheck=0.05)
        print(f"the standby polling {polled - cut_at:.2f} s after the cut")
        assert polled - cut_at < TAKEOVER_LIMIT
        assert p.a.bot.proc is not None
        assert await asyncio.wait_for(p.a.bot.proc.wait(), 20) == 3  # its store hangs: it exits anyway
        print(f"the cut-off active exited {time.time() - noticed:.1f} s after it fenced itself")
        late = p.a.relay.methods_after(noticed + IN_FLIGHT)
        assert late == [], late
        first_b = min(t for t, _ in p.b.relay.requests)
        assert max(t for t, _ in p.a.relay.requests) < first_b
        assert noticed < first_b  # the active had stopped before the other could start
        await settle(p, sent, set(), 1)


async def test_a_hung_active_loses_its_session_and_sends_nothing_when_it_wakes(
    tmp_path: Path, cluster: pgserver.PgCluster
) -> None:
    """SIGSTOP: the process hangs but its kernel still answers TCP, so only PostgreSQL's
    idle_session_timeout can free the lock; woken up later, it must find itself fenced."""
    async with pair(tmp_path, cluster, extra=LADDER) as p:
        world, api = p.world, p.world.api
        sent = 4
        for n in range(1, sent + 1):
            api.send_text(world.call_taker, world.call_taker, dispatch_line(n))
        await api.wait_message(GROUPS[0], "#1 ·", timeout=20)
        assert p.a.bot.proc is not None
        stopped_at = time.time()
        os.kill(p.a.bot.proc.pid, signal.SIGSTOP)
        try:
            polled = await api.wait_for(lambda: p.b.first_poll_after(stopped_at), timeout=30, recheck=0.05)
            print(f"hung active: the standby polling {polled - stopped_at:.2f} s after the SIGSTOP")
            assert polled - stopped_at < TAKEOVER_LIMIT
        finally:
            os.kill(p.a.bot.proc.pid, signal.SIGCONT)
        resumed_at = time.time()
        assert await asyncio.wait_for(p.a.bot.proc.wait(), 20) == 3, p.a.bot.output()
        noticed = p.a.lost_at()
        assert noticed is not None
        print(f"woken up, the old active fenced itself {noticed - resumed_at:+.3f} s after SIGCONT")
        late = p.a.relay.methods_after(stopped_at + IN_FLIGHT)
        assert late == [], late
        await settle(p, sent, set(), 1)
