"""The voice log's use cases with a real SQLite file and time moved by hand: recording, the unmapped
speaker, retention with its audit event, and /rekaman's outbox rows."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import DispatchApp
from bot.services.common import Actor, Refused
from bot.services.privacy import DAY
from bot.services.voice import purge_recordings, record_transmission, send_recordings, voice_files
from bot.settings import AgencySettings, MumbleSettings, RadioVoiceSettings, Settings, StorageSettings
from routing.table import load_routing
from storage.uow import Store
from tests import dbread

NOW = 1_750_000_000.0
OGG = b"OggS" + bytes(200)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def storage_settings(folder: Path) -> StorageSettings:
    """This test's database (the backend DISPATCH_TEST_BACKEND names); the data folder is `folder`."""
    target = dbread.new_target(folder, "db.sqlite3")
    if dbread.is_url(target):
        return StorageSettings(url=target, path=str(folder / "db.sqlite3"))
    return StorageSettings(path=target)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[DispatchApp]:
    settings = Settings(
        storage=storage_settings(tmp_path),
        agencies={"damkar": AgencySettings(chat_id=-1003, mumble_channel="Damkar")},
        mumble=MumbleSettings(users={"Damkar-1": "damkar"}),
        radio=RadioVoiceSettings(voice_retention_days=30),
    )
    store = await Store.open(settings.storage.target)
    yield DispatchApp(settings=settings, store=store, routing=load_routing(None), clock=Clock())
    await store.close()


def rows(app: DispatchApp, sql: str) -> list[tuple[object, ...]]:
    return dbread.rows(app.settings.storage.target, sql)


async def test_a_transmission_is_stored_with_its_voice_note_and_an_unmapped_one_only_audited(
    app: DispatchApp,
) -> None:
    recorded = await record_transmission(app, "Damkar-1", "Damkar", 3.2, OGG, NOW - 4, agency="damkar")
    assert recorded is not None and recorded.chat_id == -1003
    assert recorded.caption.startswith("🎙 Damkar-1 · kanal Damkar · ") and recorded.caption.endswith(" WIB")
    [(path,)] = rows(app, "SELECT path FROM voice_log")
    assert voice_files(app).read(str(path)) == OGG
    assert (voice_files(app).folder / str(path)).stat().st_mode & 0o077 == 0
    [(kind, payload)] = rows(app, "SELECT kind, payload FROM outbox")
    assert kind == "voice" and json.loads(str(payload))["path"] == path  # a file reference, not base64
    assert await record_transmission(app, "Tamu", "Damkar", 2.0, OGG, NOW, agency=None) is None
    assert rows(app, "SELECT count(*) FROM voice_log") == [(1,)]
    assert rows(app, "SELECT actor_name FROM events WHERE kind = 'voice_unmapped'") == [("Tamu",)]


async def test_recordings_are_deleted_after_the_retention_with_an_audit_event(app: DispatchApp) -> None:
    await record_transmission(app, "Damkar-1", "Damkar", 3.0, OGG, NOW - 31 * DAY, agency="damkar")
    await record_transmission(app, "Damkar-1", "Damkar", 3.0, OGG, NOW - 29 * DAY, agency="damkar")
    old, young = (str(r[0]) for r in rows(app, "SELECT path FROM voice_log ORDER BY at"))
    assert await purge_recordings(app) == 1
    folder = voice_files(app).folder
    assert not (folder / old).exists() and (folder / young).exists()
    assert rows(app, "SELECT count(*) FROM voice_log WHERE deleted_at IS NOT NULL") == [(1,)]
    [(data,)] = rows(app, "SELECT data FROM events WHERE kind = 'voice_deleted'")
    assert json.loads(str(data))["count"] == 1 and json.loads(str(data))["retention_days"] == 30
    assert await purge_recordings(app) == 0  # nothing twice
    app.clock.now += 2 * DAY  # type: ignore[attr-defined]
    assert await purge_recordings(app) == 1 and not (folder / young).exists()


async def test_rekaman_for_an_unknown_incident_is_refused(app: DispatchApp) -> None:
    with pytest.raises(Refused):
        await send_recordings(app, Actor(id=222, name="Sari", chat_id=222), 42, update_id=None)
