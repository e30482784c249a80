"""The production upstream clients (``AiohttpExchange``, ``H1Exchange``) against a real loopback
server: every contract case runs against both (ids ``aiohttp`` / ``h1``).

What it sends (the pool's headers and the call's, nothing of a cookie jar, no ``Expect``; for the
pass-through exactly the caller's headers and target), what it hands back (decoded or raw bodies,
lower-cased joined headers), how it bounds its pool, and how every failure is named. The server
(``tests.proxy.raw_upstream``) records the bytes as they arrived.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest
import trustme

from proxy.engine.aiohttp_exchange import AiohttpExchange
from proxy.engine.exchange import Exchange, ShuttingDown, Unreachable
from proxy.engine.h1_exchange import H1Exchange
from proxy.engine.pools import build_pool
from proxy.engine.upstream import JSONAPI
from proxy.settings import Settings
from tests.e2e.harness import LOOPBACK
from tests.proxy.harness import free_port
from tests.proxy.raw_upstream import HANG, RESET, Heard, RawUpstream, Reply, answer

POOL_HEADERS = {"revision": "2026-07-15", "accept": JSONAPI}


class Pool(Protocol):
    def __call__(
        self, url: str, *, size: int = 4, read_timeout: float = 10.0, passthrough: bool = False
    ) -> Exchange: ...


@pytest.fixture(params=["aiohttp", "h1"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pool(kind: str) -> Pool:
    """A pool of the implementation under test."""
    return functools.partial(make_pool, kind)


def make_pool(
    kind: str, url: str, *, size: int = 4, read_timeout: float = 10.0, passthrough: bool = False
) -> Exchange:
    headers = None if passthrough else POOL_HEADERS
    implementation = AiohttpExchange if kind == "aiohttp" else H1Exchange
    return implementation(
        url,
        size=size,
        connect_timeout=5.0,
        read_timeout=read_timeout,
        headers=headers,
        passthrough=passthrough,
    )


async def test_a_translated_call_sends_the_pools_headers_and_its_own_and_reads_a_decoded_answer(
    pool: Pool,
) -> None:
    body = gzip.compress(b'{"data": {"id": "w1"}}')
    reply = answer(
        201,
        body,
        ("Content-Encoding", "gzip"),
        ("Set-Cookie", "session=A; Path=/"),
        ("X-Multi", "1"),
        ("x-multi", "2"),
        ("RateLimit-Remaining", "7"),
    )
    async with RawUpstream(lambda heard: reply).running() as upstream:
        # By name: aiohttp's own jar would never keep a cookie of a bare IP address anyway.
        exchange = pool(upstream.url.replace(LOOPBACK, "localhost"))
        try:
            headers = {"authorization": "Klaviyo-API-Key pk_a", "content-type": JSONAPI, "revision": "beta"}
            got = await exchange.send(
                "POST", "/api/widgets/a%2Fb/?filter=equals%28x%2C%22y+z%22%29", headers, b"{}"
            )
            again = await exchange.send("GET", "/api/widgets/", {}, None)
        finally:
            await exchange.aclose()
    first, second = upstream.heard
    assert (first.method, first.target) == (b"POST", b"/api/widgets/a%2Fb/?filter=equals%28x%2C%22y+z%22%29")
    assert [v for k, v in first.headers if k == b"revision"] == [b"beta"]  # the call's replaces the pool's
    assert first.header(b"accept") == JSONAPI.encode()
    assert first.header(b"authorization") == b"Klaviyo-API-Key pk_a"
    assert first.header(b"content-length") == b"2" and first.body == b"{}"
    assert b"gzip" in (first.header(b"accept-encoding") or b"")
    assert (
        first.header(b"host") == upstream.url.replace(LOOPBACK, "localhost").removeprefix("http://").encode()
    )
    assert b"expect" not in first.names and b"cookie" not in second.names  # the jar keeps nothing
    assert second.header(b"revision") == b"2026-07-15" and b"authorization" not in second.names
    assert (got.status, got.body) == (201, b'{"data": {"id": "w1"}}')
    assert got.headers["x-multi"] == "1, 2" and got.headers["ratelimit-remaining"] == "7"
    assert all(name == name.lower() for name in got.headers)
    assert again.status == 201
    assert upstream.connections == 1  # kept alive between calls


async def test_the_pass_through_sends_exactly_the_callers_headers_and_target(pool: Pool) -> None:
    raw = gzip.compress(b"x" * 100)
    reply = answer(200, raw, ("Content-Encoding", "gzip"), ("X-Case", "Kept"))
    async with RawUpstream(lambda heard: reply).running() as upstream:
        exchange = pool(upstream.url, passthrough=True)
        caller = [
            (b"accept-encoding", b"gzip"),
            (b"x-note", "caf\u00e9".encode()),
            (b"X-Two", b"1"),
            (b"x-two", b"2"),
        ]
        try:
            streamed = await exchange.open(
                "GET", "/api/t/a%2Fb/./c?f=equals(name,%22x%22)&g=%7E", caller, None
            )
            content = await streamed.read()
            await streamed.aclose()
        finally:
            await exchange.aclose()
    [heard] = upstream.heard
    assert heard.target == b"/api/t/a%2Fb/./c?f=equals(name,%22x%22)&g=%7E"  # not normalised, not requoted
    assert heard.names == {b"host", b"accept-encoding", b"x-note", b"x-two"}  # no User-Agent, Accept of ours
    assert heard.header(b"x-note") == "caf\u00e9".encode()  # the same bytes
    assert [v for k, v in heard.headers if k == b"x-two"] == [b"1", b"2"]
    assert content == raw  # left encoded: the caller asked for gzip
    assert (b"X-Case", b"Kept") in streamed.headers and streamed.status == 200


async def _body(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_streamed_request_body_arrives_whole(pool: Pool, declared: bool) -> None:
    async with RawUpstream().running() as upstream:
        exchange = pool(upstream.url, passthrough=True)
        headers = [(b"content-length", b"9")] if declared else []
        try:
            streamed = await exchange.open("POST", "/api/events/", headers, _body(b"abc", b"def", b"ghi"))
            await streamed.read()
            await streamed.aclose()
        finally:
            await exchange.aclose()
    [heard] = upstream.heard
    assert heard.body == b"abcdefghi"
    assert b"content-type" not in heard.names  # none added to a body the caller did not type
    assert (heard.header(b"transfer-encoding") is None) is declared


def _garbage(heard: Heard) -> Reply:
    return Reply(b"SURPRISE\x00\xff not http at all\r\n\r\n", close=True)


@pytest.mark.parametrize(
    ("script", "names"),
    [
        (lambda heard: HANG, ("ReadTimeout",)),
        (lambda heard: RESET, ("ReadError", "RemoteProtocolError")),
        (_garbage, ("RemoteProtocolError",)),
    ],
    ids=["hang", "reset", "garbage"],
)
async def test_every_failure_is_unreachable_with_its_name(
    pool: Pool, script: object, names: tuple[str, ...]
) -> None:
    async with RawUpstream(script).running() as upstream:  # type: ignore[arg-type]
        exchange = pool(upstream.url, read_timeout=0.5)
        try:
            with pytest.raises(Unreachable) as failed:
                await exchange.send("GET", "/api/x/", {}, None)
        finally:
            await exchange.aclose()
    assert str(failed.value).startswith(names), str(failed.value)
    assert " <- " in str(failed.value)  # aiohttp's own exception follows the name


async def test_a_refused_connection_is_a_connect_error_not_a_timeout(pool: Pool) -> None:
    exchange = pool(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(Unreachable, match=r"^ConnectError: ") as failed:
            await exchange.send("GET", "/api/x/", {}, None)
    finally:
        await exchange.aclose()
    assert "Timeout" not in str(failed.value).split(" <- ")[0]


async def test_a_body_cut_short_is_unreachable_while_reading(pool: Pool) -> None:
    cut = Reply(b"HTTP/1.1 200 X\r\nContent-Length: 100000\r\n\r\n" + b"x" * 10, close=True)
    async with RawUpstream(lambda heard: cut).running() as upstream:
        exchange = pool(upstream.url, passthrough=True)
        try:
            with pytest.raises(Unreachable, match=r"^ReadError: "):
                await exchange.send("GET", "/api/x/", {}, None)
            streamed = await exchange.open("GET", "/api/x/", [], None)
            with pytest.raises(Unreachable, match=r"^ReadError: "):
                async for _ in streamed.chunks():
                    pass
            await streamed.aclose()
        finally:
            await exchange.aclose()


async def test_the_pool_never_opens_more_than_its_size(pool: Pool) -> None:
    async with RawUpstream(lambda heard: HANG).running() as upstream:
        exchange = pool(upstream.url, size=2)
        calls = [asyncio.create_task(exchange.send("GET", f"/api/x/{i}", {}, None)) for i in range(5)]
        try:
            for _ in range(200):
                if upstream.connections >= 2:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # the three others wait for a connection, none is opened
            assert upstream.connections == 2 and len(upstream.heard) == 2
        finally:
            for call in calls:
                call.cancel()
            await asyncio.gather(*calls, return_exceptions=True)
            await exchange.aclose()


async def test_a_closed_pool_says_the_proxy_is_shutting_down(pool: Pool) -> None:
    async with RawUpstream().running() as upstream:
        exchange = pool(upstream.url)
        await exchange.aclose()
        assert exchange.closed
        with pytest.raises(ShuttingDown):
            await exchange.send("GET", "/api/x/", {}, None)
        with pytest.raises(ShuttingDown):
            await exchange.open("GET", "/api/x/", [], None)
    assert upstream.heard == []


async def test_an_https_upstream_is_checked_against_the_authorities_httpx_would_use(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(LOOPBACK).configure_cert(served)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    async with RawUpstream(tls=served).running() as upstream:
        settings = Settings(upstream=upstream.url, transport=kind)
        untrusting = build_pool(settings)  # certifi's bundle: our test CA is not in it
        try:
            with pytest.raises(Unreachable, match=r"^ConnectError: .*certificate"):
                await untrusting.send("GET", "/api/x/", {}, None)
        finally:
            await untrusting.aclose()
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        trusting = build_pool(settings)
        try:
            answered = await trusting.send("GET", "/api/x/", {}, None)
        finally:
            await trusting.aclose()
    assert answered.status == 200 and len(upstream.heard) == 1
