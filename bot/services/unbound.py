"""A group the bot was added to that nobody bound: one line there, the admins told, everything else
ignored, and the bot leaves after [groups] unbound_leave_hours unless an admin binds it first."""

from __future__ import annotations

from bot.app import DispatchApp
from bot.services.common import PRIORITY_NOTICE, esc
from storage.uow import Tx

MIGRATION_GRACE = 3.0  # the upgrade's updates are made together; processing them takes milliseconds
UNBOUND_LINE = "Grup ini belum terdaftar. Admin 112: ketik /daftar &lt;kode_instansi&gt;"


async def bot_added_unbound(app: DispatchApp, chat_id: int, title: str | None, by_id: int, by_name: str, *,
                            update_id: int | None, supergroup: bool = False) -> None:  # fmt: skip
    """A supergroup's announcements wait MIGRATION_GRACE seconds: on an upgrade Telegram also reports the
    bot joining the new supergroup, and the migration message that binds it may come just after."""
    hours = app.settings.groups.unbound_leave_hours
    async with app.store.transaction(app.clock(), update_id) as tx:
        fresh = await tx.roster.add_unbound(chat_id, title, by_id, tx.now + hours * 3600)
        await tx.events.add("bot_added_unbound", "telegram", actor_id=by_id, actor_name=by_name[:64],
                            chat_id=chat_id, title=title, first=fresh)  # fmt: skip
        due = tx.now + (MIGRATION_GRACE if supergroup else 0)

        async def reply(tx: Tx, target: int, html: str, *, priority: int = 0) -> None:
            await tx.outbox.add("telegram", "text", target, priority, {"html": html, "unbound_chat": chat_id},
                                due_at=due)  # fmt: skip

        if fresh:
            await reply(tx, chat_id, UNBOUND_LINE)
            text = (f"ℹ️ Bot ditambahkan ke grup <b>{esc(title or chat_id)}</b> (id <code>{chat_id}</code>) oleh "
                    f"{esc(by_name)} (id {by_id}). Bila ini grup instansi, ketik /daftar &lt;kode_instansi&gt; di "
                    f"grup itu; bila tidak, bot keluar sendiri dalam {hours:g} jam.")  # fmt: skip
            for admin in app.roster.with_role("admin"):
                await reply(tx, admin, text, priority=PRIORITY_NOTICE)
    app.wake()


async def ignore_unbound(app: DispatchApp, chat_id: int, user_id: int | None, command: str, *,
                         update_id: int | None) -> None:  # fmt: skip
    """Audited, not answered: a group nobody bound gets one line from the bot, not a conversation."""
    async with app.store.transaction(app.clock(), update_id) as tx:
        await tx.events.add("refused", "telegram", actor_id=user_id, reason="unbound_group", chat_id=chat_id,
                            command=command[:200])  # fmt: skip


async def leave_unbound_due(app: DispatchApp) -> float | None:
    """Leave every group whose time is up and that is still unbound. Returns when the next one is due."""
    async with app.store.reading(app.clock()) as tx:
        if not await tx.roster.unbound_due():
            return await tx.roster.next_unbound_leave()  # nothing due: no write transaction
    async with app.store.transaction(app.clock()) as tx:
        for chat_id, title in await tx.roster.unbound_due():
            await tx.roster.drop_unbound(chat_id)
            if await tx.roster.group_of_chat(chat_id) is not None:
                continue  # bound (or upgraded into a bound group) in the meantime: stay
            await tx.outbox.add("telegram", "leave", chat_id, PRIORITY_NOTICE)
            await tx.events.add("bot_left_unbound", "system", chat_id=chat_id, title=title)
        upcoming = await tx.roster.next_unbound_leave()
    app.wake()
    return upcoming
