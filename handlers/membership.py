"""The bot added to a group: fine when the group is configured, otherwise it says so and leaves."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application, ChatMemberHandler

from bot.services.common import reply
from handlers.common import Context, app_of


async def on_membership(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    ):
        return
    app = app_of(context)
    chat_id = change.chat.id
    known = {a.chat_id for a in app.settings.agencies.values()} | {
        app.settings.chats.call_takers, app.settings.chats.supervisors, app.settings.handoff.chat_id,
    }  # fmt: skip
    async with app.store.transaction(app.clock(), update.update_id) as tx:
        if chat_id in known:
            await tx.events.add("bot_added", "telegram", actor_id=change.from_user.id, chat_id=chat_id)
        else:
            await tx.events.add("refused", "telegram", actor_id=change.from_user.id, reason="unknown_group",
                                chat_id=chat_id, title=change.chat.title)  # fmt: skip
            await reply(tx, chat_id, "Grup ini tidak terdaftar di 112 Dispatch Bridge, jadi bot keluar. "
                        "Minta admin menambahkan chat_id grup ini di pengaturan.")  # fmt: skip
            await tx.outbox.add("telegram", "leave", chat_id, 0)
    app.wake()


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
