"""Calls that need no agency: prank, ghost (silent) and information requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.app import DispatchApp
from bot.services.common import Actor, Refused, esc, reply
from bot.services.incidents import phone_or_refuse
from routing.fields import MAX_NOTE, FieldError, clean_text, mask_phone
from storage.uow import Tx

LABELS = {"prank": "prank", "ghost": "ghost (diam)", "informasi": "informasi"}
REPEAT_WINDOW_DAYS = 30


async def log_call(
    app: DispatchApp, call_type: str, argument: str, actor: Actor, *, update_id: int | None,
    within: Callable[[Tx], Awaitable[None]] | None = None,
) -> None:  # fmt: skip
    """within: more work for the same transaction (a panic alert marked prank), run before the call row."""
    phone: str | None = None
    note: str | None = None
    if call_type == "informasi":
        try:
            note = clean_text(argument, "Ringkasan", MAX_NOTE)
        except FieldError as exc:
            raise Refused(exc.message + " Format: /info <ringkasan>", "field") from None
    else:
        phone = phone_or_refuse(argument)
    masked = mask_phone(phone) if phone else None
    now = app.clock()
    async with app.store.transaction(now, update_id) as tx:
        if within is not None:
            await within(tx)
        repeats = 0
        if phone:
            since = now - REPEAT_WINDOW_DAYS * 86400
            repeats = await tx.calls.count_from_phone(phone, ("prank", "ghost"), since)
        await tx.calls.add(
            call_type, category="informasi" if call_type == "informasi" else None, phone=phone,
            phone_masked=masked, note=note, call_taker_id=actor.id,
        )  # fmt: skip
        await tx.events.add("call_logged", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            type=call_type, phone=masked)  # fmt: skip
        text = f"📝 Tercatat: panggilan {LABELS[call_type]}"
        text += f" dari {esc(masked)}." if masked else "."
        if repeats:
            text += (
                f"\n⚠️ Nomor ini sudah {repeats} kali prank/ghost dalam {REPEAT_WINDOW_DAYS} hari terakhir."
            )
        await reply(tx, actor.chat_id, text)
    app.wake()
