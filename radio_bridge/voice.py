"""Wiring voice into the radio bridge: the receiver (field -> Telegram) and the player (Telegram -> field)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from bot.app import DispatchApp
from bot.services.voice import record_transmission
from bot.settings import Settings
from radio_bridge.field import field_agency
from radio_bridge.link import RadioLink
from radio_bridge.segmenter import Segmenter
from radio_bridge.voice_in import Transmission, VoiceReceiver
from radio_bridge.voice_out import VoicePlayer


class VoiceBridge:
    def __init__(self, app: DispatchApp, settings: Settings) -> None:
        radio = settings.radio
        segmenter = Segmenter(silence=radio.silence_cut, min_seconds=radio.min_seconds,
                              max_seconds=radio.max_seconds)  # fmt: skip
        self.app = app
        self.player: VoicePlayer | None = None
        self.receiver = VoiceReceiver(self._store, segmenter, self._muted)

    def frame(
        self, channel: str, speaker: str, pcm: bytes, user_id: int | None, cert_hash: str | None
    ) -> None:
        self.receiver.frame(channel, speaker, pcm, user_id, cert_hash)  # pymumble thread

    def agency_of(self, item: Transmission) -> str | None:
        """Whose agency a speaker talks for: the field commands' rule (registered users only)."""
        return field_agency(self.app, item.speaker, item.user_id, item.cert_hash)

    def _muted(self, channel: str) -> bool:
        return self.player is not None and self.player.is_muted(channel)

    async def _store(self, item: Transmission) -> None:
        await record_transmission(self.app, item.speaker, item.channel, item.seconds, item.ogg, item.started_wall,
                                  agency=self.agency_of(item))  # fmt: skip

    def attach(self, link: RadioLink) -> list[Coroutine[Any, Any, None]]:
        self.player = VoicePlayer(self.app, link, self.receiver)
        previous = self.app.wake_radio
        player = self.player

        def wake() -> None:
            previous()
            player.wake()

        self.app.wake_radio = wake
        self.receiver.start()
        return [player.run()]

    async def stop(self) -> None:
        await self.receiver.stop()


def start_voice(app: DispatchApp, settings: Settings) -> VoiceBridge | None:
    return VoiceBridge(app, settings) if settings.radio.voice else None
