"""Benchmark: legacy request latency with the traffic record healthy and with its store stuck
inside a write, a dead disk (prints figures; not a pass/fail test).

``tests/proxy/traffic/test_recording_off_path.py`` asserts that requests are answered while the
store is stuck; how fast they are answered is measured here. The proxy runs in-process under
uvicorn on 127.0.0.1 in front of the fake new API of ``tests/proxy/harness.py``, with the load
generator in the same process: compare the two lines with each other, not with production. Usage::

    python -m tests.benchmarks.bench_recording [--requests 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from proxy import Overrides, create_app
from proxy.observe.logs import configure
from tests.proxy.harness import KEY_A, PROFILE_ID, FakeUpstream, StuckStore, serve, traffic_settings


async def drive(url: str, n: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency), timeout=30) as client:
        queue = iter(range(n))

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sorted(latencies)


def measure(name: str, stuck: StuckStore | None, db: Path, requests: int, concurrency: int) -> None:
    """``stuck`` None: the proxy records to its own SQLite store at ``db``."""
    settings = replace(traffic_settings(db), traffic_batch_size=50, traffic_queue_size=100_000)
    app = create_app(settings, overrides=Overrides(transport=FakeUpstream().transport(), traffic_store=stuck))
    url_path = f"/api/v1/person/{PROFILE_ID}?api_key={KEY_A}"
    with serve(app) as served:
        asyncio.run(drive(served.url + url_path, 100, 10))  # warm-up
        started = time.perf_counter()
        lat = asyncio.run(drive(served.url + url_path, requests, concurrency))
        wall = time.perf_counter() - started
        if stuck is not None:
            stuck.release.set()  # so the writer can drain on shutdown
    print(
        f"{name:<22} n={len(lat):<6} throughput={len(lat) / wall:,.0f} req/s  "
        f"p50={statistics.median(lat) * 1000:.2f} ms  p99={lat[int(len(lat) * 0.99) - 1] * 1000:.2f} ms  "
        f"max={lat[-1] * 1000:.2f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=20)
    args = ap.parse_args()
    configure("warning", "json")  # the figures only
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as tmp:
        db = Path(tmp) / "traffic.sqlite3"
        measure("store healthy (SQLite)", None, db, args.requests, args.concurrency)
        measure("store stuck in write", StuckStore(), db, args.requests, args.concurrency)


if __name__ == "__main__":
    main()
