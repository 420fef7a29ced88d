"""Prank and ghost callers: a number's history, block proposals, /blokir and /bukablokir, the ladder.

The telephony platform does the blocking; we keep the list (`run.py blocklist`) and its audit: every
block, unblock and proposal decision is an event with who and why, in the same transaction.
"""

from __future__ import annotations

import secrets

from bot.app import DispatchApp
from bot.services.common import PRIORITY_NOTICE, Actor, Refused, esc, reply
from routing.fields import MAX_REASON, FieldError, clean_optional, mask_phone, normalise_phone
from routing.prank import SUPERVISOR_LEVEL, Ladder, duration_text, history_text, parse_duration
from storage.blocks import BlockRecord, ProposalRecord
from storage.uow import Tx

# Button codes -> hours: the call takers' proposal offers the ladder's step, the supervisors' more.
CHOICES = {"d1": 24.0, "d3": 72.0, "d7": 168.0, "d30": 720.0}
SUPERVISOR_CHOICES = (("Blokir 7 hari", "d7"), ("Blokir 30 hari", "d30"))


def ladder(app: DispatchApp) -> Ladder:
    cfg = app.settings.prank
    return Ladder(cfg.first_block_hours, cfg.second_block_hours)


def phone_for_block(text: str) -> str:
    if not text.strip() or text.strip() == "-":
        raise Refused("Nomor telepon kosong. Format: /blokir <telepon> [durasi] [alasan]", "phone")
    try:
        return normalise_phone(text)
    except FieldError as exc:
        raise Refused(exc.message, "phone") from None


async def history_line(tx: Tx, app: DispatchApp, phone: str | None) -> str:
    """The number's last 30 days as the first line of a reply (HTML, ends with a newline), or ''."""
    if not phone:
        return ""
    days = app.settings.prank.history_days
    found = await tx.blocks.history(phone, tx.now - days * 86400)
    now = app.local(tx.now)
    last = app.local(found.last_at) if found.last_at is not None else None
    text = history_text(mask_phone(phone), found.counts, days, last, now)
    active = await tx.blocks.active(phone)
    if active:
        until = app.local(active[-1].ends_at)
        text = (text or mask_phone(phone)) + f"; ⛔ diblokir s.d. {until.strftime('%d/%m %H:%M')} WIB"
    return f"🕘 {esc(text)}\n" if text else ""


async def _level(tx: Tx, app: DispatchApp, phone: str) -> int:
    earlier = await tx.blocks.count_since(phone, tx.now - app.settings.prank.ladder_days * 86400)
    return ladder(app).level_after(earlier)


async def maybe_propose(tx: Tx, app: DispatchApp, phone: str, actor: Actor) -> None:
    """After a prank or ghost call: at the threshold, propose a block (to the supervisors from step 3)."""
    cfg = app.settings.prank
    count = await tx.calls.count_from_phone(phone, ("prank", "ghost"), tx.now - cfg.threshold_days * 86400)
    if count < cfg.threshold or await tx.blocks.active(phone) or await tx.blocks.pending_proposal(phone):
        return
    reason = f"{count} prank/ghost dalam {cfg.threshold_days} hari"
    level = await _level(tx, app, phone)
    if level >= SUPERVISOR_LEVEL:
        await _ask_supervisors(tx, app, phone, level, reason, actor)
        await reply(tx, actor.chat_id, f"⚠️ {esc(mask_phone(phone))}: {esc(reason)}; sudah diblokir "
                    f"{level - 1} kali. Keputusan blokir ada di supervisor; permintaan sudah dikirim.")  # fmt: skip
        return
    hours = ladder(app).hours(level)
    assert hours is not None
    token = secrets.token_hex(4)
    pid = await tx.blocks.propose(phone, mask_phone(phone), level, "call_taker", token, reason)
    await tx.events.add("block_proposed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                        phone=mask_phone(phone), level=level, reason=reason, proposal_id=pid)  # fmt: skip
    code = "d1" if hours == 24 else "d3"
    buttons = [[(f"⛔ Blokir {duration_text(hours)}", f"pb:{pid}:{token}:{code}"),
                ("Abaikan", f"pb:{pid}:{token}:x")]]  # fmt: skip
    await reply(tx, actor.chat_id, f"🚫 <b>Usul blokir</b> {esc(mask_phone(phone))}: {esc(reason)} "
                f"(tingkat {level}).", buttons=buttons)  # fmt: skip


async def _ask_supervisors(tx: Tx, app: DispatchApp, phone: str, level: int, reason: str,
                           actor: Actor) -> None:  # fmt: skip
    if await tx.blocks.pending_proposal(phone):
        return
    token = secrets.token_hex(4)
    pid = await tx.blocks.propose(phone, mask_phone(phone), level, "supervisor", token, reason)
    await tx.events.add("block_escalated", actor.channel, actor_id=actor.id, actor_name=actor.name,
                        phone=mask_phone(phone), level=level, reason=reason, proposal_id=pid)  # fmt: skip
    buttons = [[(label, f"pb:{pid}:{token}:{code}") for label, code in SUPERVISOR_CHOICES],
               [("Abaikan", f"pb:{pid}:{token}:x")]]  # fmt: skip
    text = (f"🚫 <b>Keputusan supervisor</b>: {esc(mask_phone(phone))} sudah diblokir {level - 1} kali "
            f"dalam {app.settings.prank.ladder_days} hari; kini {esc(reason)}. Diminta oleh {esc(actor.name)}.")  # fmt: skip
    for target in app.supervisor_targets():
        await reply(tx, target, text, buttons=buttons, priority=PRIORITY_NOTICE)


async def _block(tx: Tx, app: DispatchApp, phone: str, level: int, hours: float, reason: str,
                 actor: Actor) -> BlockRecord:  # fmt: skip
    masked = mask_phone(phone)
    block_id = await tx.blocks.add(phone, masked, level, tx.now + hours * 3600, reason, actor.id, actor.name)
    await tx.events.add("blocked", actor.channel, actor_id=actor.id, actor_name=actor.name, phone=masked,
                        level=level, hours=hours, reason=reason, block_id=block_id)  # fmt: skip
    block = (await tx.blocks.active(phone))[-1]
    until = app.local(block.ends_at).strftime("%d/%m %H:%M")
    await reply(tx, actor.chat_id, f"⛔ {esc(masked)} diblokir {duration_text(hours)} s.d. {until} WIB "
                f"(tingkat {level}): {esc(reason)}.")  # fmt: skip
    return block


async def block_number(app: DispatchApp, args: str, actor: Actor, *, update_id: int | None) -> None:
    """/blokir <telepon> [durasi] [alasan]"""
    parts = args.split(maxsplit=2)
    phone = phone_for_block(parts[0] if parts else "")
    hours: float | None = None
    rest = parts[1:]
    if rest:
        try:
            hours = parse_duration(rest[0])
            rest = rest[1:]
        except ValueError as exc:
            if rest[0][:1].isdigit():
                raise Refused(str(exc), "duration") from None
            rest = [" ".join(rest)]
    try:
        reason = clean_optional(" ".join(rest), "Alasan", MAX_REASON) or "diblokir petugas"
    except FieldError as exc:
        raise Refused(exc.message, "field") from None
    supervisor = app.is_supervisor(actor.id)
    async with app.store.transaction(app.clock(), update_id) as tx:
        active = await tx.blocks.active(phone)
        if active:
            until = app.local(active[-1].ends_at).strftime("%d/%m %H:%M")
            raise Refused(f"{mask_phone(phone)} sudah diblokir s.d. {until} WIB.", "already_blocked")
        level = await _level(tx, app, phone)
        allowed = ladder(app).hours(level)
        if not supervisor and allowed is None:
            await _ask_supervisors(tx, app, phone, level, reason, actor)
            await reply(tx, actor.chat_id, f"⚠️ {esc(mask_phone(phone))} sudah diblokir {level - 1} kali: "
                        "petugas tidak bisa memblokir lagi; keputusan diminta ke supervisor.")  # fmt: skip
            app.wake()
            return
        if hours is None:
            hours = allowed if allowed is not None else CHOICES["d7"]
        elif not supervisor and allowed is not None and hours > allowed:
            raise Refused(f"Pada tingkat {level} petugas dapat memblokir paling lama {duration_text(allowed)}; "
                          "lebih lama dari itu diputuskan supervisor.", "duration")  # fmt: skip
        proposal = await tx.blocks.pending_proposal(phone)
        if proposal is not None:
            await tx.blocks.decide(proposal.id, "blocked", actor.id, actor.name)
        await _block(tx, app, phone, level, hours, reason, actor)
    app.wake()


async def unblock_number(app: DispatchApp, args: str, actor: Actor, *, update_id: int | None) -> None:
    """/bukablokir <telepon> [alasan]"""
    parts = args.split(maxsplit=1)
    phone = phone_for_block(parts[0] if parts else "")
    try:
        reason = (
            clean_optional(parts[1] if len(parts) > 1 else None, "Alasan", MAX_REASON) or "dibuka petugas"
        )
    except FieldError as exc:
        raise Refused(exc.message, "field") from None
    async with app.store.transaction(app.clock(), update_id) as tx:
        active = await tx.blocks.active(phone)
        if not active:
            raise Refused(f"{mask_phone(phone)} tidak sedang diblokir.", "not_blocked")
        for block in active:
            await tx.blocks.lift(block.id, actor.id, actor.name, reason)
            await tx.events.add("unblocked", actor.channel, actor_id=actor.id, actor_name=actor.name,
                                phone=block.phone_masked, block_id=block.id, reason=reason)  # fmt: skip
        await reply(tx, actor.chat_id, f"✅ Blokir {esc(mask_phone(phone))} dibuka: {esc(reason)}.")
    app.wake()


async def list_blocks(app: DispatchApp, actor: Actor, *, update_id: int | None) -> None:
    """/blokir alone: the active blocks, masked."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        active = await tx.blocks.active()
        if not active:
            text = "Tidak ada nomor yang sedang diblokir."
        else:
            lines = [f"⛔ <b>Nomor diblokir</b> ({len(active)}):"]
            for b in active:
                lines.append(f"• {esc(b.phone_masked)} s.d. {esc(app.local(b.ends_at).strftime('%d/%m %H:%M'))} "
                             f"WIB · tingkat {b.level} · {esc(b.reason)} · oleh {esc(b.blocked_by_name or '-')}")  # fmt: skip
            text = "\n".join(lines)
        await reply(tx, actor.chat_id, text)
    app.wake()


async def decide(app: DispatchApp, proposal_id: int, token: str, choice: str, actor: Actor,
                 *, update_id: int | None) -> str:  # fmt: skip
    """A tap on a proposal's button; returns the short answer for the button's spinner."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        proposal = await tx.blocks.proposal(proposal_id)
        if proposal is None or proposal.token != token:
            raise Refused("Tombol tidak dikenal.", "forged_callback")
        _authorise(app, proposal, actor)
        if proposal.state != "pending":
            raise Refused(f"Usul blokir {proposal.phone_masked} sudah diputuskan.", "decided")
        if choice == "x":
            await tx.blocks.decide(proposal.id, "ignored", actor.id, actor.name)
            await tx.events.add("block_ignored", actor.channel, actor_id=actor.id, actor_name=actor.name,
                                phone=proposal.phone_masked, proposal_id=proposal.id)  # fmt: skip
            await reply(tx, actor.chat_id, f"Usul blokir {esc(proposal.phone_masked)} diabaikan oleh "
                        f"{esc(actor.name)}.")  # fmt: skip
            answer = "Diabaikan."
        else:
            hours = CHOICES.get(choice)
            if hours is None or (
                proposal.audience == "call_taker" and hours != ladder(app).hours(proposal.level)
            ):
                raise Refused("Tombol tidak dikenal.", "forged_callback")
            if await tx.blocks.active(proposal.phone):
                raise Refused(f"{proposal.phone_masked} sudah diblokir.", "already_blocked")
            await tx.blocks.decide(proposal.id, "blocked", actor.id, actor.name)
            await _block(tx, app, proposal.phone, proposal.level, hours, proposal.reason, actor)
            answer = f"Diblokir {duration_text(hours)}."
    app.wake()
    return answer


def _authorise(app: DispatchApp, proposal: ProposalRecord, actor: Actor) -> None:
    if proposal.audience == "supervisor" and not app.is_supervisor(actor.id):
        raise Refused("Hanya supervisor yang memutuskan blokir tingkat ini.", "not_supervisor")
    if not (app.is_call_taker(actor.id) or app.is_supervisor(actor.id)):
        raise Refused("Maaf, Anda tidak terdaftar sebagai petugas 112 Kota Blitar.", "stranger")
