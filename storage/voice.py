"""The voice log's rows and its audio files (0600 under the data directory)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from storage.connection import Connection

# Assignment states that still expect work from the agency.
OPEN_STATES = ("notified", "acknowledged", "en_route", "on_scene")


@dataclass(frozen=True)
class VoiceRecord:
    id: int
    at: float
    direction: str
    speaker: str
    channel: str
    agency: str | None
    incident_id: int | None
    seconds: float
    path: str
    deleted_at: float | None


class VoiceRepo:
    def __init__(self, db: Connection, now: float) -> None:
        self.db = db
        self.now = now

    async def add(self, direction: str, speaker: str, channel: str, seconds: float, path: str, *,
                  agency: str | None = None, incident_id: int | None = None, at: float | None = None) -> int:  # fmt: skip
        cur = await self.db.execute(
            "INSERT INTO voice_log (at, direction, speaker, channel, agency, incident_id, seconds, path)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.now if at is None else at, direction, speaker, channel, agency, incident_id, seconds, path),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def for_incident(self, incident_id: int) -> list[VoiceRecord]:
        async with self.db.execute(
            "SELECT * FROM voice_log WHERE incident_id = ? AND deleted_at IS NULL ORDER BY at, id",
            (incident_id,),
        ) as c:
            return [VoiceRecord(*r) for r in await c.fetchall()]

    async def older_than(self, before: float, limit: int = 500) -> list[VoiceRecord]:
        async with self.db.execute(
            "SELECT * FROM voice_log WHERE deleted_at IS NULL AND at < ? ORDER BY at LIMIT ?", (before, limit)
        ) as c:
            return [VoiceRecord(*r) for r in await c.fetchall()]

    async def mark_deleted(self, ids: list[int]) -> None:
        await self.db.executemany(
            "UPDATE voice_log SET deleted_at = ? WHERE id = ?", [(self.now, i) for i in ids]
        )

    async def open_incidents_of(self, agency: str) -> list[tuple[int, int]]:
        """(incident id, number) of open incidents where ``agency`` has an open assignment."""
        marks = ",".join("?" for _ in OPEN_STATES)
        async with self.db.execute(
            "SELECT DISTINCT i.id, i.number FROM incidents i JOIN assignments a ON a.incident_id = i.id"
            f" WHERE i.state = 'open' AND a.agency = ? AND a.state IN ({marks}) ORDER BY i.number",
            (agency, *OPEN_STATES),
        ) as c:
            return [(int(r[0]), int(r[1])) for r in await c.fetchall()]


class VoiceFiles:
    """Audio files under one folder: written whole (temp file, fsync, rename) before any row names them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, data: bytes, suffix: str = ".ogg") -> str:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{secrets.token_hex(8)}{suffix}"
        final = self.folder / name
        temp = final.with_suffix(".part")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
        return name

    def read(self, name: str) -> bytes:
        return (self.folder / Path(name).name).read_bytes()

    def delete(self, name: str) -> None:
        (self.folder / Path(name).name).unlink(missing_ok=True)
