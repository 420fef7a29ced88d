"""Caller phone numbers: kept in full only for the retention period, then deleted (audited)."""

from __future__ import annotations

from bot.app import DispatchApp

DAY = 86400.0


async def purge_phones(app: DispatchApp) -> int:
    """Delete full numbers older than [privacy] phone_retention_days; the masked form stays."""
    now = app.clock()
    cutoff = now - app.settings.privacy.phone_retention_days * DAY
    async with app.store.transaction(now) as tx:
        removed = await tx.incidents.forget_phones(cutoff) + await tx.calls.forget_phones(cutoff)
        removed += await tx.blocks.forget_phones(cutoff) + await tx.handoffs.forget_documents(cutoff)
        if removed:
            await tx.events.add("phones_deleted", "system", count=removed, before=cutoff,
                                retention_days=app.settings.privacy.phone_retention_days)  # fmt: skip
    return removed
