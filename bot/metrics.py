"""Prometheus metrics: what the outbox holds and how old it is, what Telegram answered, how long an
incident waited for its first card, the radio link, escalations fired, this process's role.

Counters of what this process did (requests by outcome) live in memory, as Prometheus expects; the
figures that are facts of the database (queue depths, escalations, which are never pruned) are read
from it at each scrape, so a restart does not make them lie.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.app import DispatchApp
from bot.ports import DeliveryError, TelegramPort
from storage.metrics import MetricsRepo

# From a fraction of a second (the goal) to the minutes a saturated group can take.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def outcome_of(exc: Exception | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, DeliveryError):
        if exc.retry_after is not None:
            return "429"
        if exc.permanent:
            return "permanent"
        if exc.uncertain:
            return "timeout"
        return "error"
    return "bug"


class _Snapshot(Collector):
    """The database's figures as of the last refresh(); prometheus-client collects synchronously."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, str, int, float]] = []
        self.failed = 0
        self.escalations: dict[str, int] = {}
        self.now = 0.0
        self.radio: tuple[bool, bool] = (False, False)
        self.role = "active"

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "dispatch_outbox_pending", "Messages waiting for delivery", labels=["channel", "kind"]
        )
        age = GaugeMetricFamily("dispatch_outbox_oldest_age_seconds", "Age of the oldest waiting message",
                                labels=["channel", "kind"])  # fmt: skip
        for channel, kind, count, oldest in self.pending:
            depth.add_metric([channel, kind], count)
            age.add_metric([channel, kind], max(self.now - oldest, 0.0))
        yield depth
        yield age
        yield GaugeMetricFamily("dispatch_outbox_failed", "Messages Telegram refused for good (kept until pruned)",
                                value=self.failed)  # fmt: skip
        fired = CounterMetricFamily("dispatch_escalations", "Escalation steps fired", labels=["stage"])
        for stage, count in sorted(self.escalations.items()):
            fired.add_metric([stage], count)
        yield fired
        enabled, connected = self.radio
        link = GaugeMetricFamily("dispatch_radio_connected", "1 when the Mumble link is up (radio enabled)",
                                 labels=["enabled"])  # fmt: skip
        link.add_metric(["true" if enabled else "false"], 1.0 if connected else 0.0)
        yield link
        role = GaugeMetricFamily("dispatch_role", "This process's role", labels=["role"])
        role.add_metric([self.role], 1.0)
        yield role


class Metrics:
    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("dispatch_telegram_requests", "Bot API requests by method and outcome",
                                ["method", "outcome"], registry=self.registry)  # fmt: skip
        self.first_card = Histogram(
            "dispatch_first_card_seconds", "From an incident stored to its card accepted by Telegram",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.snapshot = _Snapshot()
        self.registry.register(self.snapshot)
        # A process observes the first cards sent from its start on; the watermark then moves to the
        # newest one observed (sent_at has microseconds: two cards never share one).
        self._cards_since = wall()

    async def refresh(self, app: DispatchApp) -> None:
        async with app.store.reading(app.clock()) as tx:
            repo = MetricsRepo(tx.db)
            pending = await repo.outbox_pending()
            failed = await repo.outbox_failed()
            escalations = await repo.escalations()
            cards = await repo.first_cards_since(self._cards_since)
        snap = self.snapshot
        snap.pending, snap.failed, snap.escalations = pending, failed, escalations
        snap.now, snap.radio = app.clock(), (app.radio_enabled, app.radio_connected)
        snap.role = app.role
        for _assignment_id, sent_at, seconds in cards:
            self.first_card.observe(seconds)
            self._cards_since = max(self._cards_since, sent_at)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def metered(self, port: TelegramPort) -> TelegramPort:
        return cast(TelegramPort, _MeteredPort(port, self.requests))


class _MeteredPort:
    """Counts every call through the Telegram port by method and outcome, and changes nothing else:
    the delivery worker sees the same results and the same errors."""

    def __init__(self, inner: TelegramPort, requests: Counter) -> None:
        self._inner = inner
        self._requests = requests

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attr):
            return attr
        requests = self._requests

        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await attr(*args, **kwargs)
            except Exception as exc:
                requests.labels(name, outcome_of(exc)).inc()
                raise
            requests.labels(name, "ok").inc()
            return result

        return call
