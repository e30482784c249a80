"""Benchmark: CPU per upstream call of the proxy's client layers (prints figures; not a pass/fail test).

Rows: aiohttp used bare (one ``ClientSession``, ``async with session.get(...)``, ``read()``: the
floor), the aiohttp pool (``AiohttpExchange.send``), the production pool (``H1Exchange.send``),
``Upstream.send`` over each (URL from the operation table, headers, orjson decode, ``Reply``) and
the httpcore pool (``transport = "httpx"``).
Each row sends ``--requests`` GETs from ``--concurrency`` tasks on uvloop, after a warm-up of the
same size. The upstream is a canned ~700-byte JSON:API answer from a raw asyncio server in this
process (its CPU is in every row alike), or ``--upstream URL`` (e.g. the nginx stand-in of the
side-by-side benchmark, README "Performance"). ``time.process_time()`` per request::

    python -m tests.benchmarks.bench_client [--requests 4000] [--concurrency 16] [--upstream URL]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import uvloop

from mappings.upstream_ops import SPEC_OPERATIONS
from proxy.engine.pools import build_pool
from proxy.engine.upstream import Upstream
from proxy.settings import Settings

PROFILE = "01GDDKASAP8TKDDA2GRZDSVP4H"
BODY = (
    b'{"data":{"type":"profile","id":"'
    + PROFILE.encode()
    + b'","attributes":{"email":"sarah.mason@example.com",'
    b'"phone_number":"+15005550006","first_name":"Sarah","last_name":"Mason","organization":"Example",'
    b'"title":"Engineer","image":null,"created":"2022-09-20T17:06:23+00:00","updated":"2022-09-20T17:06:23+00:00",'
    b'"last_event_date":null,"location":{"address1":"89 E 42nd St","city":"New York","country":"United States",'
    b'"region":"NY","zip":"10017","timezone":"America/New_York"},"properties":{"plan":"gold"}}},'
    b'"links":{"self":"https://a.klaviyo.com/api/profiles/' + PROFILE.encode() + b'/"}}'
)
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.api+json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)
KEY = "pk_" + "0" * 34


class Canned(asyncio.Protocol):
    """Answers every request (no body expected) with ``ANSWER``, kept alive."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport  # uvloop's TCPTransport is no asyncio.Transport subclass
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            self.buffer = self.buffer[end + 4 :]
            self.transport.write(ANSWER)


async def measure(name: str, call: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> None:
    async def worker() -> None:
        for _ in range(requests // concurrency):
            await call()

    await asyncio.gather(*(worker() for _ in range(concurrency)))  # warm-up: connections, caches
    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    print(f"{name:<34} {(time.process_time() - started) / requests * 1e6:7.1f} µs CPU per call")


async def main(requests: int, concurrency: int, upstream: str | None) -> None:
    server = None
    if upstream is None:
        server = await asyncio.get_running_loop().create_server(Canned, "127.0.0.1", 0)
        upstream = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    settings = Settings(upstream=upstream, pool_size=concurrency)
    path = f"/api/profiles/{PROFILE}/"
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
    headers = {"revision": settings.revision, "accept": "application/vnd.api+json", "authorization": KEY}

    async def bare() -> bytes:
        async with session.get(upstream + path, headers=headers) as response:
            return await response.read()

    pool, h1, httpcore = (
        build_pool(settings.__class__(upstream=upstream, pool_size=concurrency, transport="aiohttp")),
        build_pool(settings.__class__(upstream=upstream, pool_size=concurrency, transport="h1")),
        build_pool(settings.__class__(upstream=upstream, transport="httpx")),
    )
    on_pool, on_h1 = Upstream(pool, SPEC_OPERATIONS), Upstream(h1, SPEC_OPERATIONS)
    on_httpcore = Upstream(httpcore, SPEC_OPERATIONS)
    rows: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("aiohttp, bare", bare),
        ("AiohttpExchange.send", lambda: pool.send("GET", path, {"authorization": KEY}, None)),
        ("H1Exchange.send (production)", lambda: h1.send("GET", path, {"authorization": KEY}, None)),
        (
            "Upstream.send over aiohttp",
            lambda: on_pool.send("get_profile", path_params={"id": PROFILE}, query={}, body=None, key=KEY),
        ),
        (
            "Upstream.send over h1",
            lambda: on_h1.send("get_profile", path_params={"id": PROFILE}, query={}, body=None, key=KEY),
        ),
        (
            "Upstream.send over httpcore",
            lambda: on_httpcore.send(
                "get_profile", path_params={"id": PROFILE}, query={}, body=None, key=KEY
            ),
        ),
    ]
    try:
        for name, call in rows:
            await measure(name, call, requests, concurrency)
    finally:
        await session.close()
        await pool.aclose()
        await h1.aclose()
        await httpcore.aclose()
        if server is not None:
            server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--upstream", help="a running upstream (default: a canned answer in this process)")
    args = parser.parse_args()
    uvloop.run(main(args.requests, args.concurrency, args.upstream))
