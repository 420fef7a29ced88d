"""Setting the centre up from Telegram: binding groups, inviting people, revoking roles. Every change is
one audited transaction and takes effect at once (the in-memory roster is rebuilt after the commit)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from bot.app import DispatchApp
from bot.roster import CALL_TAKERS, GROUP_WORDS, ROLE_LABELS, ROLE_WORDS, SUPERVISORS, agency_key
from bot.services.common import Actor, Refused, esc, reply
from bot.services.groups import group_label, phone_notice, repost_open_cards, roster_change
from bot.services.rollcall import chunks

INVITE_TTL = 24 * 3600
NOT_ADMIN = "Perintah ini hanya untuk admin 112."
CARD_HELP = (
    "Setiap kejadian muncul di sini sebagai kartu: nomor, kategori, kelurahan, alamat, keterangan, nomor "
    "pelapor tersamar dan jam WIB. Tekan tombolnya sesuai keadaan: <b>Terima</b> → <b>Berangkat</b> → "
    "<b>Tiba</b> → <b>Selesai</b>. <b>Tolak</b> meminta alasan sebagai balasan pesan bot. Setiap tombol "
    "langsung diteruskan ke call taker. Bot tidak membaca obrolan biasa di grup ini (mode privasi)."
)


@dataclass(frozen=True, slots=True)
class Enrolled:
    role: str
    admin_id: int


def require_admin(app: DispatchApp, actor: Actor) -> None:
    if not app.is_admin(actor.id):
        raise Refused(NOT_ADMIN, "not_admin")


def group_key(app: DispatchApp, word: str) -> str:
    text = word.strip().casefold()
    if text in GROUP_WORDS:
        return GROUP_WORDS[text]
    if text in app.routing.agencies:
        return agency_key(text)
    codes = ", ".join(sorted(app.routing.agencies))
    raise Refused(f"Kode instansi tidak dikenal: {word.strip()[:40] or '(kosong)'}. Pilihan: petugas, "
                  f"supervisor, {codes}.", "agency")  # fmt: skip


def welcome(app: DispatchApp, key: str) -> str:
    label = esc(group_label(app, key))
    if key == CALL_TAKERS:
        return (f"✅ Grup ini terdaftar sebagai <b>{label}</b> 112 Kota Blitar. Konfirmasi, tombol instansi "
                "dan peringatan untuk call taker muncul di sini; perintah /baru dan lainnya bisa diketik di sini.")  # fmt: skip
    if key == SUPERVISORS:
        return (f"✅ Grup ini terdaftar sebagai <b>{label}</b> 112 Kota Blitar: ringkasan harian, laporan, "
                "eskalasi, hasil apel siaga dan peringatan grup yang tidak terjangkau dikirim ke sini.")  # fmt: skip
    return (
        f"✅ Grup ini terdaftar sebagai grup <b>{label}</b> di 112 Dispatch Bridge Kota Blitar.\n{CARD_HELP}"
    )


async def bind_group(app: DispatchApp, actor: Actor, word: str, chat_id: int, title: str | None, *,
                     update_id: int | None, chat_request: int | None = None) -> str:  # fmt: skip
    """/daftar in the group, or (chat_request) the group picked after /hubungkan; word is then unused."""
    require_admin(app, actor)
    key = group_key(app, word) if chat_request is None else ""
    via = "daftar" if chat_request is None else "hubungkan"
    async with roster_change(app, update_id) as tx:
        if chat_request is not None:
            taken = await tx.roster.take_chat_request(chat_request, actor.id)
            if taken is None:
                raise Refused("Pilihan grup ini tidak diminta oleh bot (atau sudah dipakai). Ketik /hubungkan "
                              "lagi.", "forged_chat_shared")  # fmt: skip
            key = taken
        current = await tx.roster.group_of_chat(chat_id)
        if current is not None and current.key != key:
            other = current.key.removeprefix("agency:")
            raise Refused(f"Grup ini sudah terdaftar sebagai {group_label(app, current.key)}. "
                          f"Ketik /lepas {other} dulu.", "already_bound")  # fmt: skip
        previous = await tx.roster.group(key)
        await tx.roster.bind(key, chat_id, title)
        await tx.roster.drop_unbound(chat_id)
        reposted = 0
        if key.startswith("agency:"):
            reposted = await repost_open_cards(tx, app, key.removeprefix("agency:"), chat_id)
        await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            what="group_bound", key=key, chat_id=chat_id, title=title, via=via,
                            previous_chat=previous.chat_id if previous else None, reposted=reposted)  # fmt: skip
        await reply(tx, chat_id, welcome(app, key))
        if actor.chat_id != chat_id:
            await reply(
                tx,
                actor.chat_id,
                f"✅ {esc(title or chat_id)} terdaftar sebagai {esc(group_label(app, key))}.",
            )
    return key


async def request_chat(app: DispatchApp, actor: Actor, key: str, *, update_id: int | None) -> tuple[int, str]:
    """/hubungkan: remember the request_id we issue, so only our own chat picker can bind a group."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        request_id = await tx.roster.add_chat_request(key, actor.id)
        await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            what="chat_requested", key=key, request_id=request_id)  # fmt: skip
    label = esc(group_label(app, key))
    return (
        request_id,
        f"Tekan <b>Pilih grup</b> di bawah lalu pilih grup {label}. Bot harus sudah menjadi anggota grup itu.",
    )


async def unbind_group(app: DispatchApp, actor: Actor, word: str, *, update_id: int | None) -> None:
    require_admin(app, actor)
    key = group_key(app, word)
    async with roster_change(app, update_id) as tx:
        group = await tx.roster.group(key)
        if group is None or group.chat_id is None:
            raise Refused(f"{group_label(app, key)} belum terdaftar ke grup mana pun.", "not_bound")
        await tx.roster.unbind(key)
        if key.startswith("agency:"):
            agency = key.removeprefix("agency:")
            await tx.roster.detach_agency(agency)
            # Cards still waiting for the old group would land in a group nobody watches for us: phone.
            cards = [
                r for r in await tx.roster.pending_for_chat(group.chat_id) if r[1] in ("card", "card_repeat")
            ]
            await tx.roster.drop_pending([r[0] for r in cards], "unbound")
            for assignment_id in dict.fromkeys(r[3] for r in cards if r[3] is not None):
                await phone_notice(tx, app, agency, assignment_id)
        await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            what="group_unbound", key=key, chat_id=group.chat_id)  # fmt: skip
        await reply(tx, actor.chat_id, f"✅ {esc(group_label(app, key))} dilepas dari grup "
                    f"{esc(group.title or group.chat_id)}. Kartu berikutnya lewat telepon.")  # fmt: skip
        if actor.chat_id != group.chat_id:
            await reply(
                tx, group.chat_id, f"ℹ️ Grup ini tidak lagi terdaftar sebagai {esc(group_label(app, key))}."
            )


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def create_invite(app: DispatchApp, actor: Actor, role_word: str, *, update_id: int | None) -> str:
    require_admin(app, actor)
    role = ROLE_WORDS.get(role_word.strip().casefold())
    if role is None:
        raise Refused("Format: /undang petugas | supervisor | admin", "format")
    if actor.chat_id != actor.id:
        raise Refused("Ketik /undang di chat pribadi dengan bot: tautannya rahasia.", "not_private")
    code = secrets.token_urlsafe(18)  # 24 characters from [A-Za-z0-9_-]: what a deep-link payload allows
    link = f"https://t.me/{app.bot_username}?start={code}"
    async with app.store.transaction(app.clock(), update_id) as tx:
        await tx.roster.add_invite(code_hash(code), role, actor.id, tx.now + INVITE_TTL)
        await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            what="invite_created", role=role)  # fmt: skip
        await reply(tx, actor.chat_id, f"🔗 Undangan sebagai <b>{ROLE_LABELS[role]}</b>, berlaku 24 jam dan "
                    f"hanya sekali pakai:\n{esc(link)}\nKirim tautan ini ke orangnya saja.")  # fmt: skip
    app.wake()
    return link


async def enroll(app: DispatchApp, actor: Actor, code: str, username: str | None, *,
                 update_id: int | None) -> Enrolled:  # fmt: skip
    """/start <code>: the person is enrolled with the invite's role, once, within 24 hours."""
    digest = code_hash(code.strip())
    async with roster_change(app, update_id) as tx:
        invite = await tx.roster.invite(digest)
        if invite is None:
            raise Refused("Kode undangan tidak dikenal. Minta tautan baru ke admin 112.", "invite_invalid")
        if invite.used_at is not None:
            raise Refused("Undangan ini sudah dipakai. Minta tautan baru ke admin 112.", "invite_used")
        if invite.expires_at <= tx.now:
            raise Refused("Undangan ini sudah kedaluwarsa (24 jam). Minta tautan baru ke admin 112.",
                          "invite_expired")  # fmt: skip
        if not await tx.roster.use_invite(digest, actor.id):
            raise Refused("Undangan ini sudah dipakai. Minta tautan baru ke admin 112.", "invite_used")
        await tx.roster.add_person(actor.id, invite.role, actor.name, username, invite.created_by)
        label = ROLE_LABELS[invite.role]
        await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            what="person_enrolled", role=invite.role, user_id=actor.id, invited_by=invite.created_by)  # fmt: skip
        await reply(tx, actor.chat_id, f"✅ Selamat datang, {esc(actor.name)}. Anda terdaftar sebagai "
                    f"<b>{label}</b> 112 Kota Blitar. Ketik / untuk melihat perintah Anda, atau /bantu.")  # fmt: skip
        handle = f" @{esc(username)}" if username else ""
        await reply(tx, invite.created_by, f"ℹ️ {esc(actor.name)}{handle} (id {actor.id}) memakai undangan "
                    f"Anda dan kini terdaftar sebagai <b>{label}</b>.")  # fmt: skip
    return Enrolled(invite.role, invite.created_by)


async def list_people(app: DispatchApp, actor: Actor, *, update_id: int | None) -> None:
    if not (app.is_admin(actor.id) or app.is_supervisor(actor.id)):
        raise Refused("Perintah ini untuk admin dan supervisor 112.", "not_admin")
    lines = ["👥 <b>Petugas 112</b>"]
    roster = app.roster
    ids = sorted(set(roster.people) | roster.root_admins)
    for user_id in ids:
        person = roster.people.get(user_id)
        roles = set(person.roles) if person else set()
        if user_id in roster.root_admins:
            roles.add("admin")
        names = ", ".join(ROLE_LABELS[r] for r in ("call_taker", "supervisor", "admin") if r in roles)
        who = esc(person.name) if person and person.name else "(nama belum diketahui)"
        handle = f" @{esc(person.username)}" if person and person.username else ""
        fixed = " · admin dari pengaturan" if user_id in roster.root_admins else ""
        lines.append(f"• {who}{handle} — id <code>{user_id}</code>: {names}{fixed}")
    if len(ids) == 0:
        lines.append("(belum ada)")
    async with app.store.transaction(app.clock(), update_id) as tx:
        for chunk in chunks(lines):
            await reply(tx, actor.chat_id, chunk)
    app.wake()


async def revoke(app: DispatchApp, actor: Actor, args: str, *, update_id: int | None) -> list[str]:
    """/cabut <id atau @username> [peran]: without a role, every role of that person."""
    require_admin(app, actor)
    parts = args.split()
    if not parts:
        raise Refused("Format: /cabut <id atau @username> [petugas|supervisor|admin]", "format")
    role = ROLE_WORDS.get(parts[1].casefold()) if len(parts) > 1 else None
    if len(parts) > 1 and role is None:
        raise Refused("Peran tidak dikenal. Pilihan: petugas, supervisor, admin.", "format")
    async with roster_change(app, update_id) as tx:
        who = parts[0]
        user_id = int(who) if who.lstrip("-").isdigit() else await tx.roster.user_by_username(who.lstrip("@"))
        if user_id is None:
            raise Refused(f"Tidak ada petugas {who[:40]} di daftar. Lihat /petugas.", "unknown_person")
        if user_id in app.roster.root_admins and role in (None, "admin"):
            raise Refused("Admin dari berkas pengaturan tidak bisa dicabut dari Telegram.", "root_admin")
        removed = await tx.roster.remove_person(user_id, role)
        if not removed:
            raise Refused(f"{who[:40]} tidak memegang peran itu.", "unknown_person")
        await tx.events.add("roster_changed", actor.channel, actor_id=actor.id, actor_name=actor.name,
                            what="role_revoked", user_id=user_id, roles=removed)  # fmt: skip
        labels = ", ".join(ROLE_LABELS[r] for r in removed)
        await reply(tx, actor.chat_id, f"✅ Peran {labels} dicabut dari id {user_id}.")
    return removed
