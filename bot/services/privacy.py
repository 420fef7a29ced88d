"""Caller phone numbers: kept in full only for the retention period, then deleted (audited)."""

from __future__ import annotations

from bot.app import DispatchApp
from storage.panic import panic_repo

DAY = 86400.0
DRAFT_MAX_AGE = DAY  # a form nobody touched for a day was abandoned with the call


async def purge_phones(app: DispatchApp) -> int:
    """Delete full numbers older than [privacy] phone_retention_days; the masked form stays."""
    now = app.clock()
    cutoff = now - app.settings.privacy.phone_retention_days * DAY
    async with app.store.transaction(now) as tx:
        removed = await tx.incidents.forget_phones(cutoff) + await tx.calls.forget_phones(cutoff)
        removed += await panic_repo(tx).forget_phones(cutoff)
        removed += await tx.blocks.forget_phones(cutoff) + await tx.handoffs.forget_documents(cutoff)
        if removed:
            await tx.events.add("phones_deleted", "system", count=removed, before=cutoff,
                                retention_days=app.settings.privacy.phone_retention_days)  # fmt: skip
    return removed


async def purge_personal_data(app: DispatchApp) -> int:
    """The scheduled purge: old full numbers, abandoned forms, then a WAL checkpoint so the deleted
    bytes leave the -wal file too (secure_delete zeroes them in the database file)."""
    removed = await purge_phones(app)
    now = app.clock()
    async with app.store.transaction(now) as tx:
        drafts = await tx.drafts.forget_older(now - DRAFT_MAX_AGE)
        if drafts:
            await tx.events.add("drafts_deleted", "system", count=drafts, max_age_hours=DRAFT_MAX_AGE / 3600)
    await app.store.checkpoint()
    return removed + drafts
