"""Issue 8, finding 5, against the real command: ``klaviyo-compat serve`` in its own process applies
the connection limits of its settings (header timeout, header caps) over real sockets."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import LOOPBACK
from tests.proxy.harness import REPO, free_port, wait_for


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("serve-limits")
    cfg, log = tmp / "compat.toml", tmp / "proxy.log"
    cfg.write_text(
        'traffic_db = "off"\nheader_timeout = 0.5\nmax_header_count = 50\nmax_header_bytes = 8192\n'
    )
    port = free_port()
    cmd = [sys.executable, "-m", "proxy.cli", "serve", "--sandbox", "--config", str(cfg), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(Path(log).read_text())
        try:
            return httpx.get(f"http://{LOOPBACK}:{port}/_compat/health").status_code == 200
        except httpx.ConnectError:
            return False

    try:
        wait_for(up, timeout=30)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def exchange(port: int, data: bytes) -> tuple[bytes, float]:
    """Send ``data``; everything answered until the server closes, and how long that took."""
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            sock.sendall(data)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
        return answer, time.monotonic() - started


def read_response(sock: socket.socket) -> bytes:
    """One whole answer on a kept-alive connection (head, then Content-Length bytes of body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_serve_closes_a_connection_that_never_completes_its_headers(served: int) -> None:
    answer, seconds = exchange(served, b"GET /_compat/health HTTP/1.1\r\nHost: x\r\n")
    assert answer.startswith(b"HTTP/1.1 408") and seconds < 3


def test_serve_refuses_too_many_headers(served: int) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
    answer, _ = exchange(served, b"GET /_compat/health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431")


def test_serve_refuses_an_oversized_header(served: int) -> None:
    answer, _ = exchange(
        served, b"GET /api/track HTTP/1.1\r\nHost: x\r\nUser-Agent: " + b"a" * 100_000 + b"\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 431")


def test_serve_still_answers_ordinary_requests(served: int) -> None:
    answer, _ = exchange(served, b"GET /_compat/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200")


def test_a_kept_alive_connection_idles_past_the_head_timeout_and_its_next_slow_head_is_refused(
    served: int,
) -> None:
    """The head timer times each head from its first byte: idling between requests is the
    keep-alive timeout's business, a second request's trickled head is still cut (0.5 s here)."""
    request = b"GET /_compat/health HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((LOOPBACK, served), timeout=5) as sock:
        sock.sendall(request)
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(1.2)  # idle: more than two head timeouts
        sock.sendall(request)
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        sock.sendall(b"GET /_compat/health HTTP/1.1\r\n")  # a head that never ends
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 3


def test_serving_freezes_start_up_objects_and_collects_the_young_generation_less_often() -> None:
    """``tune_gc`` (run by ``serve`` before uvicorn starts) in a process of its own."""
    import subprocess
    import sys

    code = (
        "import gc; from proxy.engine.serving import GC_THRESHOLDS, tune_gc; "
        "before = gc.get_freeze_count(); tune_gc(); "
        "print(before, gc.get_freeze_count() > 10_000, gc.get_threshold() == GC_THRESHOLDS)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["0", "True", "True"]
