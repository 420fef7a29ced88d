"""The clock-time rule every scheduled setting shares (JJ:MM, WIB)."""

from __future__ import annotations


def clock_time(value: str) -> str:
    hour, _, minute = value.partition(":")
    valid = hour.isdigit() and minute.isdigit() and len(minute) == 2
    if not (valid and int(hour) < 24 and int(minute) < 60):
        raise ValueError("harus berbentuk JJ:MM (24 jam, WIB), mis. 07:00")
    return value


def hour_minute(value: str) -> tuple[int, int]:
    """(hour, minute) of a JJ:MM already checked by clock_time."""
    hour, _, minute = value.partition(":")
    return int(hour), int(minute)
