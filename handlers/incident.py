"""/baru: one line dispatches at once; without arguments it starts the guided form."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.services.common import Refused
from bot.services.incidents import IncidentForm, dispatch_incident
from handlers import guided
from handlers.common import Context, actor_of, app_of, args_after_command, guarded

USAGE = (
    "Format: <code>/baru kategori | kelurahan | alamat | telepon | keterangan</code>\n"
    "Contoh: <code>/baru kebakaran | Sentul | Jl. Kenari 17 | 081234567890 | Rumah terbakar</code>\n"
    "Telepon boleh <code>-</code> bila tidak ada. Atau ketik <code>/baru</code> saja untuk formulir bertahap."
)
MAX_LINE = 2000


def parse_line(text: str) -> IncidentForm:
    if len(text) > MAX_LINE:
        raise Refused(f"Pesan terlalu panjang (maksimal {MAX_LINE} karakter).\n{USAGE}", "too_long")
    fields = [part.strip() for part in text.split("|")]
    if len(fields) != 5:
        raise Refused(f"Perlu 5 bagian dipisah '|', ada {len(fields)}.\n{USAGE}", "format")
    category, location, address, phone, description = fields
    return IncidentForm(category, location, address, phone, description)


@guarded("call_taker")
async def baru(update: Update, context: Context) -> None:
    app = app_of(context)
    text = args_after_command(update)
    if not text.strip():
        await guided.start(app, actor_of(update), update.update_id)
        return
    await dispatch_incident(app, parse_line(text), actor_of(update), update_id=update.update_id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("baru", baru))
