"""Panic-button alerts: stored on receipt, resolved once by a call taker's button."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.connection import Connection
from storage.uow import Tx


@dataclass(frozen=True, slots=True)
class NewPanic:
    app: str
    phone: str
    phone_masked: str
    name: str | None
    lat: float
    lon: float
    accuracy_m: float | None
    text: str | None
    kelurahan: str | None
    kecamatan: str | None
    token: str
    request_key: str | None = None


@dataclass(frozen=True, slots=True)
class PanicRecord:
    id: int
    app: str
    phone: str | None
    phone_masked: str
    name: str | None
    lat: float
    lon: float
    accuracy_m: float | None
    text: str | None
    kelurahan: str | None
    kecamatan: str | None
    token: str
    received_at: float
    state: str
    handled_by: int | None
    handled_by_name: str | None
    handled_at: float | None
    request_key: str | None

    @classmethod
    def from_row(cls, row: Any) -> PanicRecord:
        return cls(**{name: row[name] for name in cls.__slots__})


class PanicRepo:
    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def add(self, alert: NewPanic) -> int:
        cur = await self.db.execute(
            "INSERT INTO panic_alerts (app, phone, phone_masked, name, lat, lon, accuracy_m, text, kelurahan,"
            " kecamatan, token, received_at, request_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (alert.app, alert.phone, alert.phone_masked, alert.name, alert.lat, alert.lon, alert.accuracy_m,
             alert.text, alert.kelurahan, alert.kecamatan, alert.token, self.now, alert.request_key),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, alert_id: int) -> PanicRecord | None:
        async with self.db.execute("SELECT * FROM panic_alerts WHERE id = ?", (alert_id,)) as c:
            row = await c.fetchone()
        return None if row is None else PanicRecord.from_row(row)

    async def by_request(self, app: str, request_key: str) -> PanicRecord | None:
        async with self.db.execute(
            "SELECT * FROM panic_alerts WHERE app = ? AND request_key = ?", (app, request_key)
        ) as c:
            row = await c.fetchone()
        return None if row is None else PanicRecord.from_row(row)

    async def resolve(self, alert_id: int, state: str, user_id: int, user_name: str) -> bool:
        """new -> state, exactly once: False when someone else (or a repeated tap) got there first."""
        cur = await self.db.execute(
            "UPDATE panic_alerts SET state = ?, handled_by = ?, handled_by_name = ?, handled_at = ?"
            " WHERE id = ? AND state = 'new'",
            (state, user_id, user_name, self.now, alert_id),
        )
        return cur.rowcount == 1

    async def messages(self, alert_id: int) -> list[tuple[str, int | None, str]]:
        """(chat, message id once sent, html) of each message that showed this alert to the call takers."""
        async with self.db.execute(
            "SELECT target, message_id, json_extract(payload, '$.html') FROM outbox"
            " WHERE channel = 'telegram' AND kind = 'text' AND json_extract(payload, '$.panic_id') = ?"
            " ORDER BY id",
            (alert_id,),
        ) as c:
            return [(str(r[0]), r[1], str(r[2])) for r in await c.fetchall()]

    async def unsent_messages(self, alert_id: int) -> list[int]:
        """The outbox rows of this alert's messages with no message id recorded yet."""
        async with self.db.execute(
            "SELECT id FROM outbox WHERE channel = 'telegram' AND kind = 'text' AND message_id IS NULL"
            " AND json_extract(payload, '$.panic_id') = ? ORDER BY id",
            (alert_id,),
        ) as c:
            return [int(r[0]) for r in await c.fetchall()]

    async def forget_phones(self, before: float) -> int:
        cur = await self.db.execute(
            "UPDATE panic_alerts SET phone = NULL WHERE phone IS NOT NULL AND received_at < ?", (before,)
        )
        return max(cur.rowcount, 0)


def panic_repo(tx: Tx) -> PanicRepo:
    """The repository on a unit of work's connection (storage.uow.Tx), inside its transaction."""
    return PanicRepo(tx.db, tx.now)
