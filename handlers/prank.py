"""/blokir, /bukablokir and the block proposal's buttons (Blokir 24 jam / Abaikan)."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.services.blocks import block_number, decide, list_blocks, unblock_number
from bot.services.common import Refused
from handlers.common import Context, actor_of, answer, app_of, args_after_command, guarded

_CALLBACK = re.compile(r"^pb:(\d{1,12}):([0-9a-f]{8}):(d1|d3|d7|d30|x)$")


@guarded("supervisor")  # call takers and supervisors; the ladder decides who may block how long
async def blokir(update: Update, context: Context) -> None:
    args = args_after_command(update)
    if not args.strip():
        await list_blocks(app_of(context), actor_of(update), update_id=update.update_id)
        return
    await block_number(app_of(context), args, actor_of(update), update_id=update.update_id)


@guarded("supervisor")
async def bukablokir(update: Update, context: Context) -> None:
    await unblock_number(
        app_of(context), args_after_command(update), actor_of(update), update_id=update.update_id
    )


@guarded("supervisor")
async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    match = _CALLBACK.match(query.data or "")
    if match is None:
        raise Refused("Tombol tidak dikenal.", "forged_callback")
    text = await decide(app_of(context), int(match[1]), match[2], match[3], actor_of(update),
                        update_id=update.update_id)  # fmt: skip
    await answer(query, text)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("blokir", blokir))
    application.add_handler(CommandHandler("bukablokir", bukablokir))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^pb:"))
