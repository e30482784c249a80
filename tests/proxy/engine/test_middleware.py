"""``RequestContextMiddleware``: one request id per request (a safe incoming one is kept, anything
else replaced), echoed in ``X-Request-Id`` and bound to every log line, the access line included."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import pytest
import structlog
from starlette.types import Message, Receive, Scope, Send
from structlog.testing import capture_logs

from proxy.engine.call import CallOutcome, call_slot
from proxy.engine.middleware import RequestContextMiddleware

FRESH = re.compile(r"^[0-9a-f]{32}$")  # uuid4().hex


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Logs one line of its own, then answers 204."""
    call_slot(scope).outcome = CallOutcome(kind="legacy", operation="E1")
    structlog.get_logger("test.app").info("inside")
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def call(request_id: bytes | None) -> tuple[list[str], list[MutableMapping[str, Any]]]:
    """One GET through the middleware: the X-Request-Id values answered, and the log lines."""
    headers = [(b"user-agent", b"test/1.0")]
    if request_id is not None:
        headers.append((b"x-request-id", request_id))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/person/x",
        "query_string": b"api_key=pk_secret",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        await RequestContextMiddleware(app)(scope, receive, send)
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    echoed = [v.decode("latin-1") for k, v in start["headers"] if k == b"x-request-id"]
    return echoed, logs


@pytest.mark.parametrize(
    "safe", [b"abcdefgh", b"req-2026.11.27_0001", b"A" * 64, b"0123456789abcdef0123456789abcdef"]
)
async def test_a_safe_incoming_request_id_is_kept(safe: bytes) -> None:
    echoed, logs = await call(safe)
    assert echoed == [safe.decode()]
    assert [line["request_id"] for line in logs] == [safe.decode()] * 2  # the app's line and the access line


@pytest.mark.parametrize(
    "unsafe",
    [
        b"abcdefgh\r\nSet-Cookie: x=1",  # header injection
        b"abcdefgh\nforged log line",
        b"a" * 200,  # too long
        b"a" * 65,
        b"short",  # too short
        b"has spaces in it",
        b"semi;colon;id",
        b"",
    ],
)
async def test_an_unsafe_incoming_request_id_is_replaced_by_a_fresh_one(unsafe: bytes) -> None:
    echoed, logs = await call(unsafe)
    [request_id] = echoed
    assert FRESH.match(request_id) and request_id != unsafe.decode("latin-1")
    assert [line["request_id"] for line in logs] == [request_id] * 2


async def test_without_an_incoming_id_each_request_gets_its_own() -> None:
    first, _ = await call(None)
    second, _ = await call(None)
    assert FRESH.match(first[0]) and FRESH.match(second[0]) and first != second


async def test_the_access_line_names_the_request_and_never_its_query() -> None:
    _, logs = await call(b"trace-0001")
    [access] = [line for line in logs if line["event"] == "access"]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/v1/person/x", 204)
    assert (access["operation"], access["user_agent"]) == ("E1", "test/1.0")
    assert access["client"].startswith("ip#")
    assert "pk_secret" not in repr(logs)


async def test_context_does_not_leak_into_the_next_request() -> None:
    await call(b"first-request-id")
    assert "request_id" not in structlog.contextvars.get_contextvars()
