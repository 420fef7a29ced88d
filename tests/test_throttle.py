"""Flood control counts messages by when they were sent."""

from __future__ import annotations

from bot.throttle import Throttle, counted, sender_of


def test_a_burst_within_seconds_is_cut_at_the_limit() -> None:
    throttle = Throttle(limit=30, window=10.0, clock=lambda: 1000.0)
    allowed = [throttle.allow(7, 1000.0) for _ in range(100)]
    assert allowed.count(True) == 30 and allowed[:30] == [True] * 30
    assert throttle.allow(8, 1000.0)  # someone else is unaffected


def test_a_backlog_sent_over_minutes_arrives_at_once_and_passes() -> None:
    throttle = Throttle(limit=30, window=10.0, clock=lambda: 5000.0)
    assert all(throttle.allow(7, 1000.0 + 2 * i) for i in range(120))  # one every 2 s, delivered together


def test_window_moves_on() -> None:
    now = [0.0]
    throttle = Throttle(limit=2, window=10.0, clock=lambda: now[0])
    assert throttle.allow(1) and throttle.allow(1) and not throttle.allow(1)
    now[0] = 10.5
    assert throttle.allow(1)
    assert throttle.should_warn(1) and not throttle.should_warn(1)


def test_sender_of_reads_messages_and_taps() -> None:
    message = {"message": {"from": {"id": 5}, "chat": {"id": -9}, "date": 1700000000}}
    tap = {"callback_query": {"from": {"id": 6}, "message": {"chat": {"id": -8}, "date": 1}}}
    assert sender_of(message) == (5, -9, 1700000000.0)
    assert sender_of(tap) == (6, -8, None)
    assert sender_of({"poll": {}}) == (None, None, None)


def test_taps_count_when_received_and_edits_when_edited() -> None:
    tap = {"callback_query": {"from": {"id": 6}, "message": {"chat": {"id": -8}, "date": 1}}}
    edit = {"edited_message": {"from": {"id": 5}, "chat": {"id": -9}, "date": 100, "edit_date": 160}}
    assert sender_of(tap, received_at=1234.5) == (6, -8, 1234.5)
    assert sender_of(edit) == (5, -9, 160.0)


def test_a_live_location_moving_is_never_counted() -> None:
    moving = {"edited_message": {"from": {"id": 5}, "chat": {"id": -9}, "date": 100, "location": {}}}
    typed = {"edited_message": {"from": {"id": 5}, "chat": {"id": -9}, "date": 100, "text": "x"}}
    assert not counted(moving) and counted(typed) and counted({"message": {"text": "x"}})
