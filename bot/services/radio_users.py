"""/radio: which Mumble user speaks for which agency, set from Telegram by an admin. The map's key is a
registered Mumble user name or a certificate hash (40 hex digits; it survives a rename); only users
registered on the server are ever matched (radio_bridge/field.py)."""

from __future__ import annotations

import re

from bot.app import DispatchApp
from bot.services.common import Actor, Refused, esc, reply, staff_chat
from bot.services.groups import roster_change
from bot.services.roster import require_admin

WRONG_CHAT = "Perintah ini hanya dilayani di chat pribadi dengan bot atau di grup call taker / supervisor."
USAGE = "Format: /radio (daftar) · /radio <nama_mumble atau sidik_sertifikat> <kode_instansi> · /radio hapus <nama>"
# Mumble's own default rule for user names, plus the 40-hex-digit certificate hash.
NAME = re.compile(r"^[-=\w\[\]{}()@|.]{1,64}$")


def _key(word: str) -> str:
    key = word.strip()
    if not NAME.fullmatch(key):
        raise Refused(f"Nama Mumble tidak sah: {key[:40] or '(kosong)'}. {USAGE}", "format")
    return key.lower() if re.fullmatch(r"[0-9a-fA-F]{40}", key) else key


async def radio_users(app: DispatchApp, actor: Actor, args: str, *, update_id: int | None) -> None:
    require_admin(app, actor)
    if not staff_chat(app, actor.chat_id):
        raise Refused(WRONG_CHAT, "wrong_chat")  # the map is nobody else's business in an agency group
    parts = args.split()
    if not parts:
        await _list(app, actor, update_id)
        return
    if parts[0].casefold() == "hapus":
        if len(parts) != 2:
            raise Refused(USAGE, "format")
        name = _key(parts[1])
        async with roster_change(app, update_id) as tx:
            if not await tx.roster.remove_mumble(name):
                raise Refused(f"{esc(name)} tidak ada di peta radio. Lihat /radio.", "unknown_radio_user")
            await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                                what="mumble_unmapped", mumble_user=name)  # fmt: skip
            await reply(
                tx, actor.chat_id, f"✅ {esc(name)} dihapus dari peta radio: perintahnya tidak diterima lagi."
            )
        return
    if len(parts) != 2:
        raise Refused(USAGE, "format")
    name, code = _key(parts[0]), parts[1].casefold()
    if code not in app.routing.agencies:
        raise Refused(f"Kode instansi tidak dikenal: {esc(parts[1][:40])}. Lihat /instansi.", "agency")
    async with roster_change(app, update_id) as tx:
        await tx.roster.set_mumble(name, code)
        await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            what="mumble_mapped", mumble_user=name, agency=code)  # fmt: skip
        agency = app.routing.agency_short(code)
        await reply(tx, actor.chat_id, f"✅ Pengguna Mumble <b>{esc(name)}</b> kini melapor untuk {esc(agency)} "
                    "(hanya bila terdaftar di server Mumble).")  # fmt: skip


async def _list(app: DispatchApp, actor: Actor, update_id: int | None) -> None:
    lines = ["📻 <b>Peta radio</b> (pengguna Mumble terdaftar → instansi)"]
    for name, code in sorted(app.roster.mumble.items()):
        lines.append(f"• {esc(name)} → {esc(app.routing.agency_short(code))}")
    if len(lines) == 1:
        lines.append("(kosong) — " + USAGE)
    async with app.store.transaction(app.clock(), update_id) as tx:
        await reply(tx, actor.chat_id, "\n".join(lines))
    app.wake()
