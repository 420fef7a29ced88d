"""The buttons on a panic alert: Tindak lanjuti (the guided /baru, prefilled) / Prank / Ghost.

Only call takers; the first tap wins, a second one (or a forged one) changes nothing and is audited."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.services import panic
from bot.services.calls import log_call
from bot.services.common import Refused
from handlers import guided
from handlers.common import Context, actor_of, answer, app_of, guarded


@guarded("call_taker")
async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    parsed = panic.parse_callback(query.data or "")
    if parsed is None:
        raise Refused("Tombol tidak dikenal.", "forged_callback")
    state, alert_id, token = parsed
    app = app_of(context)
    actor = actor_of(update)
    alert = await panic.open_alert(app, alert_id, token)
    await panic.settle_messages(app, alert.id)
    take = panic.claim(app, alert, state, actor)
    if state == "followed":
        await guided.start(app, actor, update.update_id, prefill=panic.prefill(alert), within=take)
        await answer(query, f"P-{alert.id}: isi formulir kejadian.")
        return
    await log_call(app, state, alert.phone or "-", actor, update_id=update.update_id, within=take)
    await answer(query, f"P-{alert.id} dicatat sebagai {state}.")


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^panic:"))
