"""New-API calls pass through untouched (upstream replaced at the network boundary only)."""

from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from proxy import Overrides, Settings, create_app
from proxy.engine.passthrough import public_keys_in


def _app(handler: Any) -> TestClient:
    settings = Settings(upstream="https://upstream.test", access_log=False)
    return TestClient(
        create_app(settings, overrides=Overrides(transport=httpx.MockTransport(handler))),
        base_url="http://proxy.test",
    )


def test_new_api_request_and_response_are_forwarded_verbatim() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201,
            headers={
                "content-type": "application/vnd.api+json",
                "x-klaviyo-api-revision": "2026-07-15",
                "ratelimit-remaining": "9",
                "connection": "x-drop-me",
                "x-drop-me": "1",
            },
            content=b'{"data": {"type": "list", "id": "Ab12Cd"}}',
        )

    body = b'{"data": {"type": "list", "attributes": {"name": "N"}}}'
    with _app(handler) as client:
        resp = client.post(
            "/api/lists/?fields[list]=name",
            content=body,
            headers={
                "authorization": "Klaviyo-API-Key pk_x",
                "revision": "2026-07-15",
                "content-type": "application/vnd.api+json",
                "keep-alive": "timeout=5",
                "te": "trailers",
            },
        )
    assert resp.status_code == 201  # new-API callers get new-API statuses
    assert resp.content == b'{"data": {"type": "list", "id": "Ab12Cd"}}'
    assert resp.headers["ratelimit-remaining"] == "9"
    assert "x-drop-me" not in resp.headers
    (req,) = seen
    assert req.url.path == "/api/lists/"
    assert req.url.query == b"fields[list]=name"
    assert req.content == body
    assert req.headers["authorization"] == "Klaviyo-API-Key pk_x"
    assert "keep-alive" not in req.headers and "te" not in req.headers
    assert req.url.host == "upstream.test"
    # Host is hop-by-hop for a proxy: upstream sees its own name, never the caller's proxy.test.
    assert req.headers.get_list("host") == ["upstream.test"]


def test_nothing_is_added_to_a_passed_through_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"errors": []})

    with _app(handler) as client:
        del client.headers["accept-encoding"]  # a caller that sends none
        resp = client.get(
            "/client/events?company_id=AbC123",
            headers={"user-agent": "shop/1.0", "accept": "application/json"},
        )
    assert resp.status_code == 401  # not rewritten to a legacy 403
    sent = seen[0].headers
    # Exactly the caller's end-to-end headers; nothing of httpx's defaults, no revision.
    assert sorted(sent.keys()) == ["accept", "accept-encoding", "host", "user-agent"]
    assert sent["host"] == "upstream.test"
    assert sent["user-agent"] == "shop/1.0" and sent["accept"] == "application/json"
    # A caller that asked for no encoding gets none: we must not let the transport ask for gzip.
    assert sent["accept-encoding"] == "identity"
    assert seen[0].url.path == "/client/events"


def test_encoded_path_and_caller_encoding_are_kept() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"date": "Thu, 01 Jan 2026 00:00:00 GMT"}, json={})

    with _app(handler) as client:
        resp = client.get(
            "/api/templates/a%2Fb?filter=equals(name,%22x%22)", headers={"accept-encoding": "gzip"}
        )
    assert seen[0].url.raw_path == b"/api/templates/a%2Fb?filter=equals(name,%22x%22)"
    assert seen[0].headers["accept-encoding"] == "gzip"
    assert resp.headers.get_list("date") != ["Thu, 01 Jan 2026 00:00:00 GMT"]  # ours, not a duplicate


def test_unreachable_upstream_is_a_json_api_502() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with _app(handler) as client:
        resp = client.get("/api/profiles")
    assert resp.status_code == 502
    assert resp.json()["errors"][0]["status"] == 502


def test_large_bodies_stream_through() -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(request.read()))
        return httpx.Response(200, content=b"x" * 3_000_000)

    with _app(handler) as client:
        resp = client.post(
            "/api/events", content=b"y" * 2_000_000, headers={"content-type": "application/json"}
        )
    assert sizes == [2_000_000]
    assert len(resp.content) == 3_000_000


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        (b"", ()),
        (b"fields%5Bprofile%5D=email", ()),
        (b"company_id=AbC123&token=QzW9Xy&company_id=not-a-key", ("AbC123", "QzW9Xy")),
        (b"company%5Fid=AbC123", ("AbC123",)),  # an encoded name is still the name
        (b"x=company_id", ()),
    ],
)
def test_the_public_keys_a_call_names(query: bytes, keys: tuple[str, ...]) -> None:
    request = Request(
        {"type": "http", "method": "GET", "path": "/client/x", "query_string": query, "headers": []}
    )
    assert public_keys_in(request) == keys
