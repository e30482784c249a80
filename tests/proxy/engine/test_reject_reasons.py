"""A track/identify answered ``0`` says why: a reason code in its access line and in the metrics,
never personal data; an accepted one counts apart from a rejected one."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from proxy import Overrides, create_app
from proxy.observe.logs import configure
from proxy.settings import Settings
from tests.proxy.harness import ADMIN, EMAIL, PHONE, TOKEN, FakeUpstream, serve
from tests.proxy.observe.test_log_redaction import LockedBuffer


def _b64(payload: Any) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


class Conflict(FakeUpstream):
    """Identify upstream answers 409 (identifiers of two profiles)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/client/profiles":
            return httpx.Response(409, json={"errors": [{"status": 409, "detail": "duplicate"}]})
        return super().__call__(request)


CASES: list[tuple[str, dict[str, str], str | None]] = [
    ("/api/track", {"data": "%%%not-base64"}, "undecodable_payload"),
    (
        "/api/track",
        {"data": _b64({"event": "Ordered", "customer_properties": {"$email": EMAIL}})},
        "no_token",
    ),
    ("/api/track", {"data": _b64({"token": TOKEN, "customer_properties": {"$email": EMAIL}})}, "no_event"),
    (
        "/api/track",
        {"data": _b64({"token": TOKEN, "event": "Ordered", "customer_properties": {"x": 1}})},
        "no_identifier",
    ),
    ("/api/identify", {"data": _b64({"token": TOKEN})}, "no_properties"),
    (
        "/api/identify",
        {"data": _b64({"token": TOKEN, "properties": {"$email": EMAIL, "$phone_number": PHONE}})},
        "upstream_409",
    ),
    (
        "/api/track",
        {"data": _b64({"token": TOKEN, "event": "Ordered", "customer_properties": {"$email": EMAIL}})},
        None,
    ),
]


@pytest.fixture
def logged() -> Iterator[LockedBuffer]:
    buffer = LockedBuffer()
    configure("info", "json", stream=buffer)
    yield buffer
    configure("info", "json")


def test_each_zero_logs_its_reason_and_counts_it(logged: LockedBuffer) -> None:
    settings = Settings(upstream="https://upstream.test", traffic_db="off", admin_token=ADMIN)
    app = create_app(settings, overrides=Overrides(transport=Conflict().transport()))
    with serve(app) as served:
        answers = [httpx.get(served.url + path, params=query, timeout=10) for path, query, _ in CASES]
        metrics = httpx.get(
            served.url + "/metrics", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10
        ).text
    assert [a.text for a in answers] == ["0"] * 6 + ["1"]
    access = [
        json.loads(line)
        for line in logged.getvalue().splitlines()
        if '"event":"access"' in line.replace(" ", "")
    ]
    by_id = {a.headers["x-request-id"]: a for a in answers}
    reasons = {line["request_id"]: line.get("reason") for line in access if line["request_id"] in by_id}
    assert [reasons[a.headers["x-request-id"]] for a in answers] == [reason for _, _, reason in CASES]
    text = logged.getvalue()
    assert EMAIL not in text and PHONE not in text and TOKEN not in text
    assert (
        'klaviyo_compat_public_answers_total{answer="0",operation="A1",reason="no_identifier"} 1.0' in metrics
    )
    assert (
        'klaviyo_compat_public_answers_total{answer="0",operation="A3",reason="upstream_409"} 1.0' in metrics
    )
    assert 'klaviyo_compat_public_answers_total{answer="1",operation="A1",reason=""} 1.0' in metrics


def test_the_engine_names_its_own_zeros_too(logged: LockedBuffer) -> None:
    import asyncio
    import socket

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(2)
        return httpx.Response(202)

    query = {"data": _b64({"token": TOKEN, "event": "Ordered", "customer_properties": {"$email": EMAIL}})}
    slow_settings = Settings(upstream="https://upstream.test", traffic_db="off", request_deadline=0.2)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    gone = Settings(upstream=f"http://127.0.0.1:{closed}", traffic_db="off", connect_timeout=1)
    answers = []
    with serve(create_app(slow_settings, overrides=Overrides(transport=httpx.MockTransport(slow)))) as served:
        answers.append(httpx.get(served.url + "/api/track", params=query, timeout=10))
    with serve(create_app(gone)) as served:
        answers.append(httpx.get(served.url + "/api/track", params=query, timeout=10))
    assert [a.text for a in answers] == ["0", "0"]
    lines = [json.loads(line) for line in logged.getvalue().splitlines() if '"access"' in line]
    reasons = {line["request_id"]: line.get("reason") for line in lines}
    assert [reasons[a.headers["x-request-id"]] for a in answers] == ["deadline", "upstream_unreachable"]
