"""The Telegram edge: one module per feature, each registering its own handlers."""

from __future__ import annotations

from telegram.ext import Application

from handlers import buttons, calls, guided, incident, manage, membership, messages, reports, views, voice

FEATURES = (incident, guided, buttons, calls, manage, views, reports, membership, messages, voice)


def register_all(application: Application) -> None:  # type: ignore[type-arg]
    for feature in FEATURES:
        feature.register(application)
