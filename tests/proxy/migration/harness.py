"""Shared plumbing for the staged-migration tests: a real uvicorn on 127.0.0.1 and a fake new API.

The fake upstream is an ``httpx.MockTransport`` that answers the few new-API operations these
tests touch and records every request, so a test can assert exactly what left the proxy.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

LOOPBACK = "127.0.0.1"
KEY_A = "pk_" + "a1" * 17  # caller A: a private key
KEY_B = "pk_" + "b2" * 17  # caller B: another private key
TOKEN = "QzW9Xy"  # caller B's public key (track/identify `token`)
EMAIL = "alice.secret@example.com"
PHONE = "+15555550123"
PROFILE_ID = "01HPROFILE0000000000000001"
RATE_REMAINING = "42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    server: uvicorn.Server


@contextlib.contextmanager
def serve(app: ASGIApp) -> Iterator[Served]:
    """Run ``app`` (lifespan on) under uvicorn in a thread; stop it (and its lifespan) on exit."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield Served(f"http://{LOOPBACK}:{port}", server)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def profile(profile_id: str, attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    attrs = {"email": EMAIL, "first_name": "Alice", "created": "2024-01-02T03:04:05+00:00"}
    return {"type": "profile", "id": profile_id, "attributes": {**attrs, **(attributes or {})}}


@dataclass
class FakeUpstream:
    """Answers get/update profile, events, campaigns; anything else 404. Thread-safe record."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append((request.method, request.url.path))
        headers = {"RateLimit-Remaining": RATE_REMAINING, "content-type": "application/vnd.api+json"}
        path, method = request.url.path, request.method
        m = re.fullmatch(r"/api/profiles/([^/]+)/?", path)
        if m and method == "GET":
            if m.group(1) != PROFILE_ID:
                return httpx.Response(
                    404, headers=headers, json={"errors": [{"status": 404, "detail": "nope"}]}
                )
            return httpx.Response(200, headers=headers, json={"data": profile(m.group(1))})
        if m and method == "PATCH":
            body = json.loads(request.content)
            return httpx.Response(
                200, headers=headers, json={"data": profile(m.group(1), body["data"]["attributes"])}
            )
        if (
            path in ("/client/events", "/api/events", "/client/profiles", "/api/profile-import")
            and method == "POST"
        ):
            return httpx.Response(202, headers=headers)
        if path.startswith("/api/campaigns") and method == "GET":
            return httpx.Response(200, headers=headers, json={"data": [], "links": {"next": None}})
        return httpx.Response(404, headers=headers, json={"errors": [{"status": 404, "detail": "unknown"}]})

    def seen(self, method: str | None = None) -> list[tuple[str, str]]:
        with self._lock:
            return [r for r in self.requests if method is None or r[0] == method]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def track_query(token: str = TOKEN, email: str = EMAIL, event: str = "Ordered") -> dict[str, str]:
    payload = {
        "token": token,
        "event": event,
        "customer_properties": {"$email": email, "$phone_number": PHONE},
    }
    return {"data": base64.b64encode(json.dumps(payload).encode()).decode()}


def write_atomically(path: Path, text: str) -> None:
    """How editors and config management replace a file: write aside, then rename over it."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
