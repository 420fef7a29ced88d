"""Readiness roll-call (apel siaga) and the agency overview (/instansi): find an unreachable agency before
an incident does (the 2023 report, chapter IV.4)."""

from __future__ import annotations

import secrets

from bot.app import DispatchApp
from bot.roster import agency_key
from bot.services.common import PRIORITY_NOTICE, Actor, Refused, esc, reply
from storage.roster import AnswerRow

SIAP = "✅ Siap"


def _hm(app: DispatchApp, ts: float) -> str:
    return app.local(ts).strftime("%H:%M")


def _day_hm(app: DispatchApp, ts: float) -> str:
    return app.local(ts).strftime("%d/%m %H:%M")


async def start_rollcall(app: DispatchApp, actor: Actor | None, *, update_id: int | None) -> int:
    """Post "Apel siaga 112" with a Siap button in every bound agency group; unreachable ones are noted."""
    if actor is not None and not app.is_supervisor(actor.id):
        raise Refused("Apel siaga hanya untuk supervisor dan admin.", "not_supervisor")
    groups = [g for g in app.roster.groups.values() if g.agency is not None and g.chat_id is not None]
    if not groups:
        raise Refused(
            "Belum ada grup instansi yang terdaftar. Daftarkan dengan /daftar di grupnya.", "no_groups"
        )
    now = app.clock()
    async with app.store.transaction(now, update_id) as tx:
        rollcall_id = await tx.roster.start_rollcall(now + app.settings.rollcall.window,
                                                     actor.id if actor else None)  # fmt: skip
        for group in groups:
            token = secrets.token_hex(4)
            await tx.roster.add_rollcall_slot(rollcall_id, group.key, group.chat_id, token, group.reachable)
            if group.reachable:
                assert group.chat_id is not None
                await reply(tx, group.chat_id, f"📣 <b>Apel siaga 112</b> · {_hm(app, now)} WIB\nTekan <b>Siap</b> "
                            "bila grup ini siaga menerima kejadian.", priority=PRIORITY_NOTICE,
                            buttons=[[(SIAP, f"r:{rollcall_id}:{token}")]])  # fmt: skip
        await tx.events.add("rollcall_started", actor.channel if actor else "system",
                            actor_id=actor.id if actor else None, actor_name=actor.name if actor else None,
                            rollcall_id=rollcall_id, groups=len(groups))  # fmt: skip
        if actor is not None:
            minutes = app.settings.rollcall.window / 60
            await reply(tx, actor.chat_id, f"📣 Apel siaga dikirim ke {len(groups)} grup instansi; hasilnya "
                        f"dikirim ke supervisor dalam {minutes:g} menit.")  # fmt: skip
    app.wake()
    return rollcall_id


async def answer_rollcall(app: DispatchApp, rollcall_id: int, token: str, actor: Actor, *,
                          update_id: int | None) -> bool:  # fmt: skip
    async with app.store.transaction(app.clock(), update_id) as tx:
        recorded = await tx.roster.answer_rollcall(rollcall_id, actor.chat_id, token, actor.id, actor.name)
        if recorded is None:
            raise Refused("Tombol apel ini tidak berlaku di sini.", "forged_callback")
        if recorded:
            await tx.events.add("rollcall_answered", actor.channel, actor_id=actor.id, actor_name=actor.name,
                                rollcall_id=rollcall_id, chat_id=actor.chat_id)  # fmt: skip
    return recorded


def summary_text(app: DispatchApp, started_at: float, answers: list[AnswerRow]) -> str:
    def name(key: str) -> str:
        return esc(app.routing.agency_short(key.removeprefix("agency:")))

    ready = [a for a in answers if a.answered_at is not None]
    silent = [a for a in answers if a.answered_at is None and a.reachable]
    unreachable = [a for a in answers if not a.reachable]
    lines = [f"📋 <b>Hasil apel siaga 112</b> · {_hm(app, started_at)} WIB"]
    lines.append("✅ Siap: " + ("; ".join(
        f"{name(a.key)} — {esc(a.answered_name or a.answered_by)} {_hm(app, a.answered_at or 0)}" for a in ready
    ) or "tidak ada"))  # fmt: skip
    lines.append("❌ Tidak menjawab: " + (", ".join(name(a.key) for a in silent) or "tidak ada"))
    if unreachable:
        lines.append("⚠️ Tidak bisa dihubungi: " + ", ".join(name(a.key) for a in unreachable))
    phone_only = [c for c in app.routing.agencies if app.roster.chat(agency_key(c)) is None]
    if phone_only:
        lines.append(f"☎️ Tanpa grup Telegram: {len(phone_only)} instansi (lihat /instansi)")
    return "\n".join(lines)


async def summarize_due(app: DispatchApp) -> float | None:
    """One summary per roll-call once its window is over (guarded: exactly once across restarts)."""
    async with app.store.reading(app.clock()) as tx:
        if not await tx.roster.rollcalls_due():
            return await tx.roster.next_rollcall_end()  # nothing due: no write transaction
    async with app.store.transaction(app.clock()) as tx:
        for rollcall_id in await tx.roster.rollcalls_due():
            closed = await tx.roster.close_rollcall(rollcall_id)
            if closed is None:
                continue
            started_at, answers = closed
            text = summary_text(app, started_at, answers)
            for target in app.supervisor_targets():
                await reply(tx, target, text, priority=PRIORITY_NOTICE)
            await tx.events.add("rollcall_summary", "system", rollcall_id=rollcall_id,
                                answered=sum(a.answered_at is not None for a in answers), asked=len(answers))  # fmt: skip
        upcoming = await tx.roster.next_rollcall_end()
    app.wake()
    return upcoming


async def agency_overview(app: DispatchApp, actor: Actor, *, update_id: int | None) -> None:
    """/instansi: every agency, bound group or phone only, reachable or not, last card, last roll-call answer."""
    if not (app.is_call_taker(actor.id) or app.is_supervisor(actor.id)):
        raise Refused("Perintah ini untuk call taker dan supervisor 112.", "stranger")
    async with app.store.reading(app.clock()) as tx:
        last_card = await tx.roster.last_card_sent()
        last_answer = await tx.roster.last_answers()
    lines = ["🏢 <b>Instansi</b>"]
    for code in app.routing.agencies:
        group = app.roster.groups.get(agency_key(code))
        phone = f" · ☎️ {esc(group.phone)}" if group and group.phone else ""
        if group is None or group.chat_id is None:
            where = "telepon saja"
        elif group.reachable:
            where = f"✅ grup {esc(_short(group.title) or group.chat_id)}"
        else:
            where = f"⚠️ grup {esc(_short(group.title) or group.chat_id)} TIDAK TERJANGKAU"
        extra = []
        if code in last_card:
            extra.append(f"kartu terakhir {_day_hm(app, last_card[code])}")
        if agency_key(code) in last_answer:
            extra.append(f"apel terakhir {_day_hm(app, last_answer[agency_key(code)])}")
        tail = f" · {', '.join(extra)}" if extra else ""
        lines.append(
            f"• <b>{esc(app.routing.agency_short(code))}</b> (<code>{esc(code)}</code>): {where}{phone}{tail}"
        )
    async with app.store.transaction(app.clock(), update_id) as tx:
        for chunk in chunks(lines):
            await reply(tx, actor.chat_id, chunk)
    app.wake()


def _short(title: str | None, limit: int = 40) -> str | None:
    return title if title is None or len(title) <= limit else title[: limit - 1] + "…"


def chunks(lines: list[str], limit: int = 3800) -> list[str]:
    """27 agencies with long group titles exceed one message (4096): split between lines."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*chunks, current] if current else chunks
