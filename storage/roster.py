"""The roster's SQL: group bindings, people and roles, Mumble users, invites, roll-calls."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


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


@dataclass(frozen=True, slots=True)
class AnswerRow:
    key: str
    chat_id: int | None
    token: str
    reachable: bool
    answered_by: int | None
    answered_name: str | None
    answered_at: float | None


class RosterRepo:
    def __init__(self, db: aiosqlite.Connection, now: float) -> None:
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
            " ON CONFLICT(key) DO UPDATE SET mumble_channel = COALESCE(excluded.mumble_channel, mumble_channel),"
            " phone = COALESCE(excluded.phone, phone)",
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
            " name = COALESCE(excluded.name, name), username = COALESCE(excluded.username, username)",
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

    # -- cards and outbox rows of a group -----------------------------------------------------

    async def retarget_pending(self, old_chat: int, new_chat: int) -> int:
        """Rows waiting for the old chat go to the new one now; a 400 on migration means nothing arrived."""
        cur = await self.db.execute(
            "UPDATE outbox SET target = ?, due_at = ?, attempts = 0 WHERE state = 'pending' AND channel = 'telegram'"
            " AND target = ?",
            (str(new_chat), self.now, str(old_chat)),
        )
        return cur.rowcount

    async def move_assignments(self, old_chat: int, new_chat: int) -> None:
        await self.db.execute(
            "UPDATE assignments SET chat_id = ?, message_id = NULL WHERE chat_id = ?", (new_chat, old_chat)
        )

    async def pending_for_chat(self, chat_id: int) -> list[tuple[int, str, int | None, int | None]]:
        async with self.db.execute(
            "SELECT id, kind, incident_id, assignment_id FROM outbox WHERE state = 'pending'"
            " AND channel = 'telegram' AND target = ? ORDER BY id",
            (str(chat_id),),
        ) as c:
            return [(int(r[0]), str(r[1]), r[2], r[3]) for r in await c.fetchall()]

    async def redirect(self, row_id: int, targets: list[int]) -> None:
        """A copy of the row for each target (due now), the original superseded: nothing is lost."""
        for target in targets:
            await self.db.execute(
                "INSERT INTO outbox (channel, kind, target, priority, payload, incident_id, assignment_id,"
                " created_at, due_at) SELECT channel, kind, ?, priority, payload, incident_id, assignment_id, ?, ?"
                " FROM outbox WHERE id = ?",
                (str(target), self.now, self.now, row_id),
            )
        await self.db.execute(
            "UPDATE outbox SET state = 'superseded', last_error = 'redirected' WHERE id = ? AND state = 'pending'",
            (row_id,),
        )

    async def drop_pending(self, row_ids: list[int], note: str) -> None:
        await self.db.executemany(
            "UPDATE outbox SET state = 'superseded', last_error = ? WHERE id = ? AND state = 'pending'",
            [(note, i) for i in row_ids],
        )

    async def open_assignments(self, agency: str) -> list[int]:
        """Assignments of open incidents the agency still has to act on (their cards must be in its group)."""
        async with self.db.execute(
            "SELECT a.id FROM assignments a JOIN incidents i ON i.id = a.incident_id WHERE a.agency = ?"
            " AND i.state = 'open' AND a.state NOT IN ('cleared', 'declined') ORDER BY a.id",
            (agency,),
        ) as c:
            return [int(r[0]) for r in await c.fetchall()]

    async def detach_agency(self, agency: str) -> None:
        """Unreachable: its open assignments go by phone (escalation phones instead of re-posting)."""
        await self.db.execute(
            "UPDATE assignments SET chat_id = NULL, message_id = NULL WHERE agency = ? AND state NOT IN"
            " ('cleared', 'declined') AND incident_id IN (SELECT id FROM incidents WHERE state = 'open')",
            (agency,),
        )

    async def attach(self, assignment_id: int, chat_id: int) -> None:
        await self.db.execute(
            "UPDATE assignments SET chat_id = ?, message_id = NULL WHERE id = ?", (chat_id, assignment_id)
        )

    async def has_pending_card(self, assignment_id: int) -> bool:
        async with self.db.execute(
            "SELECT 1 FROM outbox WHERE state = 'pending' AND assignment_id = ? AND kind IN ('card', 'card_repeat')",
            (assignment_id,),
        ) as c:
            return await c.fetchone() is not None

    async def last_card_sent(self) -> dict[str, float]:
        async with self.db.execute(
            "SELECT a.agency, MAX(o.sent_at) FROM outbox o JOIN assignments a ON a.id = o.assignment_id"
            " WHERE o.state = 'sent' AND o.kind IN ('card', 'card_repeat') GROUP BY a.agency"
        ) as c:
            return {str(r[0]): float(r[1]) for r in await c.fetchall() if r[1] is not None}

    # -- command menus ------------------------------------------------------------------------

    async def menus(self) -> dict[int, str]:
        async with self.db.execute("SELECT chat_id, digest FROM command_menus") as c:
            return {int(r[0]): str(r[1]) for r in await c.fetchall()}

    async def set_menu(self, chat_id: int, digest: str | None) -> None:
        if digest is None:
            await self.db.execute("DELETE FROM command_menus WHERE chat_id = ?", (chat_id,))
        else:
            await self.db.execute(
                "INSERT INTO command_menus (chat_id, digest) VALUES (?, ?)"
                " ON CONFLICT(chat_id) DO UPDATE SET digest = excluded.digest",
                (chat_id, digest),
            )

    # -- roll-call ----------------------------------------------------------------------------

    async def start_rollcall(self, ends_at: float, started_by: int | None) -> int:
        cur = await self.db.execute(
            "INSERT INTO rollcalls (started_at, ends_at, started_by) VALUES (?, ?, ?)",
            (self.now, ends_at, started_by),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def add_rollcall_slot(self, rollcall_id: int, key: str, chat_id: int | None, token: str,
                                reachable: bool) -> None:  # fmt: skip
        await self.db.execute(
            "INSERT INTO rollcall_answers (rollcall_id, key, chat_id, token, reachable) VALUES (?, ?, ?, ?, ?)",
            (rollcall_id, key, chat_id, token, int(reachable)),
        )

    async def answer_rollcall(self, rollcall_id: int, chat_id: int, token: str, user_id: int,
                              name: str) -> bool | None:  # fmt: skip
        """True: recorded; False: this group already answered; None: no such slot (forged or foreign)."""
        async with self.db.execute(
            "SELECT answered_at FROM rollcall_answers WHERE rollcall_id = ? AND chat_id = ? AND token = ?",
            (rollcall_id, chat_id, token),
        ) as c:
            row = await c.fetchone()
        if row is None:
            return None
        if row[0] is not None:
            return False
        await self.db.execute(
            "UPDATE rollcall_answers SET answered_by = ?, answered_name = ?, answered_at = ?"
            " WHERE rollcall_id = ? AND chat_id = ? AND answered_at IS NULL",
            (user_id, name, self.now, rollcall_id, chat_id),
        )
        return True

    async def rollcalls_due(self) -> list[int]:
        async with self.db.execute(
            "SELECT id FROM rollcalls WHERE summary_sent = 0 AND ends_at <= ? ORDER BY id", (self.now,)
        ) as c:
            return [int(r[0]) for r in await c.fetchall()]

    async def next_rollcall_end(self) -> float | None:
        async with self.db.execute("SELECT MIN(ends_at) FROM rollcalls WHERE summary_sent = 0") as c:
            row = await c.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def close_rollcall(self, rollcall_id: int) -> tuple[float, list[AnswerRow]] | None:
        """Guarded: the summary is taken once, however many workers or restarts race for it."""
        cur = await self.db.execute(
            "UPDATE rollcalls SET summary_sent = 1 WHERE id = ? AND summary_sent = 0", (rollcall_id,)
        )
        if cur.rowcount == 0:
            return None
        async with self.db.execute("SELECT started_at FROM rollcalls WHERE id = ?", (rollcall_id,)) as c:
            started = await c.fetchone()
        async with self.db.execute(
            "SELECT * FROM rollcall_answers WHERE rollcall_id = ? ORDER BY key", (rollcall_id,)
        ) as c:
            rows = [
                AnswerRow(
                    r["key"],
                    r["chat_id"],
                    r["token"],
                    bool(r["reachable"]),
                    r["answered_by"],
                    r["answered_name"],
                    r["answered_at"],
                )
                for r in await c.fetchall()
            ]
        assert started is not None
        return float(started[0]), rows

    async def last_answers(self) -> dict[str, float]:
        async with self.db.execute(
            "SELECT key, MAX(answered_at) FROM rollcall_answers WHERE answered_at IS NOT NULL GROUP BY key"
        ) as c:
            return {str(r[0]): float(r[1]) for r in await c.fetchall()}


def _group(r: aiosqlite.Row) -> GroupRow:
    return GroupRow(r["key"], r["chat_id"], r["title"], r["mumble_channel"], r["phone"], bool(r["reachable"]),
                    r["unreachable_reason"])  # fmt: skip
