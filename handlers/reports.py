"""/laporan hari|minggu|bulan|tahun [periode] [docx]: the digest or the report document, for supervisors."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.reports.digest import report_on_demand
from handlers.common import Context, actor_of, app_of, args_after_command, guarded


@guarded("supervisor")
async def laporan(update: Update, context: Context) -> None:
    await report_on_demand(
        app_of(context), args_after_command(update), actor_of(update), update_id=update.update_id
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("laporan", laporan))
