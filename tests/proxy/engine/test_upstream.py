"""``proxy.engine.upstream``: URLs from the operation table, auth and content headers, decoding, faults.

Only the network is replaced: an ``httpx.MockTransport`` behind the real client ``build_client``
makes, so base URL, default headers and timeouts are the production ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.core import Call
from proxy.engine.pools import build_client
from proxy.engine.upstream import (
    JSONAPI,
    UnencodableRequest,
    UnknownOperation,
    Upstream,
    UpstreamUnavailable,
    cursor_of,
    decode,
    encode_query,
)
from proxy.settings import Settings

KEY = "pk_" + "c3" * 17
OPERATIONS: dict[str, dict[str, Any]] = {
    "get_widget": {"method": "GET", "path": "/api/widgets/{id}"},
    "get_widget_part": {"method": "GET", "path": "/api/widgets/{id}/parts/{part_id}"},
    "create_widget": {"method": "POST", "path": "/api/widgets"},
}


class Observed:
    """An ``UpstreamObserver`` that keeps what it is told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Mapping[str, str]]] = []

    def upstream(self, operation: str, status: str, seconds: float, headers: Mapping[str, str]) -> None:
        assert seconds >= 0
        self.calls.append((operation, status, headers))


def make(
    handler: Callable[[httpx.Request], httpx.Response], observer: Observed | None = None
) -> tuple[Upstream, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    settings = Settings(upstream="https://upstream.test", revision="2026-07-15")
    client = build_client(settings, httpx.MockTransport(record))
    return Upstream(client, OPERATIONS, observer), seen


def document(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, headers={"Content-Type": JSONAPI, "RateLimit-Remaining": "7"}, json={"data": {"id": "w1"}}
    )


# --------------------------------------------------------------------------- URLs


def test_url_for_quotes_every_path_parameter_whole() -> None:
    upstream, _ = make(document)
    method, path = upstream.url_for("get_widget_part", {"id": "a/b c", "part_id": "x?y#z%"})
    assert (method, path) == ("GET", "/api/widgets/a%2Fb%20c/parts/x%3Fy%23z%25")
    assert upstream.url_for("get_widget", {"id": 42}) == ("GET", "/api/widgets/42")  # type: ignore[dict-item]


def test_unknown_operations() -> None:
    upstream, _ = make(document)
    with pytest.raises(UnknownOperation, match="get_gadget"):
        upstream.url_for("get_gadget", {})
    assert upstream.method_of("get_gadget") == ""
    assert upstream.method_of("create_widget") == "POST"


# --------------------------------------------------------------------------- requests


async def test_a_read_carries_key_revision_and_query_and_no_body() -> None:
    upstream, seen = make(document)
    reply = await upstream.send(
        "get_widget",
        path_params={"id": "a/b"},
        query={"fields[widget]": "name,size", "filter": 'equals(name,"x y")'},
        body=None,
        key=KEY,
    )
    [request] = seen
    assert request.method == "GET"
    assert request.url.host == "upstream.test" and request.headers["host"] == "upstream.test"
    assert request.url.raw_path.split(b"?")[0] == b"/api/widgets/a%2Fb"
    assert dict(request.url.params) == {"fields[widget]": "name,size", "filter": 'equals(name,"x y")'}
    assert request.headers["authorization"] == f"Klaviyo-API-Key {KEY}"
    assert request.headers["revision"] == "2026-07-15"
    assert request.headers["accept"] == JSONAPI
    assert "content-type" not in request.headers and request.content == b""
    assert reply.status == 200 and reply.body == {"data": {"id": "w1"}}
    assert reply.headers["ratelimit-remaining"] == "7"  # header names lower-cased
    assert reply.headers["content-type"] == JSONAPI


async def test_a_write_sends_a_json_api_body() -> None:
    upstream, seen = make(lambda request: httpx.Response(201, json={"data": {"id": "w2"}}))
    body = {"data": {"type": "widget", "attributes": {"name": "Ünïcode", "size": 2**62}}}
    reply = await upstream.call(Call("create_widget", body=body), KEY)
    [request] = seen
    assert request.method == "POST" and request.url.path == "/api/widgets"
    assert request.headers["content-type"] == JSONAPI
    assert orjson.loads(request.content) == body
    assert reply.status == 201 and reply.body == {"data": {"id": "w2"}}


async def test_a_public_call_sends_no_authorization() -> None:
    upstream, seen = make(document)
    await upstream.send("get_widget", path_params={"id": "1"}, query={}, body=None, key=None)
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize("content", [b"", b"<html>maintenance</html>", b'{"data": '])
async def test_an_empty_or_invalid_json_body_decodes_to_none(content: bytes) -> None:
    upstream, _ = make(lambda request: httpx.Response(502, content=content))
    reply = await upstream.send("get_widget", path_params={"id": "1"}, query={}, body=None, key=KEY)
    assert (reply.status, reply.body) == (502, None)


def test_decode() -> None:
    assert decode(b"") is None
    assert decode(b"not json") is None
    assert decode(b"[1, 2]") == [1, 2]
    assert decode(b'{"a": null}') == {"a": None}


@pytest.mark.parametrize("body", [{"n": 2**64}, {"when": object()}])
async def test_an_unencodable_body_is_refused_before_anything_is_sent(body: dict[str, Any]) -> None:
    observer = Observed()
    upstream, seen = make(document, observer)
    with pytest.raises(UnencodableRequest):
        await upstream.send("create_widget", path_params={}, query={}, body=body, key=KEY)
    assert seen == [] and observer.calls == []


@pytest.mark.parametrize(
    "fault", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eh")]
)
async def test_a_transport_error_is_upstream_unavailable_and_observed(fault: httpx.TransportError) -> None:
    observer = Observed()

    def broken(request: httpx.Request) -> httpx.Response:
        raise fault

    upstream, _ = make(broken, observer)
    with pytest.raises(UpstreamUnavailable, match=f"get_widget: {type(fault).__name__}"):
        await upstream.send("get_widget", path_params={"id": "1"}, query={}, body=None, key=KEY)
    assert observer.calls == [("get_widget", "unavailable", {})]


async def test_every_answer_is_observed_with_its_status_and_headers() -> None:
    observer = Observed()
    upstream, _ = make(
        lambda request: httpx.Response(429, headers={"Retry-After": "3"}, json={"errors": []}), observer
    )
    reply = await upstream.send("get_widget", path_params={"id": "1"}, query={}, body=None, key=KEY)
    [(operation, status, headers)] = observer.calls
    assert (operation, status, headers["retry-after"]) == ("get_widget", "429", "3")
    assert reply.status == 429


# --------------------------------------------------------------------------- cursors


@pytest.mark.parametrize(
    ("link", "cursor"),
    [
        (None, None),
        ("", None),
        ("https://a.klaviyo.com/api/widgets/?page%5Bsize%5D=10", None),
        ("https://a.klaviyo.com/api/widgets/?page%5Bcursor%5D=bmV4dA%3D%3D&page%5Bsize%5D=10", "bmV4dA=="),
        ("https://elsewhere.test/x?page[cursor]=abc", "abc"),
    ],
)
def test_cursor_of_a_next_link(link: str | None, cursor: str | None) -> None:
    assert cursor_of(link) == cursor


@given(
    query=st.dictionaries(
        st.text(max_size=70),
        st.text(max_size=70) | st.integers() | st.sampled_from(["a b", "x+y", "é/&=?#%", "[1,2]"]),
        max_size=5,
    )
)
def test_the_query_is_encoded_as_urlencode_encodes_it(query: dict[str, object]) -> None:
    assert encode_query(query) == urlencode(query)
