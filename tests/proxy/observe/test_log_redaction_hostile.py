"""Log redaction on the paths issue 8 added or hardened: failing upstreams, hostile callers.

The proxy logs JSON lines at debug level into a buffer while it serves calls that carry a private
key, public keys, e-mail addresses and phone numbers in paths, caller labels, a huge User-Agent,
near-miss keys, a pass-through ``company_id``, against an upstream that answers garbage, resets,
refuses the key or hangs past the deadline. Neither the log nor ``/metrics`` may hold any of them
in clear (raw, lower-cased, URL- or base64-encoded).
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from proxy import create_app
from proxy.engine.serving import uvicorn_options
from proxy.settings import Settings
from tests.e2e.harness import LOOPBACK
from tests.proxy.harness import ADMIN, KEY_A, serve, wait_for
from tests.proxy.misbehaving import GARBAGE, HANG, RESET, Answer, MisbehavingUpstream, Seen
from tests.proxy.observe.test_log_redaction import LockedBuffer, _restore_logging, encoded_forms

TOKEN = "Hx7Qp2"
EMAIL = "hostile.secret@example.com"
PHONE = "+14155550199"
NEAR_MISS = "pk_" + "s3cr3t" * 5 + "\n"


def script(seen: Seen) -> Answer:
    if "garbage" in seen.path or "lists" in seen.path:
        return GARBAGE
    if "reset" in seen.path or "metrics" in seen.path:
        return RESET
    if "hang" in seen.path or "profiles" in seen.path:
        return HANG
    return Answer(401, b'{"errors": [{"status": 401, "detail": "bad key"}]}')


@pytest.fixture(scope="module")
def logged() -> Iterator[tuple[str, str]]:
    from proxy.observe.logs import configure

    restore = _restore_logging()
    buffer = LockedBuffer()
    configure(level="debug", fmt="json", stream=buffer)
    upstream = MisbehavingUpstream(script)
    try:
        with upstream.running():
            settings = Settings(
                upstream=upstream.url,
                traffic_db="off",
                admin_token=ADMIN,
                request_deadline=1.0,
                access_log=True,
            )
            with serve(create_app(settings), options=uvicorn_options(settings)) as proxy:
                _hostile_calls(proxy.url, proxy.port)
                metrics = httpx.get(f"{proxy.url}/metrics", headers={"authorization": f"Bearer {ADMIN}"}).text
                yield buffer.getvalue(), metrics
    finally:
        restore()


def _hostile_calls(url: str, port: int) -> None:
    data = base64.b64encode(
        json.dumps(
            {"token": TOKEN, "event": "E", "customer_properties": {"$email": EMAIL, "$phone_number": PHONE}}
        ).encode()
    ).decode()
    label = f"app {EMAIL} {PHONE} {TOKEN} {KEY_A}"
    headers = {"X-Compat-Caller": label, "User-Agent": f"{EMAIL} " + "a@b." * 3000 + f" {KEY_A} {PHONE}"}
    with httpx.Client(base_url=url, timeout=10, headers=headers) as client:
        client.get("/api/v1/metrics", params={"api_key": KEY_A})  # reset
        client.get("/api/v2/lists", params={"api_key": KEY_A})  # garbage
        client.get("/api/v1/person/01HX", params={"api_key": KEY_A})  # hangs past the deadline
        client.get(f"/api/v1/person/{EMAIL}", params={"api_key": KEY_A})
        client.get(f"/api/v1/person/{PHONE}", params={"api_key": NEAR_MISS})
        client.get("/api/v1/metrics", params={"api_key": "pk_" + "\u00e9" * 30})
        client.get("/api/track", params={"data": data})
        client.get(f"/api/track/{TOKEN}", params={"data": data, "token": TOKEN})
        client.get(f"/client/events/{TOKEN}/{EMAIL}", params={"company_id": TOKEN})
        client.post(
            "/api/garbage", headers={"authorization": f"Klaviyo-API-Key {KEY_A}"}, json={"email": EMAIL}
        )
        client.get("//_compat/report", params={"email": EMAIL})
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:  # leaves mid-body
        sock.sendall(
            f"PUT /api/v1/person/x?api_key={KEY_A} HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
            f'Content-Type: application/json\r\n\r\n{{"$email": "{EMAIL}"'.encode()
        )
        time.sleep(0.1)
    wait_for(lambda: True, timeout=0.5)


@pytest.mark.parametrize("secret", [KEY_A, NEAR_MISS.strip(), TOKEN, EMAIL, PHONE])
def test_no_secret_in_logs_or_metrics(logged: tuple[str, str], secret: str) -> None:
    log, metrics = logged
    assert log.count('"event":"access"') >= 10  # the calls were logged
    for form in encoded_forms(secret):
        assert form not in log, f"{form!r} in the log"
        assert form not in metrics, f"{form!r} in /metrics"


def test_failures_are_logged_with_their_real_cause_without_tracebacks(logged: tuple[str, str]) -> None:
    log, _ = logged
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert not [x for x in lines if x.get("level") in ("error", "critical") or "exception" in x]
    reasons = " ".join(str(x.get("reason", "")) for x in lines)
    assert "RemoteProtocolError" in reasons and "ReadError" in reasons
