"""Shared plumbing for proxy tests over a real socket: uvicorn on 127.0.0.1 and a fake new API.

Servers run under ``tests.e2e.harness.serve`` (the one uvicorn-in-a-thread helper of the suite).
The fake upstream is an ``httpx.MockTransport`` that answers the few new-API operations these
tests touch and records every request, so a test can assert exactly what left the proxy.
Also: the scripted two-caller traffic mix the report and dashboard tests read back, and a
``TrafficRecord`` factory for tests that write the traffic store directly.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from proxy.observe.redact import fingerprint
from proxy.settings import Settings
from proxy.traffic.record import TrafficRecord
from proxy.traffic.store import CallerUsage, DayCount
from tests.e2e.harness import LOOPBACK, wait_until
from tests.e2e.harness import serve as serve  # re-exported: the proxy tests start servers with it

REPO = Path(__file__).resolve().parents[2]  # the checkout: cwd and import root of child processes
KEY_A = "pk_" + "a1" * 17  # caller A: a private key
KEY_B = "pk_" + "b2" * 17  # caller B: another private key
TOKEN = "QzW9Xy"  # caller B's public key (track/identify `token`)
EMAIL = "alice.secret@example.com"
PHONE = "+15555550123"
PROFILE_ID = "01HPROFILE0000000000000001"
RATE_REMAINING = "42"
ADMIN = "admin-" + "z" * 24  # the admin token of ``traffic_settings``
DAY = 86400.0
T0 = 1_790_000_000.0  # 2026-09-21T...Z


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


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


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` (a bound, not a pace)."""
    assert wait_until(lambda: bool(predicate()), timeout, interval), "condition not met in time"


# --------------------------------------------------------------------------- recorded traffic


def traffic_settings(db: Path) -> Settings:
    """A proxy in front of ``FakeUpstream`` recording to ``db`` (flushed every 10 ms), admin on."""
    return Settings(
        upstream="https://upstream.test",
        traffic_db=str(db),
        traffic_flush_ms=10,
        admin_token=ADMIN,
        access_log=False,
    )


def caller_a() -> str:
    """Caller A's hash, under the secret the proxy configured (ask after it has started)."""
    return fingerprint(KEY_A, "key")


def caller_b() -> str:
    return fingerprint(TOKEN, "token")


def mix() -> list[tuple[str, str, str | None, int, int]]:
    """(operation, caller, label, calls, errors) of ``run_mix``, in the order the report lists them."""
    return [
        ("E1", caller_a(), "billing-app", 4, 1),  # 4 calls, 25 % errors: ahead of A1's 4 calls without errors
        ("A1", caller_b(), None, 4, 0),
        ("B1", caller_a(), "billing-app", 2, 0),
        ("A3", caller_b(), None, 1, 0),
    ]


def identify_query() -> dict[str, str]:
    payload = {"token": TOKEN, "properties": {"$email": EMAIL, "plan": "gold"}}
    return {"data": base64.b64encode(json.dumps(payload).encode()).decode()}


def run_mix(url: str) -> None:
    """The scripted legacy calls of two callers (A: a private key and a label, B: a public token)."""
    a = httpx.Client(base_url=url, headers={"X-Compat-Caller": "billing-app", "User-Agent": "billing/1.4"})
    b = httpx.Client(base_url=url, headers={"User-Agent": "shop-frontend/2.1"})
    with a, b:
        for _ in range(3):
            assert a.get(f"/api/v1/person/{PROFILE_ID}", params={"api_key": KEY_A}).status_code == 200
        assert a.get("/api/v1/person/01HUNKNOWN", params={"api_key": KEY_A}).status_code == 404
        for _ in range(2):
            assert a.get("/api/v1/campaigns", params={"api_key": KEY_A}).status_code == 200
        for i in range(4):
            assert b.get("/api/track", params=track_query(event=f"Viewed {i}")).text == "1"
        assert b.get("/api/identify", params=identify_query()).text == "1"


def rec(ts: float = T0, op: str = "E1", caller: str | None = "key#a", **kw: Any) -> TrafficRecord:
    """One traffic record (an E1 call of caller ``key#a`` by default); ``kw`` overrides fields."""
    base = TrafficRecord(
        ts=ts,
        operation=op,
        mode="translate",
        action="translate",
        status=200,
        failed=False,
        upstream_calls=1,
        latency_ms=3.5,
        fidelity="exact",
        caller=caller,
        label=None,
        user_agent="app/1.0",
        client="ip#1",
    )
    return base._replace(**kw)


class StuckStore:
    """A traffic store whose writes block until ``release`` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.written: list[TrafficRecord] = []
        self.closed = False

    def write(self, records: Sequence[TrafficRecord]) -> None:
        self.entered.set()
        self.release.wait(30)
        self.written.extend(records)

    def usage(self, since: float, until: float) -> list[CallerUsage]:
        return []

    def total(self, since: float, until: float) -> int:
        return 0

    def daily(self, since: float, until: float) -> list[DayCount]:
        return []

    def prune(self, before: float) -> int:
        return 0

    def close(self) -> None:
        self.closed = True
