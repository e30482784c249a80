"""Log redaction through a real proxy: secrets and personal data never reach the log in clear.

A mix of legacy calls carries the private key (query, header, JSON body), public tokens,
e-mail addresses and phone numbers (also inside base64 ``data`` payloads). The proxy's
structlog output (``proxy.observe.logs.configure(stream=...)``, debug level, JSON lines) must not
contain any of them — raw, lower-cased, URL-encoded or base64-encoded — nor any raw query
string, and must have exactly one access line per request naming the legacy operation id.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import structlog

from tests.e2e.harness import HTTP_TIMEOUT, SERVER_SIDE_TOKEN, Recorder, Stack, build_stack, wait_until


class LockedBuffer(io.TextIOBase):
    """A thread-safe text sink (server threads write, the test reads)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        with self._lock:
            return "".join(self._parts)


@dataclass
class Captured:
    stack: Stack
    buffer: LockedBuffer
    expected: dict[str, str] = field(default_factory=dict)  # request id -> legacy operation id
    secrets: list[str] = field(default_factory=list)
    raw_values: list[str] = field(default_factory=list)  # whole query strings / payloads sent

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.buffer.getvalue().splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == "access"]


def _restore_logging() -> Any:
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (list(lg.handlers), lg.propagate, lg.level, lg.disabled)
        for n in names
        for lg in [logging.getLogger(n)]
    }
    config = structlog.get_config()

    def restore() -> None:
        structlog.configure(**config)
        for name, (handlers, propagate, level, disabled) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers, lg.propagate, lg.level, lg.disabled = handlers, propagate, level, disabled

    return restore


def b64(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def encoded_forms(secret: str) -> set[str]:
    """The secret as it could leak: raw, lower-case, URL-encoded, and base64 at every alignment."""
    forms = {secret, secret.lower(), quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    raw = secret.encode()
    for skip in range(3):  # base64 of a longer blob: the secret may start at any byte offset mod 3
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            enc = encode(b"\0" * skip + raw).decode()
            core = enc[4 * ((skip + 2) // 3) : 4 * ((skip + len(raw)) // 3)]
            if len(core) >= 8:
                forms.add(core)
    return {f for f in forms if f}


@pytest.fixture(scope="module")
def captured(upstream_recorder: Recorder) -> Iterator[Captured]:
    from proxy.observe.logs import configure

    restore = _restore_logging()
    buffer = LockedBuffer()
    configure(level="debug", fmt="json", stream=buffer)
    try:
        with build_stack(upstream_recorder, source="log-redaction") as stack:
            cap = Captured(stack=stack, buffer=buffer)
            _run_legacy_mix(cap)
            yield cap
    finally:
        restore()


def _run_legacy_mix(cap: Captured) -> None:
    stack = cap.stack
    tag = uuid.uuid4().hex[:8]
    emails = [
        f"track.get.{tag}@example.com",
        f"Track.Post+{tag}@Example.COM",
        f"identify.get.{tag}@example.org",
        f"identify.post.{tag}@example.net",
        f"changed.{tag}@example.com",
        f"subscriber.{tag}@example.com",
        f"bad.json.{tag}@example.com",
        f"unmapped.{tag}@example.com",
        f"nokey.{tag}@example.com",
        f"rejected.{tag}@example.com",
    ]
    phones = ["+13125550101", "+13125550102", "+13125550103", "+13125550104", "+0123456789"]
    key = stack.private_key
    cap.secrets = [key, stack.public_token, SERVER_SIDE_TOKEN, *emails, *phones]
    single = stack.store.add_list("Log test list", "single_opt_in")

    payloads = {
        "A1": {
            "token": stack.public_token,
            "event": "Viewed",
            "customer_properties": {"$email": emails[0], "$phone_number": phones[0]},
            "properties": {"note": f"call {phones[0]}"},
        },
        "A2": {
            "token": SERVER_SIDE_TOKEN,
            "event": "Ordered",
            "customer_properties": {"email": emails[1]},
            "properties": {"contact": emails[1]},
        },
        "A3": {"token": stack.public_token, "properties": {"$email": emails[2], "$phone_number": phones[1]}},
        "A4": {"token": SERVER_SIDE_TOKEN, "properties": {"$email": emails[3], "$first_name": "Lin"}},
        "A1-rejected": {
            "token": SERVER_SIDE_TOKEN,
            "event": "Viewed",
            "customer_properties": {"$email": emails[9], "$phone_number": phones[4]},
        },
    }
    encoded = {name: b64(p) for name, p in payloads.items()}
    cap.raw_values += list(encoded.values()) + [json.dumps(p) for p in payloads.values()]

    with httpx.Client(base_url=stack.proxy_url, timeout=HTTP_TIMEOUT, trust_env=False) as client:

        def call(op: str, method: str, path: str, **kw: Any) -> httpx.Response:
            request_id = f"logtest-{len(cap.expected):03d}-{tag}"
            cap.expected[request_id] = op
            headers = {"x-request-id": request_id, **kw.pop("headers", {})}
            response = client.request(method, path, headers=headers, **kw)
            assert response.status_code != 500, response.text
            cap.raw_values.append(str(response.request.url.query.decode()))
            return response

        assert call("A1", "GET", "/api/track", params={"data": encoded["A1"], "test": "0"}).text == "1"
        assert call("A2", "POST", "/api/track", data={"data": json.dumps(payloads["A2"])}).text == "1"
        assert call("A3", "GET", "/api/identify", params={"data": encoded["A3"]}).text == "1"
        assert call("A4", "POST", "/api/identify", json=payloads["A4"]).text == "1"
        assert call("A1", "GET", "/api/track", params={"data": encoded["A1-rejected"]}).text == "0"

        profile = stack.store.find_by_email(emails[3])
        assert profile is not None
        person = call("E1", "GET", f"/api/v1/person/{profile.id}", params={"api_key": key})
        assert person.status_code == 200 and person.json()["$email"] == emails[3]
        note = f"{emails[4]} / {phones[2]}"
        updated = call(
            "E2",
            "PUT",
            f"/api/v1/person/{profile.id}",
            params={"$email": emails[4], "$phone_number": phones[2], "Secret note": note},
            headers={"api-key": key},
        )
        assert updated.status_code == 200 and updated.json()["$email"] == emails[4]
        subscriber = {"email": emails[5], "phone_number": phones[3], "sms_consent": True}
        subscribed = call(
            "F6",
            "POST",
            f"/api/v2/list/{single.id}/subscribe",
            json={"api_key": key, "profiles": [subscriber]},
        )
        assert subscribed.status_code == 200 and subscribed.json()[0]["email"] == emails[5]
        assert (
            call("B1", "GET", "/api/v1/campaigns", params={"api_key": key, "page": 0, "count": 2}).status_code
            == 200
        )
        bad = call(
            "F6",
            "POST",
            f"/api/v2/list/{single.id}/subscribe",
            params={"api_key": key},
            content=f'{{"profiles": [{{"email": "{emails[6]}"'.encode(),
            headers={"content-type": "application/json"},
        )
        assert bad.status_code == 400
        unmapped = call("unmapped", "GET", "/api/v1/flows", params={"api_key": key, "email": emails[7]})
        assert unmapped.status_code == 501
        nokey = call(
            "E1", "GET", f"/api/v1/person/{profile.id}", params={"email": emails[8], "api_key": "pk_bad"}
        )
        assert nokey.status_code == 403


def test_one_access_line_per_request_naming_the_operation(captured: Captured) -> None:
    def complete() -> bool:
        ids = [line.get("request_id") for line in captured.access()]
        return set(captured.expected) <= set(ids)

    assert wait_until(complete, timeout=5.0), "access lines missing"
    mine = [line for line in captured.access() if line.get("request_id") in captured.expected]
    assert len(mine) == len(captured.expected), "exactly one access line per request"
    for line in mine:
        assert line["operation"] == captured.expected[line["request_id"]], line
        assert line["kind"] == "legacy" and line["method"] in ("GET", "POST", "PUT")
        assert "?" not in line["path"], line
    keyed = [line for line in mine if line["operation"] in ("E1", "E2", "F6", "B1") and line["status"] == 200]
    assert keyed, "no successful private-key call was logged: the caller check below would be vacuous"
    assert all(str(line.get("caller") or "").startswith("key#") for line in keyed), keyed


def test_no_secret_or_personal_data_in_clear(captured: Captured) -> None:
    assert wait_until(lambda: len(captured.access()) >= len(captured.expected), timeout=5.0)
    text = captured.buffer.getvalue()
    assert text.strip(), "nothing was logged"
    leaks = sorted({(s, f) for s in captured.secrets for f in encoded_forms(s) if f in text})
    assert not leaks, "secret or personal value in the log: " + "; ".join(f"{s!r} as {f!r}" for s, f in leaks)


def test_no_raw_query_strings_or_payloads_logged(captured: Captured) -> None:
    text = captured.buffer.getvalue()
    for raw in captured.raw_values:
        if len(raw) >= 12:
            assert raw not in text, f"raw request data in the log: {raw[:60]}..."
    for marker in ("api_key=", "data=", "api-key", "Klaviyo-API-Key pk_"):
        assert marker not in text, marker


def test_every_line_is_structured_json(captured: Captured) -> None:
    lines = captured.lines()
    assert lines and all(isinstance(line, dict) and "event" in line and "level" in line for line in lines)


def test_encoded_forms_would_catch_a_base64_leak() -> None:
    """Guards the leak check itself: a payload's base64 contains a detectable form of the email."""
    email = "someone.special@example.com"
    for prefix in ("", "x", "xy"):
        blob = b64({"token": prefix, "customer_properties": {"$email": email}})
        assert any(form in blob for form in encoded_forms(email)), prefix
