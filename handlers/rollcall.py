"""/apel (roll-call), its Siap button, and /instansi (the agency overview)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.services.rollcall import agency_overview, answer_rollcall, start_rollcall
from handlers.common import Context, actor_of, answer, app_of, guarded


@guarded("anyone")
async def apel(update: Update, context: Context) -> None:
    await start_rollcall(app_of(context), actor_of(update), update_id=update.update_id)


@guarded("anyone")
async def instansi(update: Update, context: Context) -> None:
    await agency_overview(app_of(context), actor_of(update), update_id=update.update_id)


@guarded("anyone")
async def siap(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _, rollcall, token = (query.data or "").split(":")  # the handler's pattern guarantees the shape
    recorded = await answer_rollcall(app_of(context), int(rollcall), token, actor_of(update),
                                     update_id=update.update_id)  # fmt: skip
    await answer(query, "Siap tercatat. Terima kasih." if recorded else "Grup ini sudah menjawab apel ini.")


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("apel", apel))
    application.add_handler(CommandHandler("instansi", instansi))
    application.add_handler(CallbackQueryHandler(siap, pattern=r"^r:\d+:[0-9a-f]{8}$"))
