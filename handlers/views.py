"""/aktif, /lihat, /start, /bantu."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.services.common import Refused, reply
from bot.services.views import active, timeline
from handlers.common import Context, actor_of, app_of, args_after_command, guarded
from routing.incident import parse_number

HELP = """<b>112 Dispatch Bridge</b> — perintah call taker:
/baru — formulir kejadian bertahap
/baru kategori | kelurahan | alamat | telepon | keterangan — kirim langsung
/prank [telepon] · /ghost [telepon] · /info ringkasan — catat panggilan
/aktif — kejadian aktif · /lihat nomor — riwayat kejadian
/tambah nomor kode_instansi · /tutup nomor kode · /batal nomor alasan
/blokir [telepon [durasi] [alasan]] · /bukablokir telepon [alasan] — nomor prank
/serahkan nomor [catatan] — serahkan ke 112 Kabupaten Blitar
/batal_form — batalkan formulir /baru yang sedang diisi"""


@guarded("supervisor")
async def aktif(update: Update, context: Context) -> None:
    await active(app_of(context), actor_of(update), update_id=update.update_id)


@guarded("supervisor")
async def lihat(update: Update, context: Context) -> None:
    number = parse_number(args_after_command(update).strip())
    if number is None:
        raise Refused("Format: /lihat <nomor>, mis. /lihat 42", "format")
    await timeline(app_of(context), number, actor_of(update), update_id=update.update_id)


@guarded("supervisor")
async def bantu(update: Update, context: Context) -> None:
    app = app_of(context)
    actor = actor_of(update)
    categories = ", ".join(c for c in app.routing.categories if c != "informasi")
    async with app.store.transaction(app.clock(), update.update_id) as tx:
        await reply(tx, actor.chat_id, f"{HELP}\n\nKategori: <code>{categories}</code>")
    app.wake()


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("aktif", aktif))
    application.add_handler(CommandHandler("lihat", lihat))
    application.add_handler(CommandHandler(["bantu", "start", "help"], bantu))
