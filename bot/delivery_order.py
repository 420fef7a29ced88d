"""Which row of a group goes next when an edit promoted for its age meets a new card.

An edit of a card waits behind new cards (EDIT_OFFSET); once it has waited long enough it ranks as a
new card of its incident (OutboxRepo.heads_aging), so a group kept busy by new incidents still sees
its taps. But it does not go before a new incident's first card waiting for the same group: new
cards come far slower than a group's 20 a minute, so the edits still get their turn, while in an
overload (more taps than a group may be sent) a backlog of promoted edits no longer holds every new
card behind it (strict surge, tests/bench_surge.py).
"""

from __future__ import annotations

from bot.services.common import EDIT_OFFSET
from storage.records import OutboxRecord


def promoted_edit(row: OutboxRecord, now: float, after: float) -> bool:
    """An edit of a card (ranked below new cards) that has waited `after` seconds."""
    return row.kind == "card" and row.priority > EDIT_OFFSET and row.created_at <= now - after


def new_card_first(
    head: OutboxRecord, new_cards: dict[str, OutboxRecord], now: float, after: float
) -> OutboxRecord:
    """The row to send to head's chat: its first waiting new card if the head is a promoted edit."""
    card = new_cards.get(head.target)
    if promoted_edit(head, now, after) and card is not None and card.due_at <= now:
        return card
    return head
