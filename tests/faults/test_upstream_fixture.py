"""The fault upstream itself: each mode does what it says (colleagues reuse it)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from proxy.sandbox import DEMO_PRIVATE_KEY
from tests.faults.upstream import FaultUpstream

HEADERS = {"authorization": f"Klaviyo-API-Key {DEMO_PRIVATE_KEY}", "revision": "2026-07-15"}


@pytest.fixture(scope="module")
def upstream() -> Iterator[FaultUpstream]:
    with FaultUpstream(retry_after=7) as fault:
        yield fault


def get(fault: FaultUpstream, timeout: float = 1.0) -> httpx.Response:
    with httpx.Client(base_url=fault.url, timeout=timeout) as client:
        return client.get("/api/lists", headers=HEADERS)


def test_healthy_answers_from_the_sandbox_and_cookies_adds_set_cookie(upstream: FaultUpstream) -> None:
    upstream.set_mode("healthy")
    assert get(upstream).json()["data"] == []
    upstream.set_mode("cookies")
    assert "upstream_session" in get(upstream).headers["set-cookie"]


@pytest.mark.parametrize(("mode", "status"), [("429", 429), ("500", 500), ("503", 503)])
def test_error_modes(upstream: FaultUpstream, mode: str, status: int) -> None:
    upstream.set_mode(mode)
    resp = get(upstream)
    assert resp.status_code == status
    if status != 500:
        assert resp.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("mode", "error"),
    [("hang", httpx.ReadTimeout), ("reset", httpx.RemoteProtocolError), ("garbage", httpx.RemoteProtocolError),
     ("down", httpx.ConnectError)],
)  # fmt: skip
def test_transport_faults(upstream: FaultUpstream, mode: str, error: type[Exception]) -> None:
    upstream.set_mode(mode)
    try:
        with pytest.raises((error, httpx.ReadError)):
            get(upstream, timeout=0.3)
    finally:
        upstream.set_mode("healthy")
    assert get(upstream).status_code == 200  # back on the same port


def test_no_continue_never_sends_100_continue(upstream: FaultUpstream) -> None:
    upstream.set_mode("no-continue")
    with socket.create_connection(("127.0.0.1", upstream.port), timeout=0.5) as sock:
        sock.sendall(
            b"POST /api/lists HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n"
        )
        with pytest.raises(TimeoutError):
            sock.recv(100)
    upstream.set_mode("healthy")
