"""Issue 8, finding 5: connection limits over real sockets against uvicorn run as ``serve`` runs it.

The proxy runs under uvicorn on 127.0.0.1 with ``proxy.engine.serving.uvicorn_options`` (what
``klaviyo-compat serve`` passes). Raw sockets play the slow and abusive clients; a health probe
must keep answering meanwhile.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from proxy import create_app
from proxy.engine.serving import uvicorn_options
from proxy.settings import Settings
from tests.e2e.harness import LOOPBACK, Served
from tests.proxy.harness import serve

BASE = Settings(upstream="http://127.0.0.1:9", traffic_db="off", access_log=False)


@contextlib.contextmanager
def proxy(**limits: float) -> Iterator[Served]:
    settings = replace(BASE, **limits)  # type: ignore[arg-type]
    with serve(create_app(settings), options=uvicorn_options(settings)) as served:
        yield served


def connect(port: int) -> socket.socket:
    sock = socket.create_connection((LOOPBACK, port), timeout=5)
    sock.settimeout(5)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (or 5 s pass)."""
    out = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            out += chunk
    return out


def health_ms(url: str) -> float:
    """How long a health probe takes on an open connection (client set-up not counted)."""
    with httpx.Client(base_url=url, timeout=5) as client:
        assert client.get("/_compat/health").status_code == 200  # connects
        started = time.perf_counter()
        assert client.get("/_compat/health").status_code == 200
        return (time.perf_counter() - started) * 1000


def test_slow_connections_are_closed_after_the_header_timeout() -> None:
    with proxy(header_timeout=0.5) as served:
        silent = [connect(served.port) for _ in range(100)]
        partial = [connect(served.port) for _ in range(100)]
        for sock in partial:
            sock.sendall(b"GET /_compat/health HTTP/1.1\r\nHost: x\r\n")  # never the final CRLF
        assert health_ms(served.url) < 100  # 200 slow connections do not slow the others
        started = time.monotonic()
        answers = [read_all(sock) for sock in silent + partial]
        waited = time.monotonic() - started
        for sock in silent + partial:
            sock.close()
    assert waited < 3  # all closed by the server, none waited for the 5 s client timeout
    assert all(a == b"" or a.startswith(b"HTTP/1.1 408") for a in answers)


def test_a_slow_request_after_a_kept_alive_response_is_closed_too() -> None:
    with proxy(header_timeout=0.5) as served:
        sock = connect(served.port)
        sock.sendall(b"GET /_compat/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /_compat/health HTTP/1.1\r\n")  # then nothing
        started = time.monotonic()
        assert read_all(sock).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < 3
        sock.close()


@pytest.mark.parametrize("size", [40_000, 8_000_000], ids=["40KB", "8MB"])
def test_oversized_header_is_refused_with_431(size: int) -> None:
    with proxy(max_header_bytes=32_768) as served:
        sock = connect(served.port)
        with contextlib.suppress(OSError):  # the server may close before the whole 8 MB is sent
            sock.sendall(b"GET /_compat/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n")
        answer = read_all(sock)
        sock.close()
        assert health_ms(served.url) < 100
    assert answer.startswith(b"HTTP/1.1 431")


def test_too_many_headers_are_refused_with_431() -> None:
    with proxy(max_header_count=100) as served:
        sock = connect(served.port)
        headers = b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
        with contextlib.suppress(OSError):
            sock.sendall(b"GET /_compat/health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        answer = read_all(sock)
        sock.close()
        # Within the caps the same request is served.
        ok = httpx.get(f"{served.url}/_compat/health", headers={f"x-h{i}": "v" for i in range(50)}, timeout=5)
    assert answer.startswith(b"HTTP/1.1 431")
    assert ok.status_code == 200


def test_connections_beyond_the_cap_get_503_at_once() -> None:
    with proxy(max_connections=20, header_timeout=30) as served:
        idle = [connect(served.port) for _ in range(25)]
        time.sleep(0.2)
        started = time.monotonic()
        response = httpx.get(f"{served.url}/_compat/health", timeout=5)
        seconds = time.monotonic() - started
        for sock in idle:
            sock.close()
    assert response.status_code == 503 and seconds < 1


def test_idle_kept_alive_connection_closes_after_keep_alive_timeout() -> None:
    with proxy(keep_alive_timeout=0.5, header_timeout=30) as served:
        sock = connect(served.port)
        sock.sendall(b"GET /_compat/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert read_all(sock) == b""  # closed quietly
        assert 0.3 < time.monotonic() - started < 3
        sock.close()


def test_default_keep_alive_outlives_common_client_pools() -> None:
    # httpx 5 s, Node 5 s, aiohttp 15 s: the client must close an idle connection first.
    assert uvicorn_options(Settings())["timeout_keep_alive"] > 15


async def test_no_read_errors_on_reused_connections_under_load() -> None:
    """Bursts separated by idle gaps: the client pool's idle expiry (0.3 s) is below the server's
    keep-alive (1 s), as the defaults are, so no request ever lands on a connection being closed."""
    import asyncio

    with proxy(keep_alive_timeout=1.0) as served:
        limits = httpx.Limits(max_connections=50, keepalive_expiry=0.3)
        errors = total = 0
        async with httpx.AsyncClient(base_url=served.url, limits=limits, timeout=5) as client:
            for gap in (0.2, 0.5, 0.95):
                results = await asyncio.gather(
                    *(client.get("/_compat/health") for _ in range(100)), return_exceptions=True
                )
                total += len(results)
                errors += sum(1 for r in results if not isinstance(r, httpx.Response) or r.status_code != 200)
                await asyncio.sleep(gap)
    print(f"\nkeep-alive load run: {errors} errors in {total} requests")
    assert errors == 0
