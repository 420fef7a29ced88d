"""The repeat mark end to end: after an outage the cards arrive unmarked; a send that may have gone
out (a timeout that was delivered, a kill -9 mid-send) is resent marked."""

from __future__ import annotations

from tests.e2e import CALL_TAKER, DAMKAR, POLRES, World
from tests.test_e2e_dispatch import ONE_LINE, db_rows

MARK = "mungkin terkirim dua kali"


async def test_cards_after_an_outage_of_502s_carry_no_mark(world: World) -> None:
    api = world.api
    api.fail_next("sendMessage", 502, count=10_000)  # Telegram's sends are down; getUpdates works
    api.send_text(world.call_taker, world.call_taker, ONE_LINE)
    await api.wait_for(
        lambda: db_rows(world, "SELECT COUNT(*) FROM outbox WHERE kind = 'card' AND attempts >= 2") == [(3,)],
        timeout=20, recheck=0.2,
    )  # fmt: skip
    api.clear_faults()
    for chat in (DAMKAR, POLRES, CALL_TAKER):
        message = await api.wait_message(chat, "#1", timeout=30)
        assert MARK not in message.current_text


async def test_a_timed_out_send_that_was_delivered_is_resent_marked(world: World) -> None:
    api = world.api
    api.delay_next("sendMessage", 30, count=1, deliver=True)  # delivered, but the answer never comes
    api.send_text(world.call_taker, world.call_taker, "/prank 081299998888")
    first = await api.wait_message(CALL_TAKER, "prank")
    assert MARK not in first.current_text
    again = await api.wait_message(CALL_TAKER, MARK, timeout=30)
    assert "prank" in again.current_text.lower()


async def test_a_send_cut_by_kill_9_is_resent_marked(world: World) -> None:
    api = world.api
    api.delay_next("sendMessage", 60, count=1, deliver=True)
    api.send_text(world.call_taker, world.call_taker, "/prank 081299998888")
    await api.wait_message(CALL_TAKER, "prank")  # delivered; the bot still waits for the answer
    await world.bot.kill()
    await world.bot.start()
    again = await api.wait_message(CALL_TAKER, MARK, timeout=30)
    assert "prank" in again.current_text.lower()
