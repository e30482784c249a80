"""Prometheus metrics (``/metrics``), one registry per app.

Labels are bounded: legacy operation ids (plus ``unmapped``), the four modes, status classes,
new-API operation ids from the pinned spec and HTTP status codes. Never a raw path, key,
token or caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

from proxy.observe.tally import CounterTally, HistogramTally, Tallies

_LEADING_INT = re.compile(r"^\s*(\d+)")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Implements ``proxy.engine.upstream.UpstreamObserver``; the legacy handler reports each call."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # Updated on every call: plain numbers, exposed at scrape (proxy.observe.tally).
        self.legacy_requests = CounterTally(
            "klaviyo_compat_legacy_requests",
            "Legacy requests answered, by operation, mode and status class.",
            ["operation", "mode", "status_class"],
        )
        self.public_answers = CounterTally(
            "klaviyo_compat_public_answers",
            "Track/identify answers: 1 (accepted) or 0 (rejected), with the rejection's reason code.",
            ["operation", "answer", "reason"],
        )
        self.legacy_latency = HistogramTally(
            "klaviyo_compat_legacy_request_duration_seconds",
            "Time to answer a legacy request.",
            ["operation"],
            LATENCY_BUCKETS,
        )
        self.upstream_requests = CounterTally(
            "klaviyo_compat_upstream_requests",
            "New-API calls made, by operation and HTTP status.",
            ["operation", "status"],
        )
        self.upstream_latency = HistogramTally(
            "klaviyo_compat_upstream_request_duration_seconds",
            "New-API call duration.",
            ["operation"],
            LATENCY_BUCKETS,
        )
        r.register(
            Tallies(
                self.legacy_requests,
                self.public_answers,
                self.legacy_latency,
                self.upstream_requests,
                self.upstream_latency,
            )
        )
        self.ratelimit_remaining = Gauge(
            "klaviyo_compat_upstream_ratelimit_remaining",
            "Last RateLimit-Remaining the new API reported, by operation.",
            ["operation"],
            registry=r,
        )
        self.traffic_dropped = Counter(
            "klaviyo_compat_traffic_records_dropped",
            "Traffic records not stored (queue full or store failure).",
            registry=r,
        )
        self._status_class: dict[int, str] = {}
        self.mode_reloads = Counter(
            "klaviyo_compat_mode_reloads",
            "Mode table reloads, by result (ok or refused).",
            ["result"],
            registry=r,
        )

        self.state_backend_up = Gauge(
            "klaviyo_compat_state_backend_up",
            "1 while the shared state backend (state_url) answers, 0 while it does not; "
            "always 1 for in-process state.",
            registry=r,
        )
        self.state_backend_up.set(1)

    def state_backend(self, up: bool) -> None:
        self.state_backend_up.set(1 if up else 0)

    def legacy(self, operation: str, mode: str, status: int, seconds: float) -> None:
        status_class = self._status_class.get(status)
        if status_class is None:
            status_class = self._status_class[status] = f"{status // 100}xx"
        self.legacy_requests.inc((operation, mode, status_class))
        self.legacy_latency.observe((operation,), seconds)

    def public_answer(self, operation: str, answer: str, reason: str) -> None:
        """A track/identify answer; ``reason`` is a code (``no_identifier``, ``upstream_409``...) or ""."""
        self.public_answers.inc((operation, answer, reason))

    def upstream(self, operation: str, status: str, seconds: float, headers: Mapping[str, str]) -> None:
        self.upstream_requests.inc((operation, status))
        self.upstream_latency.observe((operation,), seconds)
        m = _LEADING_INT.match(headers.get("ratelimit-remaining", ""))
        if m:
            self.ratelimit_remaining.labels(operation).set(int(m.group(1)))

    def dropped(self, n: int = 1) -> None:
        self.traffic_dropped.inc(n)

    def reload(self, result: str) -> None:
        self.mode_reloads.labels(result).inc()

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
