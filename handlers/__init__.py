"""The Telegram edge: one module per feature, each registering its own handlers."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    buttons,
    calls,
    edits,
    guided,
    handoff,
    incident,
    manage,
    membership,
    messages,
    panic,
    prank,
    reports,
    rollcall,
    roster,
    views,
    voice,
)

# edits first: an edited message never runs a command again. roster and rollcall before views and
# buttons: /start <code> and the Siap button must match first. panic, prank and handoff before buttons:
# its catch-all treats every unknown button as forged.
FEATURES = (
    edits,
    roster,
    rollcall,
    incident,
    guided,
    panic,
    prank,
    handoff,
    buttons,
    calls,
    manage,
    views,
    reports,
    membership,
    messages,
    voice,
)


def register_all(application: Application) -> None:  # type: ignore[type-arg]
    for feature in FEATURES:
        feature.register(application)
