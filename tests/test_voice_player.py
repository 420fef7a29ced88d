"""The note player's turn-taking with a fake link and a real SQLite file: a priority-1 announcement
queued for the channel stops the note after the chunk in flight, the note resumes once it was heard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import DispatchApp
from bot.settings import MumbleSettings, Settings, StorageSettings
from radio_bridge.voice_in import Transmission, VoiceReceiver
from radio_bridge.voice_out import FEED_SECONDS, VoicePlayer
from routing.table import load_routing
from storage.uow import Store
from tests import dbread

NOW = 1_750_000_000.0


class FakeLink:
    connected = True

    def channel_up(self, _channel: str) -> bool:
        return True

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.buffer = 0.0  # seconds of audio "still to play"; the test drains it by hand
        self.polls = 0
        self.changed = asyncio.Event()

    def unsent_audio(self, _channel: str) -> float:
        self.polls += 1
        self.changed.set()
        return self.buffer

    async def speak(self, _channel: str, pcm: bytes) -> float:
        self.chunks.append(pcm)
        self.buffer += len(pcm) / 96_000
        self.changed.set()
        return len(pcm) / 96_000


async def until(link: FakeLink, condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            link.changed.clear()
            await link.changed.wait()


def storage_settings(folder: Path) -> StorageSettings:
    """This test's database (the backend DISPATCH_TEST_BACKEND names); the data folder is `folder`."""
    target = dbread.new_target(folder, "db.sqlite3")
    if dbread.is_url(target):
        return StorageSettings(url=target, path=str(folder / "db.sqlite3"))
    return StorageSettings(path=target)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[DispatchApp]:
    settings = Settings(storage=storage_settings(tmp_path),
                        mumble=MumbleSettings(dispatch_channel="Dispatch"))  # fmt: skip
    store = await Store.open(settings.storage.target)
    yield DispatchApp(settings=settings, store=store, routing=load_routing(None), clock=lambda: NOW)
    await store.close()


async def test_a_priority_1_announcement_goes_before_the_rest_of_a_note(app: DispatchApp) -> None:
    async def sink(_t: Transmission) -> None:
        return None

    link = FakeLink()
    player = VoicePlayer(app, link, VoiceReceiver(sink))  # type: ignore[arg-type]
    original = player._priority_waits

    async def counted(channel: str) -> bool:  # every look at the outbox counts as a poll too
        link.polls += 1
        link.changed.set()
        return await original(channel)

    player._priority_waits = counted  # type: ignore[method-assign]
    note = bytes(3 * 96_000)
    feeding = asyncio.create_task(player._feed("Dispatch", note))
    await until(link, lambda: len(link.chunks) == 1)
    async with app.store.transaction(NOW) as tx:
        row = await tx.outbox.add("mumble", "radio_speak", "Dispatch", 1, {"number": 7})
    link.buffer = 0.0  # the first chunk was heard
    polls = link.polls
    await until(link, lambda: link.polls > polls + 5)  # the player keeps looking while the row waits...
    assert len(link.chunks) == 1  # ...and sends nothing more
    async with app.store.transaction(NOW) as tx:
        await tx.outbox.sent(row, None)  # the announcement was handed to the channel
    link.buffer = 4.0  # and is being spoken
    polls = link.polls
    await until(link, lambda: link.polls > polls + 5)
    assert len(link.chunks) == 1  # the note waits until the announcement was heard whole
    while not feeding.done():
        link.buffer = 0.0
        await asyncio.sleep(0)
        link.changed.set()
        await asyncio.wait([feeding], timeout=0.1)
    assert b"".join(link.chunks) == note and len(link.chunks) == round(3 / FEED_SECONDS)


async def test_playback_mutes_the_receiver_on_that_channel_only(app: DispatchApp) -> None:
    async def sink(_t: Transmission) -> None:
        return None

    link = FakeLink()
    player = VoicePlayer(app, link, VoiceReceiver(sink))  # type: ignore[arg-type]
    player._playing["Damkar"] = asyncio.get_running_loop().create_future()  # type: ignore[assignment]
    assert player.is_muted("Damkar") and not player.is_muted("Polres")
    player._playing.pop("Damkar")
    player._done("Damkar")
    assert player.is_muted("Damkar")  # a short tail after the note, then open again


async def test_a_note_kept_back_longer_than_stale_after_is_not_played_and_the_sender_is_told(
    app: DispatchApp,
) -> None:
    async def sink(_t: Transmission) -> None:
        return None

    link = FakeLink()
    player = VoicePlayer(app, link, VoiceReceiver(sink))  # type: ignore[arg-type]
    payload = {"path": "x.ogg", "name": "Ani", "number": 4, "voice_id": 1, "chat_id": 111}
    async with app.store.transaction(NOW - app.settings.mumble.stale_after - 1) as tx:
        old = await tx.outbox.add("mumble", "radio_voice", "Dispatch", 2, payload)
    await player._pass()
    async with app.store.reading(NOW) as tx:
        assert await tx.outbox.pending("mumble") == []
        replies = await tx.outbox.pending("telegram")
    assert link.chunks == [] and old
    assert [r.target for r in replies] == ["111"] and "tidak dapat diputar" in replies[0].payload["html"]
