"""Recording stays off the request path at the application level: with the traffic store stuck
inside a write (a dead disk), concurrent legacy requests are still answered promptly."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx

from proxy import create_app
from proxy.traffic.record import TrafficRecord
from proxy.traffic.store import CallerUsage, DayCount
from tests.proxy.migration.harness import KEY_A, PROFILE_ID, FakeUpstream, serve, track_query
from tests.proxy.migration.test_report import _settings


class StuckStore:
    """A traffic store whose writes block until ``release`` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.written: list[TrafficRecord] = []
        self.closed = False

    def write(self, records: Sequence[TrafficRecord]) -> None:
        self.entered.set()
        self.release.wait(30)
        self.written.extend(records)

    def usage(self, since: float, until: float) -> list[CallerUsage]:
        return []

    def total(self, since: float, until: float) -> int:
        return 0

    def daily(self, since: float, until: float) -> list[DayCount]:
        return []

    def prune(self, before: float) -> int:
        return 0

    def close(self) -> None:
        self.closed = True


def test_legacy_requests_complete_while_the_store_is_stuck(tmp_path: Path) -> None:
    store = StuckStore()
    settings = replace(_settings(tmp_path / "unused.sqlite3"), traffic_batch_size=1, traffic_queue_size=50)
    app = create_app(settings, transport=FakeUpstream().transport(), traffic_store=store)
    with serve(app) as s:
        with httpx.Client(base_url=s.url, timeout=5) as client:
            assert client.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code == 200
        assert store.entered.wait(5)  # the writer is now stuck inside write()

        def call(i: int) -> tuple[int, float]:
            started = time.perf_counter()
            with httpx.Client(base_url=s.url, timeout=5) as client:
                if i % 2:
                    r = client.get("/api/track", params=track_query(event=f"E{i}"))
                else:
                    r = client.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A})
            return r.status_code, time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(call, range(40)))
        elapsed = time.perf_counter() - started
        assert {status for status, _ in results} == {200}
        assert max(seconds for _, seconds in results) < 2.0 and elapsed < 5.0
        assert not store.written  # nothing got through: the disk is still stuck
        store.release.set()
    assert len(store.written) == 41  # queued records are written once the disk is back
    assert not store.closed  # an injected store is its owner's to close
