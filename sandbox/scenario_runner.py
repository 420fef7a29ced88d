"""Playing a scenario in the sandbox: calls appear in the console's call panel at their time, the
agencies answer as scripted, radio traffic is spoken by real Mumble clients; the trainee's work is read
off the fake Telegram and scored. With --auto the scenario's own answers play the trainee."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from routing.fields import mask_phone
from routing.table import RoutingTable
from sandbox.botapi.model import SentMessage
from sandbox.console import Console
from sandbox.scenario import Call, RadioLine, Response, Scenario
from sandbox.scoring import CallScore, Outcome, score_call, total
from sandbox.world import World

log = logging.getLogger(__name__)
BUTTONS = {
    "terima": "Terima",
    "berangkat": "Berangkat",
    "tiba": "Tiba",
    "selesai": "Selesai",
    "tolak": "Tolak",
}
RADIO = {"terima": "!terima {n}", "berangkat": "!status {n} berangkat", "tiba": "!status {n} tiba",
         "selesai": "!status {n} selesai", "tolak": "!tolak {n} {reason}"}  # fmt: skip
LOGGED = {"prank": "prank", "ghost (diam)": "ghost", "informasi": "info"}
_NUMBER = re.compile(r"#(\d+) · ")
_LOG = re.compile(r"Tercatat: panggilan (prank|ghost \(diam\)|informasi)")


class Player:
    def __init__(self, scenario: Scenario, console: Console, world: World, var: Path, routing: RoutingTable):
        self.s = scenario
        self.console = console
        self.api = console.api
        self.world = world
        self.var = var
        self.routing = routing
        self.loop = asyncio.get_running_loop()
        self.shown: dict[str, float] = {}
        self.outcomes: dict[str, Outcome] = {c.id: Outcome() for c in scenario.call}
        self.numbers: dict[str, int] = {}
        self.dispatched: dict[str, asyncio.Event] = {c.id: asyncio.Event() for c in scenario.call}
        self.scores: dict[str, CallScore] = {}
        self.status = "berjalan"
        self.call_taker = next(p.id for p in world.people if p.role == "call_taker")
        self.desk = [p.id for p in world.people if p.role == "call_taker"] + [
            g.id for g in world.groups if g.kind == "call_takers"
        ]

    # -- the panel ----------------------------------------------------------------------------

    def publish(self) -> None:
        calls = [{"id": c.id, "phone": c.phone, "caller": c.caller, "says": c.says, "where": c.where,
                  "done": self.outcomes[c.id].logged_as is not None,
                  "score": asdict(self.scores[c.id]) if c.id in self.scores else None}
                 for c in self.s.call if c.id in self.shown]  # fmt: skip
        result = total(list(self.scores.values())) if len(self.scores) == len(self.s.call) else None
        self.console.panels["scenario"] = {"title": self.s.scenario.title, "status": self.status,
                                           "calls": calls, "total": result}  # fmt: skip
        self.api.notify()

    # -- the script ---------------------------------------------------------------------------

    async def run(self) -> int:
        start = self.loop.time()
        self.publish()
        tasks = [asyncio.create_task(self._call(c, start)) for c in self.s.call]
        tasks += [asyncio.create_task(self._radio(r, start)) for r in self.s.radio]
        try:
            await asyncio.gather(*tasks)
            self.status = "menunggu eskalasi dan jawaban terakhir"
            self.publish()
            await asyncio.sleep(self.s.scenario.ends_after)
        finally:
            for task in tasks:
                task.cancel()
        for call in self.s.call:
            self._finish(call)
        self.status = "selesai"
        self.publish()
        path = self.save()
        final = total(list(self.scores.values()))
        print(
            f"Skor latihan: {final['points']}/{final['max']} ({final['percent']}%), disimpan di {path}",
            flush=True,
        )
        return 0

    async def _call(self, call: Call, start: float) -> None:
        await asyncio.sleep(max(0.0, start + call.at - self.loop.time()))
        self.shown[call.id] = self.loop.time()
        self.publish()
        if self.s.auto:
            await self._trainee(call)
        try:
            found = await self.api.wait_for(lambda: self._outcome(call), timeout=self.s.scenario.give_up)
        except TimeoutError:
            self.status = f"panggilan {call.id} tidak ditangani"
            return
        outcome = self.outcomes[call.id]
        outcome.logged_as, outcome.number, accepted = found
        outcome.seconds = round(accepted - self.shown[call.id], 1)
        if outcome.number is not None:
            self.numbers[call.id] = outcome.number
            self.dispatched[call.id].set()
        self.publish()
        responses = [r for r in self.s.response if r.call == call.id]
        if outcome.logged_as == "dispatch":
            await asyncio.gather(*(self._respond(call, r, accepted) for r in responses))

    def _outcome(self, call: Call) -> tuple[str, int | None, float] | None:
        masked = mask_phone(call.phone)
        since = self.shown[call.id]
        for chat_id in self.world.agencies.values():
            for m in self.api.messages_in(chat_id):
                match = _NUMBER.search(m.current_text)
                if match and m.accepted_at >= since and f"📞 {masked}" in m.current_text:
                    return "dispatch", int(match.group(1)), m.accepted_at
        for chat_id in self.desk:
            for m in self.api.messages_in(chat_id):
                logged = _LOG.search(m.current_text)
                if logged and m.accepted_at >= since and masked in m.current_text:
                    return LOGGED[logged.group(1)], None, m.accepted_at
        return None

    async def _trainee(self, call: Call) -> None:
        """--auto: the call taker types the scenario's own answer."""
        await asyncio.sleep(call.answer_after)
        user = self.api.state.users[self.call_taker]
        if call.kind == "dispatch":
            text = f"/baru {call.category} | {call.kelurahan} | {call.address} | {call.phone} | {call.description}"
        elif call.kind == "info":
            text = f"/info {call.phone} {call.says[:80]}"
        else:
            text = f"/{call.kind} {call.phone}"
        self.api.send_text(user, self.call_taker, text)

    async def _respond(self, call: Call, response: Response, dispatched_at: float) -> None:
        await asyncio.sleep(max(0.0, dispatched_at + response.after - self.loop.time()))
        if response.action == "diam":
            return  # nobody answers: the escalation is the point
        number = self.numbers[call.id]
        if response.via == "radio" and self.console.radio is not None:
            user = next(u for u, code in self.world.mumble_users.items() if code == response.agency)
            text = RADIO[response.action].format(n=number, reason=response.reason or "")
            with contextlib.suppress(Exception):
                await self.console.radio.say(user, self.world.radio_channels[response.agency], text)
        else:
            await self._tap(response, number)
        if response.action == "tolak" and self.s.auto:
            await asyncio.sleep(3)
            taker = self.api.state.users[self.call_taker]
            for code in call.add:
                self.api.send_text(taker, self.call_taker, f"/tambah {number} {code}")

    async def _tap(self, response: Response, number: int) -> None:
        chat_id = self.world.agencies[response.agency]
        group = next(g for g in self.world.groups if g.id == chat_id)
        member = self.api.state.users[group.members[0]]
        label = BUTTONS[response.action]

        def card() -> tuple[SentMessage, str] | None:
            for m in reversed(self.api.messages_in(chat_id)):
                if not m.deleted and f"#{number} · " in m.current_text:
                    for button in m.buttons:
                        if button.get("text") == label:
                            return m, str(button["callback_data"])
            return None

        try:
            message, data = await self.api.wait_for(card, timeout=20)
        except TimeoutError:
            log.warning("skenario: tombol %s untuk #%d di %s tidak ada", label, number, response.agency)
            return
        before = len(self.api.messages_in(chat_id))
        self.api.tap(member, chat_id, message.message_id, data)
        if response.action != "tolak":
            return

        def prompt() -> SentMessage | None:
            return next((m for m in self.api.messages_in(chat_id)[before:] if m.force_reply), None)

        with contextlib.suppress(TimeoutError):
            asked = await self.api.wait_for(prompt, timeout=20)
            self.api.send_text(member, chat_id, response.reason or "-", reply_to_message_id=asked.message_id)

    async def _radio(self, line: RadioLine, start: float) -> None:
        await asyncio.sleep(max(0.0, start + line.at - self.loop.time()))
        needed = [cid for cid in self.dispatched if "{" + cid + "}" in line.text]
        for cid in needed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dispatched[cid].wait(), self.s.scenario.give_up)
        text = line.text
        for cid, number in self.numbers.items():
            text = text.replace("{" + cid + "}", str(number))
        if self.console.radio is not None:
            with contextlib.suppress(Exception):
                await self.console.radio.say(line.user, line.channel, text)

    # -- the score ----------------------------------------------------------------------------

    def _finish(self, call: Call) -> None:
        outcome = self.outcomes[call.id]
        expected: list[str] = []
        if call.kind == "dispatch" and call.category and call.kelurahan:
            found = self.routing.find_kelurahan(call.kelurahan)
            expected = [*self.routing.route(call.category, found.kecamatan if found else None), *call.add]
        if outcome.number is not None:
            self._read_cards(call, outcome)
        self.scores[call.id] = score_call(call.id, call.kind, list(dict.fromkeys(expected)), outcome)

    def _read_cards(self, call: Call, outcome: Outcome) -> None:
        tag = f"#{outcome.number} · "
        first: SentMessage | None = None
        for code, chat_id in self.world.agencies.items():
            cards = [m for m in self.api.messages_in(chat_id) if tag in m.current_text]
            if cards:
                outcome.agencies.append(code)
                first = first or cards[0]
                outcome.escalations += sum(1 for m in cards if "ULANG" in m.current_text)
        if first is None:
            return
        text = first.edits[0].current_text if first.edits else first.current_text
        category = self.routing.category(call.category or "")
        heading = next((line for line in text.splitlines() if tag in line), "")
        outcome.category_right = category is not None and category.name.lower() in heading.lower()
        lines = {line[:1]: line[1:].strip() for line in text.splitlines() if line}
        checks = {"kelurahan": f"Kel. {call.kelurahan}" in text, "alamat": lines.get("🏠", "-") not in ("", "-"),
                  "keterangan": lines.get("📝", "-") not in ("", "-"),
                  "telepon": f"📞 {mask_phone(call.phone)}" in text}  # fmt: skip
        outcome.missing = [name for name, ok in checks.items() if not ok]

    def save(self) -> Path:
        path = self.var / f"sandbox-skor-{Path(self.s.path).stem}.json"
        body: dict[str, Any] = {
            "latihan": True, "scenario": self.s.scenario.title, "file": self.s.path,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "calls": [asdict(self.scores[c.id]) for c in self.s.call], "total": total(list(self.scores.values())),
        }  # fmt: skip
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
        return path


async def play(scenario: Scenario, console: Console, world: World, var: Path, routing: RoutingTable) -> int:
    return await Player(scenario, console, world, var, routing).run()
