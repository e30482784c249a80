"""Engine behaviour at the edges: malformed upstream answers, unencodable input, oversized bodies."""

import base64
from typing import Any

import httpx
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from proxy import Overrides, Settings, create_app

KEY = "pk_" + "ab" * 17


def _client(handler: Any) -> TestClient:
    settings = Settings(upstream="https://upstream.test", access_log=False)
    return TestClient(
        create_app(settings, overrides=Overrides(transport=httpx.MockTransport(handler))),
        base_url="http://proxy.test",
    )


def test_a_200_read_without_a_json_api_document_is_a_legacy_upstream_error_not_an_empty_person() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, content=b"<html>maintenance</html>")

    with _client(handler) as client:
        resp = client.get(f"/api/v1/person/01ABC?api_key={KEY}")
    assert calls == 1
    assert resp.status_code == 503
    assert set(resp.json()) == {"status", "message"}


def test_unencodable_input_is_refused_quietly_not_logged_as_an_internal_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not reach upstream")

    # A 30-digit integer decodes in Python but no JSON encoder for the new API can carry it.
    payload = (
        '{"token":"AbC123","event":"E","customer_properties":{"$email":"a@b.co"},"properties":{"n":'
        + "9" * 30
        + "}}"
    )
    with _client(handler) as client, capture_logs() as logs:
        track = client.get("/api/track", params={"data": base64.b64encode(payload.encode()).decode()})
    assert track.status_code == 200 and track.text == "0"
    events = [entry["event"] for entry in logs]
    assert "legacy.internal_error" not in events
    assert "legacy.bad_request" in events


def test_oversized_body_is_refused_from_its_declared_length() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not reach upstream")

    with _client(handler) as client:
        resp = client.post(
            f"/api/v2/list/AbC123/subscribe?api_key={KEY}",
            content=b"{" + b" " * (6 * 1024 * 1024) + b"}",
            headers={"content-type": "application/json"},
        )
    assert resp.status_code == 413
    assert set(resp.json()) == {"detail"}


def test_a_legacy_call_has_one_overall_deadline_across_its_upstream_calls() -> None:
    import asyncio

    started: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        started.append(request.url.path)
        await asyncio.sleep(5)  # each call alone is within any per-call timeout the test would set
        return httpx.Response(200, json={"data": {}})

    settings = Settings(upstream="https://upstream.test", access_log=False, request_deadline=0.3)
    app = create_app(settings, overrides=Overrides(transport=httpx.MockTransport(slow)))
    with TestClient(app, base_url="http://proxy.test") as client:
        resp = client.get(f"/api/v1/person/01ABC?api_key={KEY}")
    assert resp.status_code == 503
    assert "did not finish within 0.3 s" in resp.json()["message"]
    assert started == ["/api/profiles/01ABC"]


def test_any_http_method_on_a_legacy_path_gets_a_legacy_shaped_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(405, json={"errors": [{"detail": "method not allowed"}]})

    with _client(handler) as client:
        trace = client.request("TRACE", f"/api/v2/lists?api_key={KEY}")
        propfind = client.request("PROPFIND", "/api/v1/campaigns")
        new_api = client.request("PROPFIND", "/api/profiles")
    assert trace.status_code == 501 and set(trace.json()) == {"detail"}
    assert propfind.status_code == 501 and set(propfind.json()) == {"status", "message"}
    assert new_api.status_code == 405  # passed through to the upstream's own answer
    assert new_api.json()["errors"][0]["detail"] == "method not allowed"
