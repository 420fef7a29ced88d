"""Panic-button alerts from client apps (the HTTP edge) to the call takers, and the call takers' answer.

Received: one transaction holds the alert, its event and the call takers' messages (outbox), committed
before the edge replies 202. Answered: the first call taker's button moves the alert once, in the same
transaction as what the button starts (the guided /baru's draft, or the prank/ghost call)."""

from __future__ import annotations

import html
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.app import DispatchApp
from bot.services.common import PRIORITY_NOTICE, PRIORITY_REPLY, Actor, Refused, esc, reply, sent_message_id
from routing.fields import mask_phone
from routing.geo import Centres, locate_point, osm_link
from storage.panic import NewPanic, PanicRecord, panic_repo
from storage.uow import Tx

CALLBACK_PREFIX = "panic:"
ACTIONS = {"f": "followed", "p": "prank", "g": "ghost"}
OUTCOME = {"followed": "ditindaklanjuti", "prank": "ditandai prank", "ghost": "ditandai ghost"}
Hook = Callable[[Tx], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PanicReport:
    """A validated request: phone already normalised, text fields already cleaned."""

    app_name: str
    phone: str
    name: str | None
    lat: float
    lon: float
    accuracy_m: float | None
    text: str | None
    request_key: str | None = None
    """The client's Idempotency-Key, if it sent one: a retry finds the alert it already made."""


@dataclass(frozen=True, slots=True)
class Received:
    id: int
    kelurahan: str | None
    outside: bool
    repeated: bool = False


def targets(app: DispatchApp) -> list[int]:
    """The call takers' group when configured, else each call taker privately (the supervisors when no
    call taker is configured at all: an accepted alert must reach someone)."""
    return app.call_taker_chats() or app.supervisor_targets()


async def receive_panic(app: DispatchApp, report: PanicReport, centres: Centres) -> Received:
    place = locate_point(centres, report.lat, report.lon)
    kelurahan = place.kelurahan
    masked = mask_phone(report.phone)
    alert = NewPanic(
        app=report.app_name, phone=report.phone, phone_masked=masked, name=report.name, lat=report.lat,
        lon=report.lon, accuracy_m=report.accuracy_m, text=report.text,
        kelurahan=kelurahan.name if kelurahan else None, kecamatan=kelurahan.kecamatan if kelurahan else None,
        token=secrets.token_hex(4), request_key=report.request_key,
    )  # fmt: skip
    now = app.clock()
    async with app.store.transaction(now) as tx:
        repo = panic_repo(tx)
        if report.request_key is not None:
            known = await repo.by_request(report.app_name, report.request_key)
            if known is not None:  # a retry of a request whose 202 was lost: nothing new to tell anyone
                await tx.events.add("panic_repeated", "system", actor_name=report.app_name[:64], panic_id=known.id,
                                    app=report.app_name)  # fmt: skip
                return Received(known.id, known.kelurahan, known.kelurahan is None, repeated=True)
        alert_id = await repo.add(alert)
        record = await repo.get(alert_id)
        assert record is not None
        chats = targets(app)
        await tx.events.add(
            "panic_received", "system", actor_name=report.app_name[:64], panic_id=alert_id, app=report.app_name,
            phone=masked, kelurahan=alert.kelurahan, outside=kelurahan is None, targets=chats,
        )  # fmt: skip
        text, buttons = render_alert(app, record)
        for chat_id in chats:
            await reply(
                tx, chat_id, text, buttons=buttons, priority=PRIORITY_REPLY, panic_id=alert_id, keep=True
            )
    app.wake()
    return Received(alert_id, alert.kelurahan, kelurahan is None)


async def known_request(app: DispatchApp, app_name: str, request_key: str) -> int | None:
    """The alert a client's earlier request with this Idempotency-Key made, if any."""
    async with app.store.reading(app.clock()) as tx:
        known = await panic_repo(tx).by_request(app_name, request_key)
    return None if known is None else known.id


def render_alert(app: DispatchApp, alert: PanicRecord) -> tuple[str, list[list[tuple[str, str]]]]:
    when = app.local(alert.received_at).strftime("%H:%M:%S WIB, %d-%m-%Y")
    who = f"👤 {esc(alert.name)} · " if alert.name else ""
    lines = [
        f"🆘 <b>TOMBOL PANIK P-{alert.id}</b> · dari aplikasi {esc(alert.app)}",
        f"{who}📞 {esc(alert.phone_masked)}",
    ]
    if alert.kelurahan:  # the nearest of approximate centres: a hint; the map link is the truth
        lines.append(
            f"📍 Kel. {esc(alert.kelurahan)}, Kec. {esc(alert.kecamatan)} (perkiraan dari titik peta)"
        )
    else:
        lines.append(
            "📍 <b>Di luar Kota Blitar</b>: serahkan ke <b>112 Kabupaten Blitar</b> bila benar di sana."
        )
    link = html.escape(osm_link(alert.lat, alert.lon), quote=True)
    accuracy = f", akurasi ±{alert.accuracy_m:.0f} m" if alert.accuracy_m is not None else ""
    lines.append(
        f'🗺️ <a href="{link}">Buka peta (OpenStreetMap)</a> · {alert.lat:.5f}, {alert.lon:.5f}{accuracy}'
    )
    if alert.text:
        lines.append(f"📝 {esc(alert.text)}")
    lines.append(f"🕒 {when}")
    data = f"{CALLBACK_PREFIX}{{}}:{alert.id}:{alert.token}"
    buttons = [
        [("✅ Tindak lanjuti", data.format("f"))],
        [("🤡 Prank", data.format("p")), ("👻 Ghost", data.format("g"))],
    ]
    return "\n".join(lines), buttons


def parse_callback(data: str) -> tuple[str, int, str] | None:
    """'panic:p:12:ab12cd34' -> ('prank', 12, 'ab12cd34'); None for anything malformed."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] + ":" != CALLBACK_PREFIX or parts[1] not in ACTIONS:
        return None
    alert_id, token = parts[2], parts[3]
    if not (alert_id.isascii() and alert_id.isdigit() and len(alert_id) <= 12):
        return None
    if len(token) != 8 or any(ch not in "0123456789abcdef" for ch in token):
        return None
    return ACTIONS[parts[1]], int(alert_id), token


async def open_alert(app: DispatchApp, alert_id: int, token: str) -> PanicRecord:
    """The alert a button names, still waiting for an answer; else a refusal (audited by the edge)."""
    async with app.store.reading(app.clock()) as tx:
        alert = await panic_repo(tx).get(alert_id)
    if alert is None or not secrets.compare_digest(alert.token, token):
        raise Refused("Tombol tidak dikenal.", "forged_callback")
    if alert.state != "new":
        raise Refused(_already(alert), "panic_handled")
    return alert


async def settle_messages(app: DispatchApp, alert_id: int) -> None:
    """Before a tap is applied: a message of this alert whose send is out but not recorded (the tap
    came quickly) is waited for, so claim() edits it too (bot/services/common.py sent_message_id)."""
    async with app.store.reading(app.clock()) as tx:
        rows = await panic_repo(tx).unsent_messages(alert_id)
    for row in rows:
        await sent_message_id(app, row)


def claim(app: DispatchApp, alert: PanicRecord, state: str, actor: Actor) -> Hook:
    """Inside the caller's transaction: take the alert (only the first button wins), audit it, and tell
    the other call takers' chats who took it."""

    async def run(tx: Tx) -> None:
        repo = panic_repo(tx)
        if not await repo.resolve(alert.id, state, actor.id, actor.name):
            current = await repo.get(alert.id)
            raise Refused(_already(current or alert), "panic_handled")
        await tx.events.add("panic_handled", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            panic_id=alert.id, outcome=state, phone=alert.phone_masked)  # fmt: skip
        done = f"{OUTCOME[state].capitalize()} oleh {esc(actor.name)}, {app.local(tx.now).strftime('%H:%M')} WIB."
        for chat_id, message_id, shown in await repo.messages(alert.id):
            if message_id is not None:  # the buttons go; one not sent yet keeps them, and they refuse
                await tx.outbox.add("telegram", "edit_text", chat_id, PRIORITY_NOTICE,
                                    {"message_id": message_id, "html": f"{shown}\n\n✅ <b>{done}</b>"})  # fmt: skip
            if chat_id != str(actor.chat_id):
                await reply(tx, int(chat_id), f"🆘 P-{alert.id}: {done}", priority=PRIORITY_NOTICE)

    return run


def prefill(alert: PanicRecord) -> dict[str, Any]:
    """The guided /baru's draft fields a panic alert already answers: phone, pin, and the kelurahan."""
    data: dict[str, Any] = {"panic_id": alert.id, "phone": alert.phone or "-", "phone_shown": alert.phone_masked,
                            "lat": alert.lat, "lon": alert.lon}  # fmt: skip
    if alert.kelurahan:
        data["location"] = alert.kelurahan
    return data


def _already(alert: PanicRecord) -> str:
    if alert.state == "new":
        return f"P-{alert.id} sedang ditangani."
    who = alert.handled_by_name or "petugas lain"
    return f"P-{alert.id} sudah {OUTCOME.get(alert.state, alert.state)} oleh {who}."


async def audit_refusal(app: DispatchApp, status: int, reason: str, *, client: str | None, remote: str | None,
                        detail: str, skipped: int = 0) -> None:  # fmt: skip
    """A refused HTTP request: audited (the edge decides how often under a flood), nothing else changes."""
    async with app.store.transaction(app.clock()) as tx:
        await tx.events.add("panic_refused", "system", actor_name=(client or "-")[:64], status=status,
                            reason=reason, app=client, remote=remote, detail=detail[:300], skipped=skipped)  # fmt: skip
