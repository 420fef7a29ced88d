"""What typing "/" shows each audience (setMyCommands per BotCommandScopeChat), republished whenever the
roster changes: call takers, supervisors and admins in their private chats, the call takers' and the
supervisors' groups, and the agency groups. Recomputed from the roster, so a restart republishes it all."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Protocol

from bot.app import DispatchApp
from bot.roster import CALL_TAKERS, SUPERVISORS
from bot.worker import WakeableLoop

log = logging.getLogger(__name__)
Commands = tuple[tuple[str, str], ...]
RETRY = 60.0

CALL_TAKER: Commands = (
    ("baru", "Catat dan kirim kejadian baru"),
    ("aktif", "Kejadian yang masih terbuka"),
    ("lihat", "Riwayat satu kejadian: /lihat nomor"),
    ("tambah", "Tambah instansi: /tambah nomor kode"),
    ("tutup", "Tutup kejadian: /tutup nomor kode"),
    ("batal", "Batalkan kejadian: /batal nomor alasan"),
    ("prank", "Catat panggilan prank"),
    ("ghost", "Catat panggilan ghost"),
    ("info", "Catat panggilan informasi"),
    ("instansi", "Daftar instansi dan keterjangkauannya"),
    ("bantu", "Bantuan dan kode kategori"),
)
SUPERVISOR: Commands = (
    ("aktif", "Kejadian yang masih terbuka"),
    ("lihat", "Riwayat satu kejadian: /lihat nomor"),
    ("laporan", "Laporan: /laporan hari|minggu|bulan|tahun"),
    ("apel", "Apel siaga ke semua grup instansi"),
    ("instansi", "Daftar instansi dan keterjangkauannya"),
    ("petugas", "Daftar petugas dan perannya"),
)
ADMIN: Commands = (
    ("undang", "Undang petugas: /undang petugas|supervisor|admin"),
    ("hubungkan", "Hubungkan grup lewat pemilih grup: /hubungkan kode"),
    ("lepas", "Lepas grup instansi: /lepas kode"),
    ("cabut", "Cabut peran: /cabut id [peran]"),
    ("radio", "Peta radio Mumble: /radio nama kode · /radio hapus nama"),
    ("petugas", "Daftar petugas dan perannya"),
    ("apel", "Apel siaga ke semua grup instansi"),
)
AGENCY_GROUP: Commands = (
    ("daftar", "Admin 112: daftarkan grup ini ke instansinya"),
    ("lepas", "Admin 112: lepas grup ini"),
)


def _merge(*lists: Commands) -> Commands:
    seen: dict[str, str] = {}
    for commands in lists:
        for name, description in commands:
            seen.setdefault(name, description)
    return tuple(seen.items())


def desired_menus(app: DispatchApp) -> dict[int, Commands]:
    roster = app.roster
    menus: dict[int, Commands] = {}
    people = set(roster.people) | roster.root_admins
    for user_id in sorted(people):
        lists = []
        if roster.has(user_id, "call_taker") or roster.has(user_id, "admin"):
            lists.append(CALL_TAKER)
        if roster.has(user_id, "supervisor") or roster.has(user_id, "admin"):
            lists.append(SUPERVISOR)
        if roster.has(user_id, "admin"):
            lists.append(ADMIN)
        if lists:
            menus[user_id] = _merge(*lists)
    for group in roster.groups.values():
        if group.chat_id is None or not group.reachable:
            continue
        if group.key == CALL_TAKERS:
            menus[group.chat_id] = CALL_TAKER
        elif group.key == SUPERVISORS:
            menus[group.chat_id] = SUPERVISOR
        else:
            menus[group.chat_id] = AGENCY_GROUP
    return menus


class MenuPort(Protocol):
    async def set_commands(self, chat_id: int, commands: Commands) -> None: ...

    async def delete_commands(self, chat_id: int) -> None: ...


def digest(commands: Commands) -> str:
    return hashlib.sha256(json.dumps(commands, ensure_ascii=False).encode()).hexdigest()[:16]


class CommandMenu:
    """A small worker: woken with every other worker (app.wake), publishes only what changed. What was
    published is kept in SQLite, so after a restart a menu that should be gone is still withdrawn."""

    def __init__(self, app: DispatchApp, port: MenuPort) -> None:
        self.app = app
        self.port = port
        self.published: dict[int, str] | None = None  # chat -> digest of its menu; read on the first pass
        self._loop = WakeableLoop("command menu")

    def wake(self) -> None:
        self._loop.wake()

    async def run(self) -> None:
        await self._loop.run(self.publish)

    async def publish(self) -> float:
        if self.published is None:
            async with self.app.store.reading(self.app.clock()) as tx:
                self.published = await tx.roster.menus()
        published = self.published
        wanted = desired_menus(self.app)
        delay = 3600.0
        changed: dict[int, str | None] = {}
        for chat_id, commands in wanted.items():
            if published.get(chat_id) == digest(commands):
                continue
            try:
                await self.port.set_commands(chat_id, commands)
                changed[chat_id] = published[chat_id] = digest(commands)
            except Exception as exc:  # e.g. a person who never opened a chat with the bot: retried later
                log.info("setMyCommands for %s failed: %s", chat_id, exc)
                delay = RETRY
        for chat_id in [c for c in published if c not in wanted]:
            try:
                await self.port.delete_commands(chat_id)
                del published[chat_id]
                changed[chat_id] = None
            except Exception as exc:
                log.info("deleteMyCommands for %s failed: %s", chat_id, exc)
                delay = RETRY
        if changed:
            async with self.app.store.transaction(self.app.clock()) as tx:
                for chat_id, value in changed.items():
                    await tx.roster.set_menu(chat_id, value)
        return delay
