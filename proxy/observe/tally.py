"""Counters and histograms on the request path kept as plain numbers, exposed at scrape time.

``prometheus_client``'s labelled children take a lock and walk their buckets on every update;
the legacy handler and the upstream observer update four of them per call. A ``Tally`` keeps
a dict of numbers per label tuple instead (updated only from the event loop's thread) and
turns them into the same metric families when ``/metrics`` is scraped, so the exposition is
what the library's own ``Counter`` and ``Histogram`` would print.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString


class CounterTally:
    """``inc(labels)``: a counter family with one value per label tuple."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self.values: dict[tuple[str, ...], float] = {}
        self.created: dict[tuple[str, ...], float] = {}

    def inc(self, labels: tuple[str, ...], amount: float = 1.0) -> None:
        values = self.values
        if labels in values:
            values[labels] += amount
        else:
            values[labels] = amount
            self.created[labels] = time.time()

    def family(self) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, value in list(self.values.items()):
            family.add_metric(labels, value, created=self.created[labels])
        return family


class HistogramTally:
    """``observe(labels, seconds)``: a histogram family over fixed ``buckets`` per label tuple."""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], buckets: Sequence[float]
    ) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self.bounds = tuple(float(b) for b in buckets)
        self.edges = [str(floatToGoString(b)) for b in self.bounds] + ["+Inf"]  # type: ignore[no-untyped-call]
        self.data: dict[tuple[str, ...], list[float]] = {}  # per bucket (not cumulative), then the sum
        self.created: dict[tuple[str, ...], float] = {}

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        row = self.data.get(labels)
        if row is None:
            row = self.data[labels] = [0.0] * (len(self.bounds) + 2)
            self.created[labels] = time.time()
        row[bisect_left(self.bounds, value)] += 1  # a bucket counts values <= its bound
        row[-1] += value

    def family(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, row in list(self.data.items()):
            running, buckets = 0.0, []
            for edge, count in zip(self.edges, row, strict=False):
                running += count
                buckets.append((edge, running))
            family.add_metric(list(labels), buckets, row[-1])
            created = dict(zip(self.labelnames, labels, strict=True))
            family.samples.append(Sample(f"{self.name}_created", created, self.created[labels]))
        return family


class Tallies(Collector):
    """The tallies of one registry, collected together."""

    def __init__(self, *tallies: CounterTally | HistogramTally) -> None:
        self.tallies = tallies

    def collect(self) -> Iterator[Metric]:
        for tally in self.tallies:
            yield tally.family()
