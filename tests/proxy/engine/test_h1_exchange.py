"""What is specific to ``H1Exchange`` (the shared contract is ``test_exchanges.py``): the keep-alive
race retry, connection reuse, the FIFO wait for a connection, answer framings (chunked, read until
close, HEAD, 1xx), malformed answers, the read timeout mid-body, flow control of a streamed body and
refused header values. Real sockets on 127.0.0.1 (``tests.proxy.raw_upstream``), bounded in time.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from proxy.engine import h1_connection
from proxy.engine.exchange import Unreachable, Unsendable
from proxy.engine.h1_connection import HIGH_WATER
from proxy.engine.h1_exchange import H1Exchange, H1Stream
from proxy.engine.upstream import JSONAPI
from tests.proxy.raw_upstream import Heard, RawUpstream, Reply, answer

CLOSED_UNANSWERED = Reply(close=True)  # the server closes the kept-alive connection as the call arrives


def pool(url: str, *, size: int = 4, read_timeout: float = 5.0, passthrough: bool = False) -> H1Exchange:
    headers = None if passthrough else {"revision": "2026-07-15", "accept": JSONAPI}
    return H1Exchange(
        url,
        size=size,
        connect_timeout=2.0,
        read_timeout=read_timeout,
        headers=headers,
        passthrough=passthrough,
    )


def second_closed(heard: Heard) -> Reply:
    """Answers, except the second request it hears: the connection is closed unanswered."""
    second_closed.count += 1  # type: ignore[attr-defined]
    return CLOSED_UNANSWERED if second_closed.count == 2 else answer(200, b'{"ok": 1}')  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_an_idempotent_call_on_a_connection_closed_under_it_is_retried_once_on_a_fresh_one(
    method: str,
) -> None:
    second_closed.count = 0  # type: ignore[attr-defined]
    async with RawUpstream(second_closed).running() as upstream:
        exchange = pool(upstream.url)
        try:
            await exchange.send(method, "/api/a/", {}, None)
            got = await exchange.send(method, "/api/b/", {}, None)
        finally:
            await exchange.aclose()
    assert (got.status, got.body) == (200, b'{"ok": 1}')
    assert [h.target for h in upstream.heard] == [b"/api/a/", b"/api/b/", b"/api/b/"]
    assert upstream.connections == 2


async def test_a_post_on_a_connection_closed_under_it_is_unreachable_and_not_sent_again() -> None:
    second_closed.count = 0  # type: ignore[attr-defined]
    async with RawUpstream(second_closed).running() as upstream:
        exchange = pool(upstream.url)
        try:
            await exchange.send("POST", "/api/a/", {}, b"{}")
            with pytest.raises(Unreachable, match=r"^RemoteProtocolError: "):
                await exchange.send("POST", "/api/b/", {}, b"{}")
            await asyncio.sleep(0.05)
        finally:
            await exchange.aclose()
    assert [h.target for h in upstream.heard] == [b"/api/a/", b"/api/b/"]  # once: the layers above decide


async def test_sequential_calls_share_one_connection_and_an_early_closed_stream_does_not() -> None:
    async with RawUpstream(lambda heard: answer(200, b"x" * 1000)).running() as upstream:
        exchange = pool(upstream.url, passthrough=True)
        try:
            for i in range(5):
                await exchange.send("GET", f"/api/{i}/", {}, None)
                streamed = await exchange.open("GET", f"/api/s{i}/", [], None)
                assert await streamed.read() == b"x" * 1000
                await streamed.aclose()
            assert upstream.connections == 1
            early = await exchange.open("GET", "/api/early/", [], None)
            await early.aclose()  # body not read: the connection is closed, not reused
            await exchange.send("GET", "/api/after/", {}, None)
        finally:
            await exchange.aclose()
    assert upstream.connections == 2


async def test_callers_beyond_the_pool_wait_in_turn() -> None:
    async with RawUpstream().running() as upstream:
        exchange = pool(upstream.url, size=1)
        try:
            calls = [asyncio.create_task(exchange.send("GET", f"/api/{i}/", {}, None)) for i in range(5)]
            await asyncio.gather(*calls)
        finally:
            await exchange.aclose()
    assert [h.target for h in upstream.heard] == [f"/api/{i}/".encode() for i in range(5)]
    assert upstream.connections == 1


@pytest.mark.parametrize(
    ("data", "body"),
    [
        (
            b"HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
            b"abcdefg",
        ),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 X\r\nContent-Length: 2\r\n\r\nok", b"ok"),
    ],
    ids=["chunked", "informational-first"],
)
async def test_framed_answers_are_read_whole_and_the_connection_kept(data: bytes, body: bytes) -> None:
    async with RawUpstream(lambda heard: Reply(data)).running() as upstream:
        exchange = pool(upstream.url)
        try:
            first = await exchange.send("GET", "/api/x/", {}, None)
            second = await exchange.send("GET", "/api/x/", {}, None)
        finally:
            await exchange.aclose()
    assert (first.status, first.body, second.body) == (200, body, body)
    assert upstream.connections == 1


async def test_an_answer_read_until_close_is_whole_and_its_connection_not_reused() -> None:
    reply = Reply(b"HTTP/1.1 200 X\r\nX-A: 1\r\n\r\nuntil the end", close=True)
    async with RawUpstream(lambda heard: reply).running() as upstream:
        exchange = pool(upstream.url)
        try:
            got = [await exchange.send("GET", "/api/x/", {}, None) for _ in range(2)]
        finally:
            await exchange.aclose()
    assert [a.body for a in got] == [b"until the end"] * 2
    assert upstream.connections == 2


async def test_a_head_answer_has_no_body_even_with_a_length() -> None:
    def script(heard: Heard) -> Reply:
        if heard.method == b"HEAD":
            return Reply(b"HTTP/1.1 200 X\r\nContent-Length: 100\r\n\r\n")
        return answer(200, b"after")

    async with RawUpstream(script).running() as upstream:
        exchange = pool(upstream.url, read_timeout=1.0)
        try:
            head = await exchange.send("HEAD", "/api/x/", {}, None)
            streamed = await exchange.open("HEAD", "/api/x/", [], None)
            streamed_body = await streamed.read()
            await streamed.aclose()
            after = await exchange.send("GET", "/api/x/", {}, None)
        finally:
            await exchange.aclose()
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", "100")
    assert streamed_body == b"" and after.body == b"after"


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 X\r\nContent-Length: abc\r\n\r\n",
        b"HTTP/1.1 200 X\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n",
    ],
    ids=["bad-length", "header-too-big"],
)
async def test_a_malformed_answer_is_a_remote_protocol_error(data: bytes) -> None:
    async with RawUpstream(lambda heard: Reply(data)).running() as upstream:
        exchange = pool(upstream.url)
        try:
            with pytest.raises(Unreachable, match=r"^RemoteProtocolError: .* <- "):
                await exchange.send("GET", "/api/x/", {}, None)
        finally:
            await exchange.aclose()


async def test_a_server_stopping_mid_body_is_a_read_timeout() -> None:
    stalled = Reply(b"HTTP/1.1 200 X\r\nContent-Length: 100\r\n\r\n" + b"x" * 10, hang=True)
    async with RawUpstream(lambda heard: stalled).running() as upstream:
        exchange = pool(upstream.url, read_timeout=0.3, passthrough=True)
        try:
            async with asyncio.timeout(3.0):  # a missing read timeout fails here, not hangs
                with pytest.raises(Unreachable, match=r"^ReadTimeout: "):
                    await exchange.send("GET", "/api/x/", {}, None)
                streamed = await exchange.open("GET", "/api/x/", [], None)
                with pytest.raises(Unreachable, match=r"^ReadTimeout: "):
                    await streamed.read()
                await streamed.aclose()
        finally:
            await exchange.aclose()


async def test_a_large_streamed_answer_is_read_with_bounded_memory() -> None:
    size = 16 * 1024 * 1024
    big = answer(200, b"z" * size)
    async with RawUpstream(lambda heard: big).running() as upstream:
        exchange = pool(upstream.url, passthrough=True)
        try:
            streamed = await exchange.open("GET", "/api/big/", [], None)
            assert isinstance(streamed, H1Stream)
            await asyncio.sleep(0.3)  # nobody reads: the connection stops reading
            held = streamed._conn.buffered
            received = 0
            async for chunk in streamed.chunks():
                received += len(chunk)
                held = max(held, streamed._conn.buffered)
            await streamed.aclose()
        finally:
            await exchange.aclose()
    assert received == size
    assert held <= HIGH_WATER + 1024 * 1024, held  # the high-water mark and one read's overshoot


@pytest.mark.parametrize("where", ["name", "value", "target"])
async def test_a_line_break_in_a_header_or_the_target_is_unsendable_and_nothing_goes_out(where: str) -> None:
    name, value, target = "x-a", "1", "/api/x/"
    if where == "name":
        name = "x-a\r\nx-injected"
    elif where == "value":
        value = "1\r\nx-injected: 2"
    else:
        target = "/api/x/ HTTP/1.1\r\nx-injected: 2\r\n\r\nGET /"
    async with RawUpstream().running() as upstream:
        exchange = pool(upstream.url)
        try:
            with pytest.raises(Unsendable):
                await exchange.send("GET", target, {name: value}, None)
            with pytest.raises(Unsendable):
                await exchange.open("GET", target, [(name.encode(), value.encode())], None)
            with pytest.raises(Unsendable):
                await exchange.send("GET", "/api/x/", {"x-nul": "a\0b"}, None)
        finally:
            await exchange.aclose()
    assert upstream.heard == [] and upstream.connections == 0


async def test_a_connection_idle_past_the_keepalive_is_closed_and_the_next_call_opens_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(h1_connection, "KEEPALIVE", 0.2)  # the idle bound, shortened for the test
    async with RawUpstream(lambda heard: answer(200, b"{}")).running() as upstream:
        exchange = pool(upstream.url)
        try:
            await exchange.send("GET", "/api/a/", {}, None)
            await exchange.send("GET", "/api/b/", {}, None)  # within the bound: the same connection
            assert upstream.connections == 1
            await asyncio.sleep(0.6)  # idle past the bound: closed on our side
            assert upstream.closed_by_peer == 1
            await exchange.send("GET", "/api/c/", {}, None)
        finally:
            await exchange.aclose()
    assert upstream.connections == 2


async def test_translated_calls_name_the_proxy_and_the_pass_through_sends_the_callers_agent() -> None:
    async with RawUpstream(lambda heard: answer(200, b"{}")).running() as upstream:
        translating, passing = pool(upstream.url), pool(upstream.url, passthrough=True)
        try:
            await translating.send("GET", "/api/a/", {}, None)
            await translating.send("GET", "/api/b/", {"User-Agent": "caller/2"}, None)  # a call's own wins
            streamed = await passing.open("GET", "/api/c/", [(b"user-agent", b"shop/1.0")], None)
            await streamed.read()
            await streamed.aclose()
        finally:
            await translating.aclose()
            await passing.aclose()
    agents = [dict(h.headers).get(b"user-agent") for h in upstream.heard]
    assert agents[0] is not None and re.fullmatch(rb"klaviyo-compat/\S+ Python/3\.\d+", agents[0])
    assert agents[1:] == [b"caller/2", b"shop/1.0"]
