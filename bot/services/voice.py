"""Voice use cases: a field transmission becomes a voice note, a call taker's note goes to the radio,
supervisors fetch recordings, old recordings are deleted (each step audited).

The audio file is written (fsync, rename) before the transaction that names it commits, and the
voice log row, its outbox row and its audit event commit together: a kill -9 at any line loses
nothing that was recorded (at worst an unnamed file is left behind)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.app import DispatchApp
from bot.services.common import PRIORITY_NOTICE, PRIORITY_REPLY, Actor, Refused, esc, reply
from storage.voice import VoiceFiles, VoiceRecord

log = logging.getLogger(__name__)
DAY = 86400.0
PLAY_CHANNEL = (
    "mumble"  # radio outbox rows; radio_bridge/voice_out.py plays this kind, the radio worker skips it
)
PLAY_KIND = "radio_voice"
SEND_KIND = "voice"  # a Telegram voice note (sendVoice) whose audio is a file of the voice log


def voice_files(app: DispatchApp) -> VoiceFiles:
    folder = app.settings.radio.voice_dir
    return VoiceFiles(Path(folder) if folder else Path(app.settings.storage.path).parent / "voice")


def _clock(app: DispatchApp, ts: float) -> str:
    return app.local(ts).strftime("%H:%M") + " WIB"


@dataclass(frozen=True)
class Recorded:
    voice_id: int
    chat_id: int
    caption: str


def _channel_chat(app: DispatchApp, channel: str) -> tuple[int | None, str | None]:
    """Where a channel's voice goes: the dispatch channel to the call takers, an agency's to its group."""
    if channel == app.settings.mumble.dispatch_channel:
        chat = app.settings.chats.call_takers
        if chat is None and app.settings.access.call_takers:
            chat = app.settings.access.call_takers[0]
        return chat, None
    for code, agency in app.settings.agencies.items():
        if agency.mumble_channel == channel:
            return agency.chat_id, code
    return None, None


async def record_transmission(app: DispatchApp, speaker: str, channel: str, seconds: float, ogg: bytes,
                              started_at: float, *, agency: str | None) -> Recorded | None:  # fmt: skip
    """Store one field transmission and queue it as a voice note. ``agency`` is who the radio edge says
    the speaker talks for (None: unmapped or unregistered, only audited)."""
    now = app.clock()
    if agency is None:
        async with app.store.transaction(now) as tx:
            await tx.events.add("voice_unmapped", "radio", actor_name=speaker[:64], kanal=channel,
                                seconds=round(seconds, 2))  # fmt: skip
        return None
    chat, _channel_agency = _channel_chat(app, channel)
    if chat is None:
        async with app.store.transaction(now) as tx:
            await tx.events.add("voice_no_chat", "radio", actor_name=speaker[:64], kanal=channel)
        return None
    name = await asyncio.to_thread(voice_files(app).write, ogg, ".ogg")
    async with app.store.transaction(now) as tx:
        open_incidents = await tx.voice.open_incidents_of(agency)
        incident_id = open_incidents[0][0] if len(open_incidents) == 1 else None
        caption = f"🎙 {esc(speaker)} · kanal {esc(channel)} · {_clock(app, started_at)}"
        if len(open_incidents) == 1:
            caption += f" · <b>#{open_incidents[0][1]}</b>"
        elif open_incidents:
            caption += " · kejadian terbuka: " + ", ".join(f"#{n}" for _, n in open_incidents[:20])
        voice_id = await tx.voice.add("in", speaker[:64], channel, round(seconds, 2), name, agency=agency,
                                      incident_id=incident_id, at=started_at)  # fmt: skip
        await tx.outbox.add("telegram", SEND_KIND, chat, PRIORITY_NOTICE, {"path": name, "caption": caption},
                            incident_id=incident_id)  # fmt: skip
        await tx.events.add("voice_recorded", "radio", actor_name=speaker[:64], incident_id=incident_id,
                            kanal=channel, seconds=round(seconds, 2), voice_id=voice_id)  # fmt: skip
    app.wake_telegram()
    return Recorded(voice_id, chat, caption)


@dataclass(frozen=True)
class PlayRequest:
    number: int  # the incident the replied-to message is about
    seconds: float  # as Telegram reports it
    audio: bytes  # the downloaded file (OGG/Opus, MP3, M4A...)
    suffix: str


async def playback_channels(app: DispatchApp, actor: Actor, number: int) -> tuple[int, list[str]]:
    """(incident id, channels) where ``actor``'s note about #number is played; Refused if none."""
    async with app.store.reading(app.clock()) as tx:
        incident = await tx.incidents.by_number(number)
        assignments = await tx.assignments.for_incident(incident.id) if incident is not None else []
    if incident is None:
        raise Refused(f"Kejadian #{number} tidak ditemukan.", "voice_unknown_incident")
    assigned = [a.agency for a in assignments if a.state != "declined"]
    if app.is_call_taker(actor.id):
        channels = [c for c in (app.agency_channel(a) for a in assigned) if c]
        channels.append(app.settings.mumble.dispatch_channel)
    else:
        mine = [a for a in assigned if app.agency_chat(a) == actor.chat_id]
        if not mine:
            raise Refused("Pesan suara hanya diteruskan dari call taker atau dari grup instansi yang ditugaskan "
                          f"pada #{number}.", "voice_not_allowed")  # fmt: skip
        channels = [c for c in (app.agency_channel(a) for a in mine) if c]
        if not channels:
            raise Refused(f"Instansi Anda tidak punya kanal radio untuk #{number}.", "voice_no_channel")
    return incident.id, list(dict.fromkeys(channels))


async def queue_playback(
    app: DispatchApp, actor: Actor, request: PlayRequest, *, update_id: int | None
) -> None:
    if not app.settings.mumble.enabled:
        raise Refused("Radio (Mumble) tidak diaktifkan; pesan suara tidak dapat diputar.", "voice_radio_off")
    incident_id, channels = await playback_channels(app, actor, request.number)
    name = await asyncio.to_thread(voice_files(app).write, request.audio, request.suffix)
    async with app.store.transaction(app.clock(), update_id) as tx:
        voice_id = await tx.voice.add("out", actor.name, ", ".join(channels), round(request.seconds, 2), name,
                                      incident_id=incident_id)  # fmt: skip
        for channel in channels:
            await tx.outbox.add(PLAY_CHANNEL, PLAY_KIND, channel, 2,
                                {"path": name, "name": actor.name, "number": request.number, "voice_id": voice_id,
                                 "chat_id": actor.chat_id},
                                incident_id=incident_id)  # fmt: skip
        await tx.events.add("voice_queued", "telegram", actor_id=actor.id, actor_name=actor.name,
                            incident_id=incident_id, channels=channels, seconds=round(request.seconds, 2),
                            voice_id=voice_id)  # fmt: skip
        await reply(tx, actor.chat_id, f"🔊 Pesan suara untuk <b>#{request.number}</b> diputar di kanal "
                    f"{esc(', '.join(channels))} begitu kanal sepi.", incident_id=incident_id)  # fmt: skip
    app.wake()


async def send_recordings(app: DispatchApp, actor: Actor, number: int, *, update_id: int | None) -> None:
    """/rekaman 42: every kept recording of #42 to the supervisor, as voice notes, oldest first."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        incident = await tx.incidents.by_number(number)
        if incident is None:
            raise Refused(f"Kejadian #{number} tidak ditemukan.", "unknown_incident")
        records = await tx.voice.for_incident(incident.id)
        if not records:
            await reply(tx, actor.chat_id, f"Belum ada rekaman suara untuk <b>#{number}</b>.",
                        incident_id=incident.id)  # fmt: skip
        else:
            await reply(
                tx,
                actor.chat_id,
                f"🎙 {len(records)} rekaman suara <b>#{number}</b>:",
                incident_id=incident.id,
            )
        for record in records:
            await tx.outbox.add("telegram", SEND_KIND, actor.chat_id, PRIORITY_REPLY,
                                {"path": record.path, "caption": recording_caption(app, number, record)},
                                incident_id=incident.id)  # fmt: skip
        await tx.events.add("voice_retrieved", "telegram", actor_id=actor.id, actor_name=actor.name,
                            incident_id=incident.id, count=len(records))  # fmt: skip
    app.wake_telegram()


async def playback_failed(app: DispatchApp, row_id: int, incident_id: int | None, kind: str, chat_id: int | None,
                          channel: str, number: int, problem: str,
                          advice: str = "Kirim sebagai pesan suara Telegram (rekam langsung) atau MP3.") -> None:  # fmt: skip
    """A note that cannot be played (unreadable, or kept back too long): the row fails, the sender is
    told, audited."""
    async with app.store.transaction(app.clock()) as tx:
        await tx.outbox.failed(row_id, problem)
        await tx.events.add(
            "delivery_failed", "radio", incident_id=incident_id, outbox_kind=kind, error=problem[:300]
        )
        if chat_id is not None:
            await reply(tx, chat_id, f"⚠️ Pesan suara untuk <b>#{number}</b> tidak dapat diputar di kanal "
                        f"{esc(channel)}: {esc(problem[:200])}. {esc(advice)}", incident_id=incident_id)  # fmt: skip
    app.wake_telegram()


def recording_caption(app: DispatchApp, number: int, record: VoiceRecord) -> str:
    arrow = "🎙" if record.direction == "in" else "🔊"
    return (f"{arrow} #{number} · {esc(record.speaker)} · kanal {esc(record.channel)} · "
            f"{app.local(record.at).strftime('%d-%m %H:%M')} WIB · {record.seconds:.0f} dtk")  # fmt: skip


async def purge_recordings(app: DispatchApp) -> int:
    """Delete recordings older than [radio] voice_retention_days: files first, then the rows' marks."""
    now = app.clock()
    cutoff = now - app.settings.radio.voice_retention_days * DAY
    files = voice_files(app)
    total = 0
    while True:
        async with app.store.reading(now) as tx:
            old = await tx.voice.older_than(cutoff)
        if not old:
            return total
        for record in old:
            # Deleted before the mark commits: a kill -9 in between only deletes (nothing) again next run.
            await asyncio.to_thread(files.delete, record.path)
        async with app.store.transaction(now) as tx:
            await tx.voice.mark_deleted([r.id for r in old])
            await tx.events.add("voice_deleted", "system", count=len(old), before=cutoff,
                                retention_days=app.settings.radio.voice_retention_days)  # fmt: skip
        total += len(old)
