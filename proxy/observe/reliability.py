"""Metrics of the write spool, the rate budgets and the circuit breakers (on the app's registry).

Labels are new-API operation ids from the pinned spec and outcome words only: never an
account, key, token or payload.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge


class ReliabilityMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.spool_writes = Counter(
            "klaviyo_compat_spool_writes",
            "Fire-and-forget writes, by upstream operation and outcome "
            "(spooled, delivered, dead = dead-lettered).",
            ["operation", "outcome"],
            registry=r,
        )
        self.spool_pending = Gauge(
            "klaviyo_compat_spool_pending", "Writes waiting in the spool for delivery.", registry=r
        )
        self.spool_dead = Gauge(
            "klaviyo_compat_spool_dead_letters",
            "Writes upstream refused for good (klaviyo-compat spool list|retry|purge).",
            registry=r,
        )
        self.budget_spent = Counter(
            "klaviyo_compat_rate_budget_spent",
            "Calls that found their account's rate budget spent, by upstream operation.",
            ["operation"],
            registry=r,
        )
        self.breaker_opened = Counter(
            "klaviyo_compat_circuit_opened",
            "Times a circuit breaker opened, by upstream operation.",
            ["operation"],
            registry=r,
        )

    def spooled(self, operation: str) -> None:
        self.spool_writes.labels(operation, "spooled").inc()

    def delivered(self, operation: str) -> None:
        self.spool_writes.labels(operation, "delivered").inc()

    def dead(self, operation: str) -> None:
        self.spool_writes.labels(operation, "dead").inc()

    def spent(self, operation: str) -> None:
        self.budget_spent.labels(operation).inc()

    def opened(self, operation: str) -> None:
        self.breaker_opened.labels(operation).inc()

    def track_sizes(self, counts: Callable[[], tuple[int, int]]) -> None:
        """Read the spool's sizes at every scrape."""
        self.spool_pending.set_function(lambda: counts()[0])
        self.spool_dead.set_function(lambda: counts()[1])
