"""The one typed object the handlers, services and workers hang off."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.liveness import LoopState
from bot.roster import CALL_TAKERS, SUPERVISORS, Roster, agency_key, load_roster, roster_from_settings
from bot.settings import Settings
from bot.throttle import Throttle
from routing.table import RoutingTable
from storage.uow import Store

if TYPE_CHECKING:
    from bot.clockwatch import ClockWatch
    from bot.watchdog import Alarms

Clock = Callable[[], float]
# How long after a change the workers re-read the database (DispatchApp.wake).
WAKE_DELAY = 0.005


@dataclass
class DispatchApp:
    settings: Settings
    store: Store
    routing: RoutingTable
    clock: Clock
    wake_telegram: Callable[[], None] = lambda: None
    wake_radio: Callable[[], None] = lambda: None
    # Set by the Telegram delivery worker: may a new card to this chat open its send attempt early?
    claim_send: Callable[[str], bool] = lambda _target: False
    radio_enabled: bool = False
    radio_connected: bool = False
    # A stranger is told once a minute that they are not registered; every attempt is still audited.
    stranger_replies: Throttle = field(default_factory=lambda: Throttle(limit=1, window=60.0))
    # Workers that re-read the database when something changed (the escalation scanner).
    wake_hooks: list[Callable[[], None]] = field(default_factory=list)
    # Who does what and which group is whose (bot/roster.py); reload_roster() after each roster change.
    roster: Roster = field(default_factory=Roster)
    bot_username: str = ""
    # Active and standby (bot/standby.py): this process's role, and the fence every outgoing Bot API
    # request and Mumble send calls first (it raises storage.lease.LeaseLost once the lease is not certain).
    role: str = "active"
    fence: Callable[[], None] = lambda: None
    _wake_due: bool = False
    _cards_ahead_until: float = 0.0  # event loop time; see cards_ahead
    _recorded: asyncio.Event = field(default_factory=asyncio.Event)  # see sent_recorded

    def __post_init__(self) -> None:
        if not self.roster.groups and not self.roster.people:
            self.roster = roster_from_settings(self.settings)

    async def reload_roster(self) -> None:
        async with self.store.reading(self.clock()) as tx:
            self.roster = await load_roster(tx, self.settings)

    # The poll loop's heartbeat, for /healthz.
    liveness: LoopState = field(default_factory=LoopState)
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
        """Something changed: the workers re-read the database, a few ms from now (coalesced). A new
        incident's cards are already on their way (storage/uow.py Store.launcher); the workers'
        passes, run at once, took the event loop from them before their requests were written
        (p50 +3 ms, p95 +7 ms to the first card in bench 1b)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a CLI command, a synchronous test): at once
            self._wake_now()
            return
        if not self._wake_due:
            self._wake_due = True
            loop.call_later(WAKE_DELAY, self._wake_now)

    def sent_recorded(self) -> None:
        """The delivery worker committed a send's result (its message id): wakes next_recorded."""
        event, self._recorded = self._recorded, asyncio.Event()
        event.set()

    def next_recorded(self) -> asyncio.Event:
        """Set at the next sent_recorded. Take it before reading what it may change: none is missed."""
        return self._recorded

    def cards_ahead(self, seconds: float) -> None:
        """A new incident's cards were just launched: what can wait (the poller's next getUpdates)
        leaves their requests this long to be built and written first (bot/delivery.py CARDS_AHEAD)."""
        self._cards_ahead_until = asyncio.get_running_loop().time() + seconds

    async def behind_new_cards(self) -> None:
        wait = self._cards_ahead_until - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)

    def _wake_now(self) -> None:
        self._wake_due = False
        self.wake_telegram()
        self.wake_radio()
        for hook in self.wake_hooks:
            hook()

    def supervisor_targets(self) -> list[int]:
        """Digests and escalations: the supervisors' chat when bound and reachable, else each supervisor."""
        chat = self.roster.reachable_chat(SUPERVISORS)
        if chat is not None:
            return [chat]
        return list(dict.fromkeys(self.roster.with_role("supervisor")))

    def agency_chat(self, code: str) -> int | None:
        """The agency's group, or None (phone) when it has none or the bot cannot post there."""
        return self.roster.reachable_chat(agency_key(code))

    def agency_channel(self, code: str) -> str | None:
        group = self.roster.groups.get(agency_key(code))
        return group.mumble_channel if group else None

    def agency_phone(self, code: str) -> str | None:
        group = self.roster.groups.get(agency_key(code))
        return group.phone if group else None

    def phone_label(self, code: str) -> str:
        """HTML for "phone this agency" lines: the name, its number when known, and why it has no card."""
        group = self.roster.groups.get(agency_key(code))
        name = html.escape(self.routing.agency_short(code), quote=False)
        number = f" <b>{html.escape(group.phone, quote=False)}</b>" if group and group.phone else ""
        if group is not None and group.chat_id is not None and not group.reachable:
            return f"{name}{number} (grup tidak terjangkau)"
        return f"{name}{number}"

    def mumble_agency(self, name: str) -> str | None:
        """The agency a Mumble user speaks for, or None (refused)."""
        return self.roster.mumble.get(name)

    def is_call_taker(self, user_id: int) -> bool:
        return self.roster.has(user_id, "call_taker") or self.is_admin(user_id)

    def is_supervisor(self, user_id: int) -> bool:
        return self.roster.has(user_id, "supervisor") or self.is_admin(user_id)

    def is_admin(self, user_id: int) -> bool:
        return self.roster.has(user_id, "admin")

    def call_taker_target(self, call_taker_id: int) -> int:
        """Notices for the call taker: the call takers' group when bound and reachable, else their private chat."""
        return self.roster.reachable_chat(CALL_TAKERS) or call_taker_id

    def call_taker_chats(self) -> list[int]:
        """Broadcasts to every call taker: their group, else each one privately."""
        group = self.roster.reachable_chat(CALL_TAKERS)
        return [group] if group else list(dict.fromkeys(self.roster.with_role("call_taker")))
