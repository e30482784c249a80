"""``klaviyo-compat recorder``'s own metrics, beside the usual registry of its ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class RecorderMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "klaviyo_compat_recorder_records",
            "Traffic records stored from the shared stream.",
            registry=registry,
        )
        self.batches = Counter(
            "klaviyo_compat_recorder_batches",
            "Replica batches stored from the shared stream.",
            registry=registry,
        )
        self.duplicates = Counter(
            "klaviyo_compat_recorder_duplicate_batches",
            "Batches a replica appended twice (its first append's answer was lost), stored once.",
            registry=registry,
        )
        self.lost_entries = Counter(
            "klaviyo_compat_recorder_lost_entries",
            "Stream entries not stored: trimmed by traffic_stream_entries while pending, or unreadable.",
            ["reason"],
            registry=registry,
        )
        self.backlog = Gauge(
            "klaviyo_compat_recorder_backlog",
            "Stream entries (replica batches) not yet stored, as Redis counts them (the group's lag "
            "plus read and not acknowledged; entries the cap trimmed before they were read still "
            "count until the recorder passes them); -1 when Redis cannot tell.",
            registry=registry,
        )
        self.stream_up = Gauge(
            "klaviyo_compat_recorder_stream_up",
            "1 while the Redis of the shared traffic stream answers the recorder.",
            registry=registry,
        )

    def stored(self, records: int, batches: int, duplicates: int) -> None:
        self.records.inc(records)
        self.batches.inc(batches)
        if duplicates:
            self.duplicates.inc(duplicates)

    def lost(self, reason: str) -> None:
        self.lost_entries.labels(reason=reason).inc()

    def state_up(self, up: bool) -> None:
        self.stream_up.set(1 if up else 0)
