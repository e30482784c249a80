"""SIGTERM with calls in flight against a hanging upstream: the proxy exits within its bound.

``shutdown_timeout`` (uvicorn's ``timeout_graceful_shutdown``) bounds how long in-flight calls
may run; then the engine closes (traffic flushed, spool consistent). Before issue 8 a hanging
upstream kept SIGTERM waiting for ``read_timeout``.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from proxy.sandbox import DEMO_PRIVATE_KEY
from tests.faults.serve import Proxy, free_port, write_config
from tests.faults.upstream import FaultUpstream


def test_sigterm_with_calls_hanging_upstream_exits_within_the_shutdown_bound(tmp_path: Path) -> None:
    with FaultUpstream() as upstream:
        port = free_port()
        config = write_config(
            tmp_path, upstream.url, port, read_timeout=20.0, request_deadline=30.0, shutdown_timeout=1.0
        )
        proxy = Proxy(config, port)
        proxy.start()
        for _ in range(3):  # recorded calls, waiting in the traffic batch
            httpx.get(f"http://127.0.0.1:{port}/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY})
        upstream.set_mode("hang")
        answers: list[str] = []

        def call() -> None:
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/api/v2/lists", params={"api_key": DEMO_PRIVATE_KEY}, timeout=30
                )
                answers.append(str(r.status_code))
            except httpx.HTTPError as exc:
                answers.append(type(exc).__name__)

        threads = [threading.Thread(target=call) for _ in range(5)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        assert proxy.proc is not None
        started = time.monotonic()
        proxy.proc.send_signal(signal.SIGTERM)
        code = proxy.proc.wait(15)
        took = time.monotonic() - started
        for t in threads:
            t.join(5)
    print(f"\nSIGTERM with 5 calls hanging: exited in {took:.2f} s (code {code}), callers got {answers}")
    assert took < 4.0  # shutdown_timeout 1 s plus closing, not read_timeout (20 s)
    assert answers == ["503"] * 5  # legacy-shaped (Retry-After), not a 500 with a traceback
    with sqlite3.connect(tmp_path / "state" / "traffic.sqlite3") as db:
        recorded = db.execute("SELECT sum(calls) FROM legacy_calls").fetchone()[0]
    assert recorded >= 3  # the batch was flushed on the way out
