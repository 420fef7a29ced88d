"""The dispatch floor for `make bench`: a bare python-telegram-bot relay, nothing of ours.

    RELAY_TOKEN=... RELAY_BASE_URL=http://127.0.0.1:PORT/bot RELAY_GROUPS=-1003,-1004,-1005 \
        python -m tests.bench_relay

What a reasonable minimal bot does: PTB's Application with run_polling (long polling, PTB's own
defaults: updates handled one at a time, 256-connection pool for requests), one MessageHandler
that sends the text it received to the groups. The three sends go out concurrently with
asyncio.gather, as anyone who cares about the last group's latency would write it. No storage, no
parse mode, no keyboard, no pacing, no retry: whatever it costs, our bot can only cost more.
"""

from __future__ import annotations

import asyncio
import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


def main() -> None:
    groups = [int(g) for g in os.environ["RELAY_GROUPS"].split(",")]
    application = (
        Application.builder()
        .token(os.environ["RELAY_TOKEN"])
        .base_url(os.environ["RELAY_BASE_URL"])
        .base_file_url(os.environ["RELAY_BASE_FILE_URL"])
        .build()
    )

    async def relay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        await asyncio.gather(*(context.bot.send_message(chat_id, message.text) for chat_id in groups))

    application.add_handler(MessageHandler(filters.TEXT, relay))
    # Same long-poll timeout as the bench gives our bot ([telegram] poll_timeout = 10).
    application.run_polling(timeout=10, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
