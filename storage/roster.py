"""The roster's SQL: group bindings, people and roles, Mumble users, invites, roll-calls."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.connection import Connection
from storage.roster_cards import GroupCardsSql
from storage.roster_rollcall import AnswerRow, RollcallSql

__all__ = ["AnswerRow", "GroupRow", "InviteRow", "PersonRow", "RosterRepo"]


@dataclass(frozen=True, slots=True)
class GroupRow:
    key: str
    chat_id: int | None
    title: str | None
    mumble_channel: str | None
    phone: str | None
    reachable: bool
    unreachable_reason: str | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    user_id: int
    role: str
    name: str | None
    username: str | None


@dataclass(frozen=True, slots=True)
class InviteRow:
    role: str
    created_by: int
    expires_at: float
    used_at: float | None


class RosterRepo(GroupCardsSql, RollcallSql):
    """Groups, people, Mumble users, seeding, invites, chat requests, unbound groups; with the group's
    cards and outbox rows (storage/roster_cards.py) and roll-calls and menus (storage/roster_rollcall.py)."""

    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    # -- groups -------------------------------------------------------------------------------

    async def groups(self) -> list[GroupRow]:
        async with self.db.execute("SELECT * FROM roster_groups ORDER BY key") as c:
            return [_group(r) for r in await c.fetchall()]

    async def group(self, key: str) -> GroupRow | None:
        async with self.db.execute("SELECT * FROM roster_groups WHERE key = ?", (key,)) as c:
            row = await c.fetchone()
        return _group(row) if row else None

    async def group_of_chat(self, chat_id: int) -> GroupRow | None:
        async with self.db.execute("SELECT * FROM roster_groups WHERE chat_id = ?", (chat_id,)) as c:
            row = await c.fetchone()
        return _group(row) if row else None

    async def ensure_group(
        self, key: str, *, mumble_channel: str | None = None, phone: str | None = None
    ) -> None:
        await self.db.execute(
            "INSERT INTO roster_groups (key, mumble_channel, phone, changed_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET mumble_channel = COALESCE(excluded.mumble_channel, roster_groups.mumble_channel),"
            " phone = COALESCE(excluded.phone, roster_groups.phone)",
            (key, mumble_channel, phone, self.now),
        )

    async def bind(self, key: str, chat_id: int, title: str | None) -> None:
        """One chat serves one purpose: binding it here releases it from any other key."""
        await self.db.execute(
            "UPDATE roster_groups SET chat_id = NULL, changed_at = ? WHERE chat_id = ? AND key <> ?",
            (self.now, chat_id, key),
        )
        await self.ensure_group(key)
        await self.db.execute(
            "UPDATE roster_groups SET chat_id = ?, title = COALESCE(?, title), reachable = 1,"
            " unreachable_reason = NULL, changed_at = ? WHERE key = ?",
            (chat_id, title, self.now, key),
        )

    async def unbind(self, key: str) -> None:
        await self.db.execute(
            "UPDATE roster_groups SET chat_id = NULL, reachable = 1, unreachable_reason = NULL, changed_at = ?"
            " WHERE key = ?",
            (self.now, key),
        )

    async def set_reachable(self, key: str, reachable: bool, reason: str | None) -> bool:
        """True when this changed the flag (so an alert goes out once per change)."""
        cur = await self.db.execute(
            "UPDATE roster_groups SET reachable = ?, unreachable_reason = ?, changed_at = ?"
            " WHERE key = ? AND reachable <> ?",
            (int(reachable), reason, self.now, key, int(reachable)),
        )
        return cur.rowcount > 0

    # -- people -------------------------------------------------------------------------------

    async def people(self) -> list[PersonRow]:
        async with self.db.execute("SELECT * FROM roster_people ORDER BY user_id, role") as c:
            return [PersonRow(r["user_id"], r["role"], r["name"], r["username"]) for r in await c.fetchall()]

    async def add_person(self, user_id: int, role: str, name: str | None, username: str | None,
                         added_by: int | None) -> None:  # fmt: skip
        await self.db.execute(
            "INSERT INTO roster_people (user_id, role, name, username, added_at, added_by)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_id, role) DO UPDATE SET"
            " name = COALESCE(excluded.name, roster_people.name), username = COALESCE(excluded.username, roster_people.username)",
            (user_id, role, name, username, self.now, added_by),
        )

    async def remove_person(self, user_id: int, role: str | None) -> list[str]:
        sql = (
            "DELETE FROM roster_people WHERE user_id = ?"
            + (" AND role = ?" if role else "")
            + " RETURNING role"
        )
        args: tuple[object, ...] = (user_id, role) if role else (user_id,)
        async with self.db.execute(sql, args) as c:
            return sorted(str(r[0]) for r in await c.fetchall())

    async def user_by_username(self, username: str) -> int | None:
        async with self.db.execute(
            "SELECT user_id FROM roster_people WHERE lower(username) = lower(?) LIMIT 1", (username,)
        ) as c:
            row = await c.fetchone()
        return int(row[0]) if row else None

    # -- mumble and seeding -------------------------------------------------------------------

    async def mumble(self) -> dict[str, str]:
        async with self.db.execute("SELECT name, agency FROM roster_mumble") as c:
            return {str(r[0]): str(r[1]) for r in await c.fetchall()}

    async def set_mumble(self, name: str, agency: str) -> None:
        await self.db.execute(
            "INSERT INTO roster_mumble (name, agency) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET agency = excluded.agency",
            (name, agency),
        )

    async def remove_mumble(self, name: str) -> bool:
        cur = await self.db.execute("DELETE FROM roster_mumble WHERE name = ?", (name,))
        return cur.rowcount > 0

    async def seed_once(self, item: str) -> bool:
        """True the first time this settings entry is seen: apply it. Later starts leave it alone."""
        cur = await self.db.execute(
            "INSERT OR IGNORE INTO roster_seeded (item, at) VALUES (?, ?)", (item, self.now)
        )
        return cur.rowcount > 0

    # -- invites and chat requests ------------------------------------------------------------

    async def add_invite(self, code_hash: str, role: str, created_by: int, expires_at: float) -> None:
        await self.db.execute(
            "INSERT INTO roster_invites (code_hash, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (code_hash, role, created_by, self.now, expires_at),
        )

    async def invite(self, code_hash: str) -> InviteRow | None:
        async with self.db.execute("SELECT * FROM roster_invites WHERE code_hash = ?", (code_hash,)) as c:
            r = await c.fetchone()
        return InviteRow(r["role"], r["created_by"], r["expires_at"], r["used_at"]) if r else None

    async def use_invite(self, code_hash: str, user_id: int) -> bool:
        cur = await self.db.execute(
            "UPDATE roster_invites SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL",
            (self.now, user_id, code_hash),
        )
        return cur.rowcount > 0

    async def add_chat_request(self, key: str, admin_id: int) -> int:
        cur = await self.db.execute(
            "INSERT INTO roster_chat_requests (request_id, key, admin_id, created_at) VALUES"
            " ((SELECT COALESCE(MAX(request_id), 0) + 1 FROM roster_chat_requests), ?, ?, ?)",
            (key, admin_id, self.now),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def take_chat_request(self, request_id: int, admin_id: int) -> str | None:
        """The key this request was issued for, once, and only to the admin it was issued to."""
        async with self.db.execute(
            "UPDATE roster_chat_requests SET used_at = ? WHERE request_id = ? AND admin_id = ? AND used_at IS NULL"
            " RETURNING key",
            (self.now, request_id, admin_id),
        ) as c:
            row = await c.fetchone()
        return str(row[0]) if row else None

    # -- unbound groups -----------------------------------------------------------------------

    async def add_unbound(
        self, chat_id: int, title: str | None, added_by: int | None, leave_at: float
    ) -> bool:
        cur = await self.db.execute(
            "INSERT OR IGNORE INTO roster_unbound (chat_id, title, added_by, added_at, leave_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (chat_id, title, added_by, self.now, leave_at),
        )
        return cur.rowcount > 0

    async def drop_unbound(self, chat_id: int) -> None:
        """Bound (or upgraded into a bound group): no leave, and announcements not sent yet are withdrawn."""
        await self.db.execute("DELETE FROM roster_unbound WHERE chat_id = ?", (chat_id,))
        await self.db.execute(
            "UPDATE outbox SET state = 'superseded', last_error = 'bound' WHERE state = 'pending'"
            " AND channel = 'telegram' AND json_extract(payload, '$.unbound_chat') = ?",
            (chat_id,),
        )

    async def unbound_due(self) -> list[tuple[int, str | None]]:
        async with self.db.execute(
            "SELECT chat_id, title FROM roster_unbound WHERE leave_at <= ? ORDER BY chat_id", (self.now,)
        ) as c:
            return [(int(r[0]), r[1]) for r in await c.fetchall()]

    async def next_unbound_leave(self) -> float | None:
        async with self.db.execute("SELECT MIN(leave_at) FROM roster_unbound") as c:
            row = await c.fetchone()
        return float(row[0]) if row and row[0] is not None else None


def _group(r: aiosqlite.Row) -> GroupRow:
    return GroupRow(r["key"], r["chat_id"], r["title"], r["mumble_channel"], r["phone"], bool(r["reachable"]),
                    r["unreachable_reason"])  # fmt: skip
