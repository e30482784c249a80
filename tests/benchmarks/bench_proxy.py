"""Benchmark: CPU and latency per proxied legacy request (prints figures; not a pass/fail test).

Starts a minimal new-API upstream and the real proxy (``klaviyo-compat serve``, uvloop +
httptools, production transport) as separate processes on 127.0.0.1, drives a fixed number
of legacy E1 requests (GET /api/v1/person/{id}) and new-API pass-through requests, and
reads the proxy process's CPU time from /proc. Usage::

    python -m tests.benchmarks.bench_proxy [--requests 3000] [--concurrency 20] [--transport aiohttp|h1|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

KEY = "pk_" + "ab" * 17
PROFILE = (
    b'{"data":{"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H","attributes":{"email":"abe@example.com",'
    b'"first_name":"Abe","last_name":"Lincoln","location":{"city":"Springfield"},"properties":{"Plan":"Gold"},'
    b'"created":"2022-01-07T16:52:45+00:00","updated":"2022-01-07T16:52:56+00:00"}},"links":{}}'
)

UPSTREAM = f"""
import uvicorn
BODY = {PROFILE!r}
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({{"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/vnd.api+json")]}})
    await send({{"type": "http.response.body", "body": BODY}})
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="error",
            access_log=False, loop="uvloop", http="httptools")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient() as c:
        for _ in range(100):
            try:
                await c.get(url, timeout=1)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def drive(url: str, n: int, concurrency: int, headers: dict[str, str]) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        queue = iter(range(n))

        async def worker() -> None:
            for _ in queue:
                t = time.perf_counter()
                r = await client.get(url, headers=headers)
                latencies.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def report(name: str, lat: list[float], cpu: float, wall: float) -> None:
    lat.sort()
    n = len(lat)
    print(
        f"{name:<28} n={n:<6} proxy CPU/request={cpu / n * 1000:.3f} ms  "
        f"throughput={n / wall:,.0f} req/s  p50={statistics.median(lat) * 1000:.2f} ms  "
        f"p99={lat[int(n * 0.99) - 1] * 1000:.2f} ms"
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--transport", default="h1", choices=["aiohttp", "h1", "httpx"])
    ap.add_argument("--bare", action="store_true", help="access log and traffic record off")
    args = ap.parse_args()
    up_port, px_port = free_port(), free_port()
    upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM, str(up_port)])
    tmp = tempfile.mkdtemp(prefix="bench-compat-")
    # The stub upstream has no rate limits: the proxy's per-account budgets (Klaviyo's) are off.
    env = {
        **os.environ,
        "KLAVIYO_COMPAT_TRAFFIC_DB": f"{tmp}/traffic.sqlite3",
        "KLAVIYO_COMPAT_RATE_BUDGETS": "false",
    }
    if args.bare:
        env.update({"KLAVIYO_COMPAT_ACCESS_LOG": "false", "KLAVIYO_COMPAT_TRAFFIC_DB": "off"})
    proxy = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "proxy.cli",
            "serve",
            "--upstream",
            f"http://127.0.0.1:{up_port}",
            "--port",
            str(px_port),
            "--log-level",
            "warning",
            "--transport",
            args.transport,
        ],
        env=env,
        stdout=subprocess.DEVNULL,  # access lines are written (and cost CPU) but not shown
    )
    try:
        await wait_up(f"http://127.0.0.1:{up_port}/")
        await wait_up(f"http://127.0.0.1:{px_port}/_compat/health")
        base = f"http://127.0.0.1:{px_port}"
        await drive(f"{base}/api/v1/person/01GDDKASAP8TKDDA2GRZDSVP4H?api_key={KEY}", 200, 10, {})  # warm-up
        for name, url, headers in (
            ("legacy E1 GET person", f"{base}/api/v1/person/01GDDKASAP8TKDDA2GRZDSVP4H?api_key={KEY}", {}),
            (
                "new-API pass-through",
                f"{base}/api/profiles/01GDDKASAP8TKDDA2GRZDSVP4H",
                {"authorization": f"Klaviyo-API-Key {KEY}", "revision": "2026-07-15"},
            ),
        ):
            cpu0, t0 = cpu_seconds(proxy.pid), time.perf_counter()
            lat = await drive(url, args.requests, args.concurrency, headers)
            report(name, lat, cpu_seconds(proxy.pid) - cpu0, time.perf_counter() - t0)
        print(
            f"transport={args.transport} concurrency={args.concurrency} "
            + ("access log and traffic record off" if args.bare else "access log + traffic record on")
            + " (proxy: 1 process, uvloop + httptools)"
        )
    finally:
        for p in (proxy, upstream):
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
