"""The Telegram edge: one module per feature, each registering its own handlers."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    buttons,
    calls,
    guided,
    incident,
    manage,
    membership,
    messages,
    reports,
    rollcall,
    roster,
    views,
)

# roster and rollcall before views and buttons: /start <code> and the Siap button must match first.
FEATURES = (roster, rollcall, incident, guided, buttons, calls, manage, views, reports, membership, messages)


def register_all(application: Application) -> None:  # type: ignore[type-arg]
    for feature in FEATURES:
        feature.register(application)
