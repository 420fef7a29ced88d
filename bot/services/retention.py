"""Pruning the working tables: handled Telegram updates and finished outbox rows older than
[storage] keep_days. The audit events stay; they are the record of what happened."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.app import DispatchApp
from bot.services.privacy import DAY

BATCH = 500  # rows per transaction: a dispatch waits behind one batch at most (a few ms)


@dataclass(frozen=True, slots=True)
class Pruned:
    inbox: int
    outbox: int
    batches: int


async def prune_old_rows(app: DispatchApp, batch: int = BATCH) -> Pruned:
    """Walk each table by key in short transactions, yielding between them, so the write lock is
    never held long; then fold the WAL into the file."""
    cutoff = app.clock() - app.settings.storage.keep_days * DAY
    counts = {"inbox": 0, "outbox": 0}
    batches = 0
    for table in counts:
        after: int | None = 0
        while after is not None:
            async with app.store.transaction(app.clock()) as tx:
                repo = tx.inbox if table == "inbox" else tx.outbox
                deleted, after = await repo.prune_batch(cutoff, after, batch)
            counts[table] += deleted
            batches += 1
            await asyncio.sleep(0)  # let a waiting dispatch take the lock
    if counts["inbox"] or counts["outbox"]:
        async with app.store.transaction(app.clock()) as tx:
            await tx.events.add("rows_pruned", "system", before=cutoff, keep_days=app.settings.storage.keep_days,
                                inbox=counts["inbox"], outbox=counts["outbox"])  # fmt: skip
        await app.store.checkpoint()
    return Pruned(counts["inbox"], counts["outbox"], batches)
