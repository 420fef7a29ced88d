"""Taps on a card in a busy group: fewer edits than taps, and the card ends showing the final state."""

from __future__ import annotations

from tests.e2e import CALL_TAKER, DAMKAR, World
from tests.test_e2e_dispatch import ONE_LINE, button


async def test_a_burst_of_taps_in_a_busy_group_ends_in_fewer_edits_showing_the_final_state(
    world: World,
) -> None:
    api = world.api
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    card = await api.wait_message(DAMKAR, "#1")
    # Six more incidents: their cards queue in the same group, one per 1.1 s (Telegram's per-chat
    # pace), and new cards go before edits, so the group is saturated while the responder taps.
    for _ in range(6):
        api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_message(DAMKAR, "#2")
    taps = ["Terima", "Berangkat", "Tiba", "Selesai"]
    for label in taps:  # a crew calling out each step: tap, see the toast, tap the next
        query = api.tap(world.damkar_member, world.damkar, card.message_id, button(card, label))
        await api.wait_for(lambda q=query: q in api.state.answered_callbacks)
    final = await api.wait_edit(DAMKAR, card.message_id, "Selesai", timeout=30)
    assert "Diterima" in final.current_text and "Tiba di lokasi" in final.current_text
    assert not final.buttons
    await api.wait_message(DAMKAR, "#7", timeout=30)  # everything queued has gone out
    assert 1 <= len(final.edits) < len(taps), f"{len(final.edits)} edits for {len(taps)} taps"
    await api.wait_message(CALL_TAKER, "menyelesaikan #1")  # every tap still told the call taker
    [(cleared,)] = world.rows("SELECT COUNT(*) FROM assignments WHERE state = 'cleared'")
    [(coalesced,)] = world.rows("SELECT COUNT(*) FROM outbox WHERE state = 'superseded'")
    assert cleared == 1
    assert coalesced >= 1
