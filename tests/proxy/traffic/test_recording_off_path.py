"""Recording stays off the request path at the application level: with the traffic store stuck
inside a write (a dead disk), concurrent legacy requests are still all answered."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx

from proxy import Overrides, create_app
from tests.proxy.harness import (
    KEY_A,
    PROFILE_ID,
    FakeUpstream,
    StuckStore,
    serve,
    track_query,
    traffic_settings,
)


def test_legacy_requests_complete_while_the_store_is_stuck(tmp_path: Path) -> None:
    store = StuckStore()
    settings = replace(
        traffic_settings(tmp_path / "unused.sqlite3"), traffic_batch_size=1, traffic_queue_size=50
    )
    app = create_app(settings, overrides=Overrides(transport=FakeUpstream().transport(), traffic_store=store))
    with serve(app) as s:
        with httpx.Client(base_url=s.url, timeout=5) as client:
            assert client.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code == 200
        assert store.entered.wait(5)  # the writer is now stuck inside write()

        def call(i: int) -> int:
            with httpx.Client(base_url=s.url, timeout=5) as client:
                if i % 2:
                    return client.get("/api/track", params=track_query(event=f"E{i}")).status_code
                return client.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(call, range(40)))
        # Every request was answered while the writer is still stuck inside write(): the store
        # is not on the request path. (How fast answers are is the benchmarks' business.)
        assert statuses == [200] * 40
        assert not store.release.is_set() and not store.written
        store.release.set()
    assert len(store.written) == 41  # queued records are written once the disk is back
    assert not store.closed  # an injected store is its owner's to close
