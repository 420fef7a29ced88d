"""Voice notes and audio files replying to the bot's messages about an incident, and /rekaman."""

from __future__ import annotations

import re
from datetime import timedelta

from telegram import Message, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.services.common import Refused
from bot.services.voice import PlayRequest, queue_playback, send_recordings
from handlers.common import Context, actor_of, app_of, args_after_command, guarded
from routing.incident import parse_number

NUMBER = re.compile(r"#(\d{1,6})\b")
MB = 1024 * 1024


def _about(message: Message, bot_id: int) -> int | None:
    """The incident number of the bot's message this one replies to, if any."""
    quoted = message.reply_to_message
    if quoted is None or quoted.from_user is None or quoted.from_user.id != bot_id:
        return None
    found = NUMBER.search(quoted.text or quoted.caption or "")
    return int(found.group(1)) if found else None


def _suffix(message: Message) -> str:
    if message.voice is not None:
        return ".ogg"
    audio = message.audio
    name = (audio.file_name or "") if audio is not None else ""
    mime = (audio.mime_type or "") if audio is not None else ""
    for ending in (".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac"):
        if name.lower().endswith(ending):
            return ending
    return {"audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a"}.get(mime, ".audio")


@guarded("anyone")
async def on_voice(update: Update, context: Context) -> None:
    app = app_of(context)
    actor = actor_of(update)
    message = update.effective_message
    assert message is not None
    if message.from_user is None or message.from_user.is_bot:
        return  # never re-post what a bot (ourselves included) sent
    media = message.voice or message.audio
    if media is None:
        return
    number = _about(message, context.bot.id)
    if number is None:
        if app.is_call_taker(actor.id) and actor.chat_id == actor.id:
            raise Refused("Untuk memutar pesan suara di radio, balas (reply) pesan bot tentang kejadiannya, "
                          "mis. konfirmasi #42.", "voice_no_incident")  # fmt: skip
        return  # responders' own voice notes in their group are theirs
    limit = app.settings.radio.max_download_mb
    size = media.file_size or 0
    if size > limit * MB:
        raise Refused(f"Berkas suara terlalu besar ({size / MB:.1f} MB). Batas unduhan Telegram {limit:.0f} MB; "
                      "kirim pesan suara yang lebih pendek.", "voice_too_big")  # fmt: skip
    file = await context.bot.get_file(media.file_id)
    data = bytes(await file.download_as_bytearray())
    if len(data) > limit * MB:
        raise Refused(f"Berkas suara terlalu besar (batas {limit:.0f} MB).", "voice_too_big")
    duration = getattr(media, "duration", 0) or 0  # an int today, a timedelta in PTB's next major version
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    request = PlayRequest(number=number, seconds=seconds, audio=data, suffix=_suffix(message))
    await queue_playback(app, actor, request, update_id=update.update_id)


@guarded("supervisor")
async def rekaman(update: Update, context: Context) -> None:
    app = app_of(context)
    actor = actor_of(update)
    if not app.is_supervisor(actor.id):
        raise Refused("Rekaman suara hanya untuk supervisor.", "not_supervisor")
    number = parse_number(args_after_command(update).strip())
    if number is None:
        raise Refused("Format: /rekaman <nomor>, mis. /rekaman 42", "format")
    await send_recordings(app, actor, number, update_id=update.update_id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(MessageHandler(filters.VOICE | filters.AUDIO, on_voice))
    application.add_handler(CommandHandler("rekaman", rekaman))
