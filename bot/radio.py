"""Radio wiring (filled in by the radio bridge): nothing runs when the radio is disabled."""

from __future__ import annotations

from typing import Any

from bot.app import DispatchApp
from bot.settings import Settings


async def start(app: DispatchApp, settings: Settings) -> list[Any]:
    app.radio_enabled = False
    return []


async def stop(app: DispatchApp) -> None:
    return None
