"""The bot's own membership and a group's migration, from Telegram's signals, and the gate that keeps
unbound groups out. Migration is handled before the unbound check: the upgraded group has a new id
that nobody bound yet, and treating it as unknown would make the bot leave its own agency's group."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    ChatMemberHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services.groups import chat_reachable, chat_unreachable, migrate_chat
from bot.services.unbound import bot_added_unbound, ignore_unbound
from handlers.common import Context, app_of

GATE_GROUP, MIGRATION_GROUP = -2, -3
IN = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
OUT = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
OPEN_IN_UNBOUND = ("/daftar",)


async def on_membership(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type == "private":
        return
    app = app_of(context)
    chat = change.chat
    new = change.new_chat_member
    status = new.status
    can_post = status in IN or (
        status == ChatMemberStatus.RESTRICTED and bool(getattr(new, "can_send_messages", True))
    )
    group = app.roster.group_of_chat(chat.id)
    if group is None:
        if status in IN:
            await bot_added_unbound(app, chat.id, chat.title, change.from_user.id, change.from_user.full_name,
                                    update_id=update.update_id, supergroup=chat.type == "supergroup")  # fmt: skip
        return
    if can_post:
        await chat_reachable(app, group, actor_id=change.from_user.id, update_id=update.update_id)
    else:
        reason = "kicked" if status == ChatMemberStatus.BANNED else "left" if status in OUT else "restricted"
        await chat_unreachable(app, group, reason, update_id=update.update_id)


async def on_migration(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    app = app_of(context)
    if message.migrate_to_chat_id:
        await migrate_chat(app, message.chat.id, message.migrate_to_chat_id, source="migrate_to",
                           update_id=update.update_id)  # fmt: skip
    elif message.migrate_from_chat_id:
        await migrate_chat(app, message.migrate_from_chat_id, message.chat.id, source="migrate_from",
                           update_id=update.update_id)  # fmt: skip
    raise ApplicationHandlerStop


async def gate(update: Update, context: Context) -> None:
    """In a group nobody bound, only /daftar and membership changes get through; the rest is ignored."""
    chat = update.effective_chat
    if chat is None or chat.type not in ("group", "supergroup") or update.my_chat_member is not None:
        return
    app = app_of(context)
    if app.roster.group_of_chat(chat.id) is not None:
        return
    message = update.effective_message
    text = (message.text or "") if message is not None and update.callback_query is None else ""
    command = text.split(maxsplit=1)[0].split("@")[0].casefold() if text.startswith("/") else ""
    if command in OPEN_IN_UNBOUND:
        return
    if command or update.callback_query is not None:
        user = update.effective_user
        await ignore_unbound(
            app, chat.id, user.id if user else None, text or "callback", update_id=update.update_id
        )
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migration), group=MIGRATION_GROUP)
    application.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)
    application.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
