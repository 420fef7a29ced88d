"""Calls that need no agency: prank, ghost (silent) and information requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.app import DispatchApp
from bot.services.blocks import history_line, maybe_propose
from bot.services.common import Actor, Refused, esc, reply
from bot.services.incidents import phone_or_refuse
from routing.fields import MAX_NOTE, FieldError, clean_text, mask_phone, normalise_phone
from storage.uow import Tx

LABELS = {"prank": "prank", "ghost": "ghost (diam)", "informasi": "informasi"}


def _leading_phone(text: str) -> tuple[str | None, str]:
    """/info may start with the caller's number: '/info 081234567890 jadwal SIM keliling'."""
    first, _, rest = text.strip().partition(" ")
    if first[:1] in "+0123456789" and first.lstrip("+").isdigit() and rest.strip():
        try:
            return normalise_phone(first), rest
        except FieldError:
            return None, text
    return None, text


async def log_call(
    app: DispatchApp, call_type: str, argument: str, actor: Actor, *, update_id: int | None,
    within: Callable[[Tx], Awaitable[None]] | None = None,
) -> None:  # fmt: skip
    """within: more work for the same transaction (a panic alert marked prank), run before the call row."""
    phone: str | None = None
    note: str | None = None
    if call_type == "informasi":
        phone, argument = _leading_phone(argument)
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
        history = await history_line(tx, app, phone)
        await tx.calls.add(
            call_type, category="informasi" if call_type == "informasi" else None, phone=phone,
            phone_masked=masked, note=note, call_taker_id=actor.id,
        )  # fmt: skip
        await tx.events.add("call_logged", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            type=call_type, phone=masked)  # fmt: skip
        text = f"{history}📝 Tercatat: panggilan {LABELS[call_type]}"
        text += f" dari {esc(masked)}." if masked else "."
        await reply(tx, actor.chat_id, text)
        if phone and call_type in ("prank", "ghost"):
            await maybe_propose(tx, app, phone, actor)
    app.wake()
