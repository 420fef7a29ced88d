"""/prank, /ghost, /info: calls that need no agency, logged in one command."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.services.calls import log_call
from handlers.common import Context, actor_of, app_of, args_after_command, guarded


def _logger(call_type: str) -> object:
    @guarded("call_taker")
    async def run(update: Update, context: Context) -> None:
        await log_call(app_of(context), call_type, args_after_command(update), actor_of(update),
                       update_id=update.update_id)  # fmt: skip

    return run


def register(application: Application) -> None:  # type: ignore[type-arg]
    for command, call_type in (("prank", "prank"), ("ghost", "ghost"), ("info", "informasi")):
        application.add_handler(CommandHandler(command, _logger(call_type)))  # type: ignore[arg-type]
