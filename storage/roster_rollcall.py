"""The roster's SQL for roll-calls (apel siaga) and the published command menus."""

from __future__ import annotations

from dataclasses import dataclass

from storage.connection import Connection


@dataclass(frozen=True, slots=True)
class AnswerRow:
    key: str
    chat_id: int | None
    token: str
    reachable: bool
    answered_by: int | None
    answered_name: str | None
    answered_at: float | None


class RollcallSql:
    db: Connection
    now: float

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
