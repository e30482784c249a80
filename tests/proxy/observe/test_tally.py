"""Tallies expose exactly what prometheus_client's own Counter and Histogram would."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from proxy.observe.metrics import LATENCY_BUCKETS
from proxy.observe.tally import CounterTally, HistogramTally, Tallies

CALLS = st.lists(
    st.tuples(
        st.sampled_from(["E1", "A3", "F6"]),
        st.sampled_from(["translate", "reject"]),
        st.one_of(st.sampled_from([0.0, *LATENCY_BUCKETS, 31.0]), st.floats(0, 60, allow_nan=False)),
    ),
    max_size=60,
)


def _created_free(text: str) -> str:
    return re.sub(r"(_created\{[^}]*\}) \S+", r"\1 T", text)


@given(CALLS)
def test_the_exposition_is_the_libraries_own(calls: list[tuple[str, str, float]]) -> None:
    native = CollectorRegistry()
    counter = Counter("t_requests", "Calls.", ["operation", "mode"], registry=native)
    histogram = Histogram("t_seconds", "Time.", ["operation"], buckets=LATENCY_BUCKETS, registry=native)
    tallied = CollectorRegistry()
    count = CounterTally("t_requests", "Calls.", ["operation", "mode"])
    seconds = HistogramTally("t_seconds", "Time.", ["operation"], LATENCY_BUCKETS)
    tallied.register(Tallies(count, seconds))
    for operation, mode, value in calls:
        counter.labels(operation, mode).inc()
        histogram.labels(operation).observe(value)
        count.inc((operation, mode))
        seconds.observe((operation,), value)
    assert _created_free(generate_latest(tallied).decode()) == _created_free(generate_latest(native).decode())
