"""Benchmark: the proxy's own CPU per request, in process (prints figures; not a pass/fail test).

Drives the ASGI app directly (no server, no client sockets) with production defaults (access
log on, written to /dev/null; traffic record on, to a temporary SQLite file) against an
upstream: an ``httpx.MockTransport`` with the canned answers by default, or a real one with
``--upstream URL`` (e.g. the nginx stand-in of the side-by-side benchmark, README "Performance"; production transport).
Rate budgets keep their default mode (``upstream``: a budget engages once the upstream declares
its limits, which neither upstream here does); ``--budgets spec`` budgets by the spec's tiers
from the first call, so one key at thousands of calls a second measures 429 answers and spooled
writes. ``time.process_time()`` counts every thread of this process (the traffic writer's included),
so the figure is stable on a busy machine, unlike wall-clock rates. Usage::

    python -m tests.benchmarks.bench_inprocess [--requests 5000] [--concurrency 32]
        [--rows identify,person,get] [--upstream http://127.0.0.1:18081] [--no-access-log] [--no-record]
    python -m tests.benchmarks.bench_inprocess --memory 200000 --rows identify   # RSS every 10 %
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import gc
import json
import os
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from proxy.engine.app import create_app
from proxy.engine.engine import Overrides
from proxy.observe.logs import configure
from proxy.settings import Settings

KEY = "pk_0123456789abcdef0123456789abcdef01"
PROFILE_ID = "01GDDKASAP8TKDDA2GRZDSVP4H"
PROFILE = (
    b'{"data":{"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H","attributes":{'
    b'"email":"sarah.mason@klaviyo-demo.com","phone_number":"+15005550006",'
    b'"first_name":"Sarah","last_name":"Mason","organization":"Klaviyo","title":"Engineer",'
    b'"created":"2022-11-08T00:00:00+00:00","updated":"2022-11-08T00:00:00+00:00",'
    b'"location":{"city":"New York","country":"United States","region":"NY","zip":"10017"},'
    b'"properties":{"plan":"gold","favorite_color":"blue"}},'
    b'"links":{"self":"https://a.klaviyo.com/api/profiles/01GDDKASAP8TKDDA2GRZDSVP4H/"}}}'
)
_IDENTIFY = {
    "token": "PUBLIC_KEY",
    "properties": {
        "$email": "sarah.mason@klaviyo-demo.com",
        "$first_name": "Sarah",
        "$phone_number": "+15005550006",
        "plan": "gold",
    },
}
ROWS = {
    # name -> (path, query): the rows of the side-by-side benchmark (compare.sh, README "Performance")
    "identify": ("/api/identify", "data=" + quote(base64.b64encode(json.dumps(_IDENTIFY).encode()).decode())),
    "person": (f"/api/v1/person/{PROFILE_ID}", f"api_key={KEY}"),
    "get": (f"/api/profiles/{PROFILE_ID}/", "fields%5Bprofile%5D=email,first_name"),
}
STATUSES: Counter[int] = Counter()  # every answer's status, printed with the figures
HEADERS = [(b"host", b"127.0.0.1:18090"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]


def canned(request: httpx.Request) -> httpx.Response:
    if request.url.path.startswith("/client/"):
        return httpx.Response(202)
    return httpx.Response(200, content=PROFILE, headers={"content-type": "application/vnd.api+json"})


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def one(app: Any, path: str, query: str) -> int:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": HEADERS,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 18090),
        "state": {},
    }
    status = 0
    sent = False
    done = asyncio.Event()  # as a server does: a second receive() waits for the end of the answer

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)
    return status


async def drive(app: Any, row: str, n: int, concurrency: int, every: Callable[[int], None] | None) -> None:
    path, query = ROWS[row]
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            status = await one(app, path, query)
            STATUSES[status] += 1
            if every is not None:
                every(i)
            # Back to the event loop between requests, as a server's per-request tasks are: with the
            # in-memory upstream a request may never yield, and uvloop closes the timers a request
            # cancelled (asyncio.timeout) only when the loop turns.
            await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            upstream=args.upstream or "http://upstream.invalid",
            traffic_db=str(Path(tmp) / "traffic.sqlite3") if args.record else "off",
            access_log=args.access_log,
            sunset="2030-01-01",
        )
        if args.budgets:
            settings = dataclasses.replace(settings, rate_budgets=args.budgets)
        transport = None if args.upstream else httpx.MockTransport(canned)
        app = create_app(settings, overrides=Overrides(transport=transport))
        async with app.router.lifespan_context(app):
            for row in args.rows.split(","):
                await drive(app, row, args.warmup, args.concurrency, None)
                if args.memory:
                    await memory(app, row, args)
                    continue
                gc.collect()
                STATUSES.clear()
                cpu, wall = time.process_time(), time.perf_counter()
                await drive(app, row, args.requests, args.concurrency, None)
                await settle(app)  # the records of these requests written: their CPU counted too
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                print(
                    f"{row:9} {args.requests} requests  cpu {cpu * 1e3 / args.requests:.3f} ms/request"
                    f"  ({args.requests / wall:,.0f} req/s wall, in process)"
                    f"  statuses {dict(sorted(STATUSES.items()))}"
                )
                writer = app.state.engine.running.writer
                if writer is not None:
                    print(f"{'':9} traffic record: {writer.written} written, {writer.dropped} dropped so far")


async def settle(app: Any) -> None:
    """Wait until the traffic writer has written (or dropped) every queued record."""
    writer = app.state.engine.running.writer
    while writer is not None and (writer.queue.qsize() or writer._batch):
        await asyncio.sleep(0.005)


async def memory(app: Any, row: str, args: argparse.Namespace) -> None:
    n, step = args.memory, max(1, args.memory // 10)
    marks: list[tuple[int, int]] = []

    def every(i: int) -> None:
        if (i + 1) % step == 0:
            marks.append((i + 1, rss_kib()))

    gc.collect()
    start = rss_kib()
    await drive(app, row, n, args.concurrency, every)
    for done, kib in marks:
        print(f"{row:9} after {done:>8,} requests  RSS {kib / 1024:7.1f} MiB")
    first = marks[0][1]
    growth = (marks[-1][1] - first) / first * 100
    print(f"{row:9} RSS {start / 1024:.1f} MiB at start; {growth:+.1f} % from the first 10 % to the end")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=500, help="requests per row before measuring")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rows", default="identify,person,get")
    parser.add_argument("--upstream", default="", help="a real new-API stand-in (default: in-memory)")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--no-record", dest="record", action="store_false")
    parser.add_argument(
        "--budgets",
        choices=("upstream", "spec", "off"),
        help="the rate budgets' mode (default: the settings' default, see above)",
    )
    parser.add_argument("--memory", type=int, default=0, help="RSS across this many requests per row")
    args = parser.parse_args()
    with open(os.devnull, "w") as sink:
        configure("info", "json", stream=sink)
        try:
            import uvloop  # what `klaviyo-compat serve` runs on

            factory: Any = uvloop.new_event_loop
        except ImportError:  # pragma: no cover
            factory = None
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(run(args))


if __name__ == "__main__":
    main()
