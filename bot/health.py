"""Is this process fit to dispatch? The Telegram loop, the database and (when enabled) the radio link."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bot.app import DispatchApp
from bot.liveness import LoopState
from storage.metrics import MetricsRepo

DB_TIMEOUT = 2.0
STUCK_MARGIN = 10.0
FAILING_FOR = 5.0


@dataclass(frozen=True)
class Health:
    ok: bool
    role: str
    checks: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "tidak sehat", "role": self.role, "checks": self.checks}


def _telegram(app: DispatchApp, loop: LoopState, now: float) -> dict[str, Any]:
    # A long poll answers within poll_timeout: no success for that plus a margin means stuck; getUpdates
    # failing for FAILING_FOR seconds in a row (Telegram down, a 401) is unhealthy sooner.
    limit = app.settings.telegram.poll_timeout + STUCK_MARGIN
    failing = loop.failing_since is not None and now - loop.failing_since > FAILING_FOR
    if loop.last_poll_ok is None:  # the first long poll may take poll_timeout to answer: not stuck yet
        age = now - loop.started
        ok, detail = (
            age <= limit and not failing,
            f"belum ada getUpdates yang berhasil (mulai {age:.0f} dtk lalu)",
        )
    else:
        age = now - loop.last_poll_ok
        ok, detail = age <= limit and not failing, f"getUpdates terakhir berhasil {age:.0f} dtk lalu"
    if loop.last_error and not ok:
        detail += f"; galat terakhir: {loop.last_error}"
    return {"ok": ok, "detail": detail}


async def _database(app: DispatchApp) -> dict[str, Any]:
    began = time.monotonic()
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            async with app.store.reading(app.clock()) as tx:
                await MetricsRepo(tx.db).ping()
    except TimeoutError:
        return {"ok": False, "detail": f"tidak menjawab dalam {DB_TIMEOUT:.0f} dtk"}
    except Exception as exc:  # any storage failure is what this check exists to report
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:200]}
    return {"ok": True, "detail": f"{(time.monotonic() - began) * 1000:.1f} ms"}


def _radio(app: DispatchApp) -> dict[str, Any]:
    if not app.radio_enabled:
        return {"ok": True, "detail": "radio tidak diaktifkan"}
    return {"ok": app.radio_connected, "detail": "tersambung" if app.radio_connected else "terputus"}


async def check(app: DispatchApp, loop: LoopState, role: str = "active") -> Health:
    now = time.monotonic()
    if role == "standby":  # no Telegram loop and no radio by design: fit to take over = the database answers
        checks = {"database": await _database(app), "lease": {"ok": True, "detail": "siaga: menunggu lease"}}
        return Health(all(c["ok"] for c in checks.values()), role, checks)
    checks = {"telegram": _telegram(app, loop, now), "database": await _database(app), "radio": _radio(app)}
    return Health(all(c["ok"] for c in checks.values()), role, checks)
