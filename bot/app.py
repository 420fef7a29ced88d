"""The one typed object the handlers, services and workers hang off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.settings import Settings
from bot.throttle import Throttle
from routing.table import RoutingTable
from storage.uow import Store

if TYPE_CHECKING:
    from bot.clockwatch import ClockWatch
    from bot.watchdog import Alarms

Clock = Callable[[], float]


@dataclass
class DispatchApp:
    settings: Settings
    store: Store
    routing: RoutingTable
    clock: Clock
    wake_telegram: Callable[[], None] = lambda: None
    wake_radio: Callable[[], None] = lambda: None
    radio_enabled: bool = False
    radio_connected: bool = False
    # A stranger is told once a minute that they are not registered; every attempt is still audited.
    stranger_replies: Throttle = field(default_factory=lambda: Throttle(limit=1, window=60.0))
    # Workers that re-read the database when something changed (the escalation scanner).
    wake_hooks: list[Callable[[], None]] = field(default_factory=list)
    # Set by the composition root: trouble that persists goes to the log and the admins (bot/watchdog.py);
    # the workers' waits are kept through wall clock steps (bot/clockwatch.py).
    alarms: Alarms | None = None
    clock_watch: ClockWatch | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.tz)

    def wake(self) -> None:
        self.wake_telegram()
        self.wake_radio()
        for hook in self.wake_hooks:
            hook()

    def supervisor_targets(self) -> list[int]:
        """Digests and escalations: the supervisors' chat when configured, else each supervisor privately."""
        if self.settings.chats.supervisors is not None:
            return [self.settings.chats.supervisors]
        return list(dict.fromkeys(self.settings.access.supervisors))

    def agency_chat(self, code: str) -> int | None:
        agency = self.settings.agencies.get(code)
        return agency.chat_id if agency else None

    def agency_channel(self, code: str) -> str | None:
        agency = self.settings.agencies.get(code)
        return agency.mumble_channel if agency else None

    def is_call_taker(self, user_id: int) -> bool:
        access = self.settings.access
        return user_id in access.call_takers or user_id in access.admins

    def is_supervisor(self, user_id: int) -> bool:
        access = self.settings.access
        return user_id in access.supervisors or user_id in access.admins

    def call_taker_target(self, call_taker_id: int) -> int:
        """Notices for the call taker: the call takers' group when configured, else their private chat."""
        return self.settings.chats.call_takers or call_taker_id
