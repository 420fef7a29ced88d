"""The guided /baru form: category, kecamatan, kelurahan, address, phone, description, pin, summary.

Its state lives in SQLite (drafts), so a restart in the middle of a call loses nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.app import DispatchApp
from bot.services.common import Actor, Refused, esc, reply
from bot.services.incidents import IncidentForm, dispatch_incident, phone_or_refuse
from handlers.common import Context, actor_of, answer, app_of, guarded
from routing.fields import MAX_ADDRESS, MAX_DESCRIPTION, FieldError, clean_text, mask_phone
from storage.uow import Tx

CANCEL = [("✖️ Batal", "g:no")]
PROMPTS = {
    "address": "🏠 Ketik <b>alamat</b> (jalan, nomor, RT/RW, patokan):",
    "phone": "📞 Ketik <b>nomor telepon penelepon</b>, atau <code>-</code> bila tidak ada:",
    "description": "📝 Ketik <b>keterangan</b> singkat kejadian:",
    "pin": "📌 Kirim <b>lokasi (pin)</b> bila ada, atau lewati.",
}


def _grid(buttons: list[tuple[str, str]], width: int = 2) -> list[list[tuple[str, str]]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


async def start(app: DispatchApp, actor: Actor, update_id: int, prefill: dict[str, Any] | None = None,
                within: Callable[[Tx], Awaitable[None]] | None = None) -> None:  # fmt: skip
    """prefill: answers already known (a panic alert: phone, pin, kelurahan); their steps are skipped.
    within: more work for the same transaction (the panic alert taken by this call taker)."""
    categories = [(c.name, f"g:c:{c.code}") for c in app.routing.categories.values() if c.code != "informasi"]
    async with app.store.transaction(app.clock(), update_id) as tx:
        if within is not None:
            await within(tx)
        await tx.drafts.put(actor.id, actor.chat_id, "baru", "category", dict(prefill or {}))
        await reply(
            tx,
            actor.chat_id,
            "🆕 <b>Kejadian baru</b>: pilih kategori." + _prefilled_note(prefill),
            buttons=[*_grid(categories), CANCEL],
        )
    app.wake()


def _prefilled_note(prefill: dict[str, Any] | None) -> str:
    if not prefill or "panic_id" not in prefill:
        return ""
    place = f", kelurahan {esc(prefill['location'])} (perkiraan)" if "location" in prefill else ""
    return (f"\nDari tanda panik P-{prefill['panic_id']}: telepon {esc(prefill.get('phone_shown', '-'))}, "
            f"pin lokasi{place} sudah terisi.")  # fmt: skip


def _kecamatan_buttons(app: DispatchApp) -> list[list[tuple[str, str]]]:
    names = list(app.routing.kecamatan)
    buttons = [(name, f"g:k:{i}") for i, name in enumerate(names)] + [("Luar Kota Blitar", "g:o")]
    return [*_grid(buttons), CANCEL]


def _choice(app: DispatchApp, data: str) -> tuple[str, Any] | None:
    """Decode a form button into (field, value); None for anything that is not one of ours."""
    parts = data.split(":")
    kecamatan = list(app.routing.kecamatan)
    try:
        if parts[1] == "c" and app.routing.category(parts[2]):
            return "category", parts[2]
        if parts[1] == "k":
            return "kecamatan", kecamatan[int(parts[2])]
        if parts[1] == "l":
            return "location", app.routing.kecamatan[kecamatan[int(parts[2])]][int(parts[3])]
        if parts[1] == "n":
            return "location", app.routing.neighbours[int(parts[2])]
        if parts[1] in ("o", "skip", "ok", "no"):
            return parts[1], None
    except (IndexError, ValueError):
        return None
    return None


@guarded("call_taker")
async def on_button(update: Update, context: Context) -> None:
    app = app_of(context)
    actor = actor_of(update)
    query = update.callback_query
    assert query is not None
    choice = _choice(app, query.data or "")
    async with app.store.reading(app.clock()) as tx:
        draft = await tx.drafts.get(actor.id, actor.chat_id)
    if choice is None or draft is None or draft[0] != "baru":
        raise Refused("Formulir ini sudah tidak berlaku. Ketik /baru untuk mulai lagi.", "stale_form")
    field, value = choice
    step, data = draft[1], draft[2]
    if field == "ok" and step == "confirm":
        await _submit(app, actor, data, update.update_id)
        await answer(query, "Dikirim.")
        return
    if field == "no":
        await _save(app, actor, update.update_id, None, {}, "❎ Formulir dibatalkan; tidak ada yang dikirim.")
        await answer(query, "Dibatalkan.")
        return
    await _advance_by_button(app, actor, update.update_id, step, data, field, value)
    await answer(query, "OK")


async def _advance_by_button(app: DispatchApp, actor: Actor, update_id: int, step: str, data: dict[str, Any],
                             field: str, value: Any) -> None:  # fmt: skip
    if field == "category" and step == "category":
        data["category"] = value
        if "location" in data:  # prefilled (panic alert): straight to the address
            await _save(app, actor, update_id, "address", data, PROMPTS["address"], [CANCEL])
            return
        await _save(
            app, actor, update_id, "kecamatan", data, "Pilih <b>kecamatan</b>:", _kecamatan_buttons(app)
        )
    elif field == "kecamatan" and step == "kecamatan":
        index = list(app.routing.kecamatan).index(value)
        kels = [(k, f"g:l:{index}:{i}") for i, k in enumerate(app.routing.kecamatan[value])]
        await _save(app, actor, update_id, "kelurahan", data, f"Kecamatan {esc(value)}: pilih <b>kelurahan</b>:",
                    [*_grid(kels, 3), CANCEL])  # fmt: skip
    elif field == "o" and step == "kecamatan":
        outside = [(n, f"g:n:{i}") for i, n in enumerate(app.routing.neighbours)]
        await _save(
            app,
            actor,
            update_id,
            "kelurahan",
            data,
            "Kecamatan di Kabupaten Blitar:",
            [*_grid(outside), CANCEL],
        )
    elif field == "location" and step == "kelurahan":
        data["location"] = value
        await _save(app, actor, update_id, "address", data, PROMPTS["address"], [CANCEL])
    elif field == "skip" and step == "pin":
        await _confirm(app, actor, update_id, data)
    else:
        raise Refused("Tombol ini bukan untuk langkah sekarang.", "stale_form")


async def on_text(update: Update, context: Context, step: str, data: dict[str, Any]) -> None:
    """A typed answer to the step the form is waiting for."""
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None
    if step == "pin" and message.location is not None:
        data["lat"], data["lon"] = message.location.latitude, message.location.longitude
        await _confirm(app, actor, update.update_id, data)
        return
    text = message.text or ""
    try:
        if step == "address":
            data["address"] = clean_text(text, "Alamat", MAX_ADDRESS)
            if "phone" in data:  # prefilled (panic alert)
                await _save(
                    app, actor, update.update_id, "description", data, PROMPTS["description"], [CANCEL]
                )
                return
            await _save(app, actor, update.update_id, "phone", data, PROMPTS["phone"], [CANCEL])
        elif step == "phone":
            phone_or_refuse(text)
            data["phone"] = text.strip()
            await _save(app, actor, update.update_id, "description", data, PROMPTS["description"], [CANCEL])
        elif step == "description":
            data["description"] = clean_text(text, "Keterangan", MAX_DESCRIPTION)
            if "lat" in data:  # the pin is already there (panic alert)
                await _confirm(app, actor, update.update_id, data)
                return
            await _save(
                app, actor, update.update_id, "pin", data, PROMPTS["pin"], [[("Lewati", "g:skip")], CANCEL]
            )
        elif step == "pin" and text.strip() == "-":
            await _confirm(app, actor, update.update_id, data)
        else:
            raise Refused(
                "Gunakan tombol pada pesan terakhir, atau ketik /batal_form untuk membatalkan.", "stale_form"
            )
    except FieldError as exc:
        raise Refused(exc.message, "field") from None


async def _confirm(app: DispatchApp, actor: Actor, update_id: int, data: dict[str, Any]) -> None:
    category = app.routing.category(str(data["category"]))
    pin = "ada" if "lat" in data else "tidak ada"
    # Masked as on the cards: the summary stays in the chat (and in the outbox until sent).
    phone = mask_phone(phone_or_refuse(str(data["phone"])))
    summary = (
        "📋 <b>Periksa lalu kirim</b>\n"
        f"Kategori: {esc(category.name if category else data['category'])}\n"
        f"Lokasi: {esc(data['location'])}\nAlamat: {esc(data['address'])}\n"
        f"Telepon: {esc(phone)}\nKeterangan: {esc(data['description'])}\nPin lokasi: {pin}"
    )
    await _save(
        app, actor, update_id, "confirm", data, summary, [[("✅ Kirim", "g:ok"), ("✖️ Batal", "g:no")]]
    )


async def _save(app: DispatchApp, actor: Actor, update_id: int, step: str | None, data: dict[str, Any],
                prompt: str, buttons: list[list[tuple[str, str]]] | None = None) -> None:  # fmt: skip
    async with app.store.transaction(app.clock(), update_id) as tx:
        if step is None:
            await tx.drafts.delete(actor.id, actor.chat_id)
        else:
            await tx.drafts.put(actor.id, actor.chat_id, "baru", step, data)
        await reply(tx, actor.chat_id, prompt, buttons=buttons)
    app.wake()


async def _submit(app: DispatchApp, actor: Actor, data: dict[str, Any], update_id: int) -> None:
    form = IncidentForm(
        category=str(data["category"]), location=str(data["location"]), address=str(data["address"]),
        phone=str(data["phone"]), description=str(data["description"]), lat=data.get("lat"), lon=data.get("lon"),
    )  # fmt: skip
    await dispatch_incident(app, form, actor, update_id=update_id, draft_done=True)


@guarded("call_taker")
async def batal_form(update: Update, context: Context) -> None:
    """/batal_form: the typed way out of the form (its refusals point here)."""
    app = app_of(context)
    actor = actor_of(update)
    async with app.store.reading(app.clock()) as tx:
        draft = await tx.drafts.get(actor.id, actor.chat_id)
    if draft is None or draft[0] != "baru":
        raise Refused("Tidak ada formulir /baru yang sedang diisi.", "no_form")
    await _save(app, actor, update.update_id, None, {}, "❎ Formulir dibatalkan; tidak ada yang dikirim.")


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^g:"))
    application.add_handler(CommandHandler("batal_form", batal_form))
