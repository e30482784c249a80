"""Issue 8, finding 7 ("small ones"): one regression test each, over a real socket.

The proxy runs under uvicorn on 127.0.0.1 in front of ``MisbehavingUpstream`` (loopback), which
records exactly what left the proxy. Upstream garbage and refused/reset connections are in
``test_upstream_hardening.py``; keep-alive in ``test_connection_limits.py``; traffic file modes in
``tests/proxy/traffic/test_traffic_store.py``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from proxy import create_app
from proxy.settings import Settings
from tests.e2e.harness import LOOPBACK, Served
from tests.proxy.harness import ADMIN, KEY_A, TOKEN, serve, wait_for
from tests.proxy.misbehaving import Answer, MisbehavingUpstream, Seen

METRICS = {"data": [{"type": "metric", "id": "M1", "attributes": {"name": "Placed Order"}}]}


def raw(port: int, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` as is (no client normalises its path) and read the answer until close."""
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: x", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Stack:
    upstream: MisbehavingUpstream
    proxy: Served
    client: httpx.Client
    refuse: list[bool]  # set refuse[0] = True: the upstream answers 401 to everything

    def sent(self) -> list[Seen]:
        return self.upstream.requests()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    refuse = [False]

    def script(seen: Seen) -> Answer:
        if refuse[0]:
            return Answer(401, json.dumps({"errors": [{"status": 401, "detail": "bad key"}]}).encode())
        return Answer(body=json.dumps(METRICS).encode())

    upstream = MisbehavingUpstream(script)
    with upstream.running():
        settings = Settings(
            upstream=upstream.url,
            traffic_db=str(tmp_path / "traffic.sqlite3"),
            traffic_flush_ms=10,
            admin_token=ADMIN,
            access_log=True,
        )
        with serve(create_app(settings)) as proxy, httpx.Client(base_url=proxy.url, timeout=10) as client:
            yield Stack(upstream, proxy, client, refuse)


def no_errors(caplog: pytest.LogCaptureFixture, logs: Sequence[Mapping[str, Any]]) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [line for line in logs if line.get("log_level") in ("error", "critical", "exception")] == []


@pytest.mark.parametrize("path", ["//api/profiles/", "//_compat/", "///metrics", "//_compat/report"])
def test_double_slash_paths_are_a_clean_404_never_a_500(
    stack: Stack, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with capture_logs() as logs:
        status, body = raw(stack.proxy.port, get(path, f"Authorization: Bearer {ADMIN}"))
    assert status == 404 and json.loads(body)["errors"][0]["status"] == 404
    assert stack.sent() == []
    no_errors(caplog, logs)


def test_non_ascii_header_value_passes_through(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    with capture_logs() as logs:
        response = stack.client.get("/api/metrics/", headers={b"x-note": "caf\u00e9".encode()})
    assert response.status_code == 200
    assert stack.sent()[0].headers["x-note"] == "caf\u00e9".encode().decode("latin-1")
    no_errors(caplog, logs)


@pytest.mark.parametrize(
    "key",
    [
        "pk_" + "\u00e9" * 30,
        "pk_" + "a" * 30 + "\n",
        "pk_" + "\u0661" * 30,
        "pk_" + "a" * 30 + "\r\nX-Evil: 1",
    ],
    ids=["accents", "trailing-newline", "arabic-digits", "crlf"],
)
def test_near_miss_keys_are_a_legacy_403(stack: Stack, key: str, caplog: pytest.LogCaptureFixture) -> None:
    with capture_logs() as logs:
        response = stack.client.get("/api/v1/metrics", params={"api_key": key})
    assert response.status_code == 403 and response.json()["status"] == 403  # v1 shape
    assert stack.sent() == []
    no_errors(caplog, logs)


@pytest.mark.parametrize("path", ["/api/v1/person/..", "/api/v1/person/.", "/api/v1/person/%2E%2E"])
def test_dot_segments_as_ids_are_refused_never_normalised(stack: Stack, path: str) -> None:
    status, body = raw(stack.proxy.port, get(f"{path}?api_key={KEY_A}"))
    assert 400 <= status < 500 and "status" in json.loads(body)
    assert [s.path for s in stack.sent()] == []  # nothing went upstream, least of all /api


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_compat/report/"), ("POST", "/metrics"), ("GET", "/_compat/nope"), ("PUT", "/_compat/report")],
)
def test_reserved_prefixes_never_pass_through(stack: Stack, method: str, path: str) -> None:
    response = stack.client.request(method, path, headers={"authorization": f"Bearer {ADMIN}"})
    assert response.status_code >= 400
    assert stack.sent() == []  # the admin token never travelled upstream


def test_upstream_401_drops_the_accounts_cached_pages(stack: Stack) -> None:
    assert stack.client.get("/api/v1/metrics", params={"api_key": KEY_A}).status_code == 200
    assert stack.client.get("/api/v1/metrics", params={"api_key": KEY_A}).status_code == 200  # cached
    calls = len(stack.sent())
    stack.refuse[0] = True  # the key is revoked upstream
    assert stack.client.get("/api/v2/lists", params={"api_key": KEY_A}).status_code in (401, 403)
    refused = stack.client.get("/api/v1/metrics", params={"api_key": KEY_A})
    assert refused.status_code in (401, 403)  # not the cached 200
    assert len(stack.sent()) == calls + 2


def test_repeated_parameters_last_value_wins_for_every_parameter(stack: Stack) -> None:
    # Key: a bad one first, the good one last -> the last wins (the page follows the same rule).
    response = stack.client.get(
        "/api/v1/metrics?api_key=pk_" + "z" * 30 + "&api_key=" + KEY_A + "&page=5&page=0&count=1"
    )
    assert response.status_code == 200
    assert response.json()["page"] == 0
    assert stack.sent()[0].key == KEY_A


@pytest.mark.parametrize("page", ["\u0661", "\u00b2", "1_0", "\uff11"])
def test_non_ascii_digits_are_not_numbers(stack: Stack, page: str) -> None:
    response = stack.client.get("/api/v1/metrics", params={"api_key": KEY_A, "page": page})
    assert response.status_code == 400 and response.json()["status"] == 400


def test_encoded_slash_is_not_a_separator(stack: Stack) -> None:
    response = stack.client.get("/api/v1%2Fmetrics", params={"api_key": KEY_A})
    assert response.status_code == 200  # not translated: passed through as sent
    assert stack.sent()[0].path.startswith("/api/v1%2Fmetrics")


def test_client_leaving_mid_body_is_logged_at_info_without_traceback(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    with capture_logs() as logs:
        for method, path in (("PUT", "/api/v1/person/01H"), ("POST", "/api/profiles/")):
            sock = socket.create_connection((LOOPBACK, stack.proxy.port), timeout=5)
            sock.sendall(
                f"{method} {path}?api_key={KEY_A} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                'Content-Length: 1000\r\n\r\n{"a": '.encode()
            )
            time.sleep(0.1)
            sock.close()
        wait_for(lambda: len([x for x in logs if x.get("event") == "access"]) >= 2)
    events = {line["event"] for line in logs}
    assert {"legacy.client_disconnected", "passthrough.client_disconnected"} <= events
    no_errors(caplog, logs)


def test_public_key_never_shows_in_access_paths_nor_labels(stack: Stack) -> None:
    data = base64.b64encode(
        json.dumps({"token": TOKEN, "event": "Viewed", "customer_properties": {"$id": "x"}}).encode()
    )
    with capture_logs() as logs:
        stack.client.get(f"/api/track/{TOKEN}", params={"data": data.decode(), "token": TOKEN})
        stack.client.get(
            "/api/track", params={"data": data.decode()}, headers={"X-Compat-Caller": f"shop-{TOKEN}"}
        )
        wait_for(lambda: len([x for x in logs if x.get("event") == "access"]) >= 2)
    assert TOKEN not in json.dumps(logs)
    report = stack.client.get("/_compat/report", headers={"authorization": f"Bearer {ADMIN}"})
    wait_for(
        lambda: (
            TOKEN
            not in stack.client.get("/_compat/report", headers={"authorization": f"Bearer {ADMIN}"}).text
        )
    )
    assert TOKEN not in report.text


def test_settings_for_the_new_limits_are_validated() -> None:
    from proxy.settings import SettingsError, validate

    for name in (
        "account_concurrency",
        "passthrough_pool_size",
        "max_header_count",
        "token_entries_per_account",
    ):
        with pytest.raises(SettingsError):
            validate(replace(Settings(), **{name: 0}))  # type: ignore[arg-type]


def test_a_revoked_key_is_not_served_cached_pages(tmp_path: Path) -> None:
    """Reading only cached pages, a revoked key is refused once its last acceptance is older than
    the recheck interval (one upstream page per account per interval, not per call)."""
    refuse = [False]

    def script(seen: Seen) -> Answer:
        if refuse[0]:
            return Answer(401, b'{"errors": [{"status": 401, "detail": "bad key"}]}')
        return Answer(body=json.dumps(METRICS).encode())

    upstream = MisbehavingUpstream(script)
    with upstream.running():
        app = create_app(Settings(upstream=upstream.url, traffic_db="off", access_log=False))
        with serve(app) as proxy, httpx.Client(base_url=proxy.url, timeout=10) as client:
            page = {"api_key": KEY_A, "page": "0", "count": "1"}
            assert client.get("/api/v1/metrics", params=page).status_code == 200
            assert client.get("/api/v1/metrics", params=page).status_code == 200  # cached, key fresh
            assert len(upstream.requests()) == 1
            refuse[0] = True
            app.state.engine.running.legacy.runner.keys.interval = 0.2
            time.sleep(0.3)
            refused = client.get("/api/v1/metrics", params=page)
            assert refused.status_code == 403 and refused.json()["status"] == 403
            assert len(upstream.requests()) == 2  # one recheck


def test_a_stalled_body_ends_at_the_deadline(tmp_path: Path) -> None:
    """A body that stops arriving holds no connection past request_deadline (legacy 408)."""
    upstream = MisbehavingUpstream()
    with upstream.running():
        settings = Settings(upstream=upstream.url, traffic_db="off", access_log=False, request_deadline=0.5)
        with serve(create_app(settings)) as proxy:
            with socket.create_connection((LOOPBACK, proxy.port), timeout=5) as sock:
                started = time.monotonic()
                sock.sendall(
                    f"PUT /api/v1/person/01H?api_key={KEY_A} HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode()
                )
                answer = sock.recv(65536)  # 99 bytes never come
            seconds = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408") and seconds < 3
    assert upstream.requests() == []
