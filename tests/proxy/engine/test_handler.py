"""``proxy.engine.handler``'s building blocks: the bounded body read and the rendering of legacy replies."""

from __future__ import annotations

import math
import socket
import threading
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.testing import capture_logs

from mappings.core import HTML, JSON_TYPE, LegacyReply
from proxy import Overrides, Settings, create_app
from proxy.engine.handler import render
from proxy.engine.legacy_http import LegacyHttp
from proxy.engine.parse import MAX_BODY, BadLegacyRequest
from tests.proxy.harness import KEY_A, FakeUpstream, serve

# --------------------------------------------------------------------------- the bounded body read


class CountingRequest:
    """A legacy call's ASGI side (``LegacyHttp``) whose ``receive`` counts the chunks pulled."""

    def __init__(self, chunks: list[bytes], headers: dict[str, str] | None = None) -> None:
        raw = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        self.http = LegacyHttp({"type": "http", "method": "POST", "headers": raw}, self.receive, "/")
        self._chunks = chunks
        self.pulled = 0

    async def receive(self) -> Message:
        if self.pulled >= len(self._chunks):
            return {"type": "http.request", "body": b"", "more_body": False}
        self.pulled += 1
        return {"type": "http.request", "body": self._chunks[self.pulled - 1], "more_body": True}


async def read_limited(request: CountingRequest, limit: int) -> bytes:
    return await request.http.body(limit)


LIMIT = 1000
CHUNK = 64


def chunked(total: int) -> list[bytes]:
    """A chunked upload (no Content-Length) of ``total`` bytes in ``CHUNK``-byte pieces."""
    return [b"x" * min(CHUNK, total - start) for start in range(0, total, CHUNK)]


async def test_a_body_within_the_limit_is_read_whole() -> None:
    for total in (0, 1, LIMIT - 1, LIMIT):
        request = CountingRequest(chunked(total))
        assert await read_limited(request, LIMIT) == b"x" * total


async def test_a_chunked_body_over_the_limit_stops_being_read_one_chunk_past_it() -> None:
    request = CountingRequest(chunked(5 * LIMIT))
    with pytest.raises(BadLegacyRequest) as refused:
        await read_limited(request, LIMIT)
    assert refused.value.status == 413
    assert request.pulled == math.ceil((LIMIT + 1) / CHUNK), "read no further than the chunk that crossed"
    assert request.pulled * CHUNK <= LIMIT + CHUNK


async def test_a_body_one_byte_over_the_limit_is_refused() -> None:
    with pytest.raises(BadLegacyRequest) as refused:
        await read_limited(CountingRequest([b"x" * LIMIT, b"y"]), LIMIT)
    assert refused.value.status == 413


async def test_a_declared_oversized_length_is_refused_before_reading() -> None:
    request = CountingRequest(chunked(LIMIT + 1), headers={"content-length": str(LIMIT + 1)})
    with pytest.raises(BadLegacyRequest) as refused:
        await read_limited(request, LIMIT)
    assert refused.value.status == 413 and request.pulled == 0


async def test_an_understated_length_does_not_lift_the_limit() -> None:
    request = CountingRequest(chunked(3 * LIMIT), headers={"content-length": "10"})
    with pytest.raises(BadLegacyRequest):
        await read_limited(request, LIMIT)
    assert request.pulled * CHUNK <= LIMIT + CHUNK


async def test_a_disconnect_mid_body_is_a_client_disconnect() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    with pytest.raises(ClientDisconnect):
        await LegacyHttp({"type": "http", "method": "POST", "headers": []}, receive, "/").body(LIMIT)


# --------------------------------------------------------------------------- LegacyHttp = Starlette's reading

_names = st.sampled_from(["content-type", "x-klaviyo-api-key", "user-agent", "x-compat-caller", "a"])
_values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=12)


@given(
    headers=st.lists(st.tuples(_names, _values), max_size=6),
    query=st.binary(max_size=40) | st.sampled_from([b"a=1&a=2&b=", b"data=eyJ0%2B%3D&x", b"%zz=%ff&&=v"]),
)
def test_headers_and_query_are_read_as_starlette_reads_them(
    headers: list[tuple[str, str]], query: bytes
) -> None:
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/identify",
        "query_string": query,
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    ours, theirs = LegacyHttp(scope, receive), Request(scope, receive)
    assert ours.query_items() == theirs.query_params.multi_items()
    for name in {k for k, _ in headers} | {"absent"}:
        assert ours.headers.get(name) == theirs.headers.get(name)


# --------------------------------------------------------------------------- render


@pytest.mark.parametrize("status", [201, 204])
def test_created_and_no_content_become_200_for_legacy_clients(status: int) -> None:
    response = render(LegacyReply(status=status, body={"id": "AbC"}))
    assert response.status_code == 200
    assert orjson.loads(response.body) == {"id": "AbC"}


def test_accepted_and_errors_keep_their_status() -> None:
    assert render(LegacyReply(status=202, body={"results": "queued"})).status_code == 202
    assert render(LegacyReply(status=200, body=[])).status_code == 200
    assert render(LegacyReply(status=404, body={"status": 404, "message": "x"})).status_code == 404


def test_a_text_reply_is_sent_as_is_and_a_json_reply_is_encoded() -> None:
    one = render(LegacyReply.html("1"))
    assert (one.status_code, one.body, one.headers["content-type"]) == (200, b"1", HTML)
    empty = render(LegacyReply.empty(204))
    assert (empty.status_code, empty.body) == (200, b"")
    assert empty.headers["content-type"] == JSON_TYPE
    unicode = render(LegacyReply(body={"name": "Zoë", "n": None}))
    assert orjson.loads(unicode.body) == {"name": "Zoë", "n": None}
    assert unicode.headers["content-type"] == JSON_TYPE
    assert render(LegacyReply(text="é")).body == "é".encode()


@pytest.mark.parametrize(
    "reply",
    [
        LegacyReply.html("1"),
        LegacyReply.empty(204),
        LegacyReply(status=429, body={"a": 1}, headers={"Retry-After": "7"}),
        LegacyReply(status=200, text="x", media_type="text/plain", headers={"Content-Type": "text/csv"}),
        LegacyReply(status=304, body=None, headers={"ETag": "x"}),
        LegacyReply(status=200, body=[1], headers={"content-length": "3"}),
    ],
)
def test_a_rendered_answer_has_the_headers_starlette_would_send(reply: LegacyReply) -> None:
    ours = render(reply)
    theirs = Response(
        content=ours.body,
        status_code=ours.status_code,
        media_type=reply.media_type,
        headers=dict(reply.headers),
    )
    assert ours.raw_headers == theirs.raw_headers


def test_reply_headers_are_kept() -> None:
    response = render(LegacyReply(status=429, body={}, headers={"Retry-After": "7"}))
    assert response.headers["retry-after"] == "7"


@pytest.mark.parametrize("body", [{"n": 2**64}, {"when": object()}, {1.5: "non-string key"}])
def test_an_unencodable_body_is_a_plain_legacy_500_and_logged(body: object) -> None:
    with capture_logs() as logs:
        response = render(LegacyReply(status=201, body=body))
    assert response.status_code == 500
    assert orjson.loads(response.body) == {"status": 500, "message": "Internal error in klaviyo-compat."}
    assert [(e["event"], e["status"]) for e in logs] == [("legacy.unencodable_reply", 201)]


# --------------------------------------------------------------------------- over a real socket


class BodyMeter:
    """ASGI wrapper counting the request body bytes the application pulled with ``receive()``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.received = 0
        self.largest = 0  # the biggest single ``http.request`` message: one "chunk" server-side

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def metered() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                size = len(message.get("body", b""))
                self.received += size
                self.largest = max(self.largest, size)
            return message

        await self.app(scope, metered if scope["type"] == "http" else receive, send)


def chunked_upload(url: str, path: str, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """POST ``chunks`` as a chunked body (no Content-Length) over a raw socket, reading the answer
    while still sending, as a streaming client does: (status line, chunks pulled from ``chunks``)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    sock.sendall(head.encode() + b"Transfer-Encoding: chunked\r\n\r\n")
    pulled = 0

    def send_body() -> None:
        nonlocal pulled
        try:
            for chunk in chunks:
                pulled += 1
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and stopped reading: expected

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    answer = b""
    while b"\r\n" not in answer:
        data = sock.recv(4096)
        if not data:
            break
        answer += data
    sock.shutdown(socket.SHUT_RDWR)  # wakes the sender if it is blocked on a full socket
    sender.join(10)
    sock.close()
    return answer.split(b"\r\n", 1)[0], pulled


def test_a_chunked_body_over_the_limit_is_refused_having_read_at_most_one_chunk_past_it() -> None:
    chunk, total = b" " * 65536, 3 * MAX_BODY // 65536
    app = BodyMeter(
        create_app(
            Settings(upstream="https://upstream.test", access_log=False),
            overrides=Overrides(transport=FakeUpstream().transport()),
        )
    )
    with serve(app) as served:
        status, pulled = chunked_upload(
            served.url, f"/api/v2/list/AbC123/subscribe?api_key={KEY_A}", (chunk for _ in range(total))
        )
    assert status.startswith(b"HTTP/1.1 413 "), status
    assert MAX_BODY < app.received <= MAX_BODY + app.largest, (app.received, app.largest)
    assert pulled < total, "the upload was cut short, not drained"
