"""/tambah, /tutup, /batal: changing an incident after dispatch."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.services.common import Refused
from bot.services.manage import add_agency, end_incident
from handlers.common import Context, actor_of, app_of, args_after_command, guarded
from routing.incident import parse_number
from routing.model import IncidentState


def number_and_rest(update: Update, usage: str) -> tuple[int, str]:
    parts = args_after_command(update).split(maxsplit=1)
    number = parse_number(parts[0]) if parts else None
    if number is None:
        raise Refused(f"Nomor kejadian tidak valid. Format: {usage}", "format")
    rest = parts[1] if len(parts) > 1 else ""
    if not rest.strip():
        raise Refused(f"Bagian kedua kosong. Format: {usage}", "format")
    return number, rest


@guarded("call_taker")
async def tambah(update: Update, context: Context) -> None:
    number, agency = number_and_rest(update, "/tambah <nomor> <kode_instansi>")
    await add_agency(app_of(context), number, agency, actor_of(update), update_id=update.update_id)


@guarded("call_taker")
async def tutup(update: Update, context: Context) -> None:
    number, code = number_and_rest(update, "/tutup <nomor> <kode>")
    await end_incident(app_of(context), number, IncidentState.CLOSED, code, actor_of(update),
                       update_id=update.update_id)  # fmt: skip


@guarded("call_taker")
async def batal(update: Update, context: Context) -> None:
    number, reason = number_and_rest(update, "/batal <nomor> <alasan>")
    await end_incident(app_of(context), number, IncidentState.CANCELLED, reason, actor_of(update),
                       update_id=update.update_id)  # fmt: skip


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("tambah", tambah))
    application.add_handler(CommandHandler("tutup", tutup))
    application.add_handler(CommandHandler("batal", batal))
