"""The one parametrized golden-table test for every mapping.

Each case: a legacy request, the upstream calls the proxy must make (in order, matched
exactly: method, path, query, JSON body, Authorization key), the replies the fake
upstream gives, and the exact legacy reply. The request goes through the real app
(``create_app``); only the network boundary is an ``httpx.MockTransport``.

Every case also checks the operation's declared upstream bound: the calls the case makes
never exceed ``max_upstream_calls.limit`` of the operation its request routes to.

Every case is deterministic: the app's clock is pinned to the case's ``"now"`` (ISO 8601
with an offset; default ``NOW``), which is the ``req.now`` every plan sees. The response
must pin its body: ``"text"`` or ``"json"``, or ``"body": None`` for an empty one.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from mappings.core import Operation
from mappings.registry import REGISTRY
from proxy import Overrides, Settings, create_app
from tests.mappings import golden

UPSTREAM = "https://upstream.test"
NOW = "2026-01-15T12:00:00+00:00"  # every case's clock unless it sets "now"
BODY_KEYS = ("text", "json", "body")


def _load_cases() -> list[Any]:
    params = []
    for info in sorted(pkgutil.iter_modules(golden.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{golden.__name__}.{info.name}")
        for case in getattr(module, "CASES", []):
            params.append(pytest.param(case, id=f"{info.name}:{case['id']}"))
    return params


CASES = _load_cases()


def _query_dict(raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in parse_qsl(raw.decode(), keep_blank_values=True):
        if k in out:
            prev = out[k]
            out[k] = [*prev, v] if isinstance(prev, list) else [prev, v]
        else:
            out[k] = v
    return out


class FakeUpstream:
    """Answers each upstream request with the next scripted reply, recording mismatches."""

    def __init__(self, script: list[dict[str, Any]]) -> None:
        self.script = script
        self.position = 0
        self.problems: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.position >= len(self.script):
            self.problems.append(f"unexpected extra call {request.method} {request.url.path}")
            return httpx.Response(599)
        exp = self.script[self.position]
        n = self.position
        self.position += 1
        seen = {
            "method": request.method,
            "path": request.url.path,
            "query": _query_dict(request.url.query),
        }
        body = request.content
        seen_json = orjson.loads(body) if body else None
        for field in ("method", "path", "query"):
            want = exp.get(field, {} if field == "query" else None)
            if seen[field] != want:
                self.problems.append(f"call {n} {field}: expected {want!r}, got {seen[field]!r}")
        if exp.get("json") != seen_json:
            self.problems.append(f"call {n} body: expected {exp.get('json')!r}, got {seen_json!r}")
        auth = request.headers.get("authorization")
        want_auth = exp.get("auth")
        want_header = None if want_auth is None else f"Klaviyo-API-Key {want_auth}"
        if auth != want_header:
            self.problems.append(f"call {n} authorization: expected {want_header!r}, got {auth!r}")
        want_revision = exp.get("revision", Settings().revision)  # a beta call names its own
        if request.headers.get("revision") != want_revision:
            self.problems.append(
                f"call {n}: revision header {request.headers.get('revision')!r}, not {want_revision!r}"
            )
        if seen_json is not None and request.headers.get("content-type") != "application/vnd.api+json":
            self.problems.append(f"call {n}: body without JSON:API content type")
        reply = exp["reply"]
        content = b"" if reply.get("json") is None else orjson.dumps(reply["json"])
        return httpx.Response(reply["status"], headers=reply.get("headers", {}), content=content)


def _route(op: Operation) -> re.Pattern[str]:
    template = re.escape(op.path.rstrip("/"))
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", template) + "/?")


ROUTES = [(op, _route(op)) for op in REGISTRY]


def routed(method: str, path: str) -> Operation | None:
    """The declared operation a legacy request reaches, or None (an unmapped route)."""
    for op, route in ROUTES:
        if op.method == method.upper() and route.fullmatch(path):
            return op
    return None


def bound_problem(method: str, path: str, calls: int) -> str | None:
    """Why ``calls`` upstream calls break the declared bound of the operation, or None."""
    op = routed(method, path)
    if op is None:
        return None
    limit = op.max_upstream_calls.limit
    if limit is not None and calls > limit:
        return f"{op.id} made {calls} upstream calls, its declared bound is {limit} ({op.max_upstream_calls})"
    return None


def test_every_operation_has_a_golden_case() -> None:
    """Adding an operation is one declaration plus at least one golden case (checked here)."""
    reached = {
        routed(case.values[0]["request"]["method"], case.values[0]["request"]["path"]) for case in CASES
    }
    assert [op.id for op in REGISTRY if op not in reached] == []


def test_the_bound_check_can_fail() -> None:
    assert routed("POST", "/api/v1/email-templates") is not None
    assert bound_problem("POST", "/api/v1/email-templates", 1) is None
    assert bound_problem("POST", "/api/v1/email-templates", 2) == (
        "C2 made 2 upstream calls, its declared bound is 1 (1)"
    )
    assert bound_problem("GET", "/api/v1/nowhere", 99) is None


def _clock(case: dict[str, Any]) -> float:
    moment = datetime.fromisoformat(case.get("now", NOW))
    assert moment.tzinfo is not None, f"case {case['id']}: now must carry a UTC offset"
    return moment.timestamp()


@pytest.mark.parametrize("case", CASES)
def test_golden(case: dict[str, Any]) -> None:
    want = case["response"]
    assert any(key in want for key in BODY_KEYS), (
        f"case {case['id']}: pin the response body with 'text', 'json' or 'body': None (empty)"
    )
    assert want.get("body", None) is None, "'body' may only be None (an empty body)"
    instant = _clock(case)
    fake = FakeUpstream(case.get("upstream", []))
    # Count lookups (person_count, num_recipients) are off unless a case turns them on
    # ("settings": {"count_lookups": True}) and scripts their upstream reads. One attempt per call:
    # the cases fix how one upstream answer translates (retries: tests/proxy/engine/test_resilience).
    base = Settings(upstream=UPSTREAM, access_log=False, count_lookups=False, retry_attempts=1)
    settings = replace(base, **case.get("settings", {}))
    app = create_app(
        settings, overrides=Overrides(transport=httpx.MockTransport(fake), clock=lambda: instant)
    )
    req = case["request"]
    kwargs: dict[str, Any] = {"params": req.get("query", []), "headers": req.get("headers", {})}
    if "json" in req:
        kwargs["content"] = orjson.dumps(req["json"])
        kwargs["headers"] = {"content-type": "application/json", **kwargs["headers"]}
    elif "form" in req:
        kwargs["data"] = dict(req["form"]) if isinstance(req["form"], dict) else req["form"]
    elif "content" in req:
        kwargs["content"] = req["content"]
    with TestClient(app, base_url="http://proxy.test") as client:
        if "data" in kwargs and not isinstance(kwargs["data"], dict):
            from urllib.parse import urlencode

            kwargs["content"] = urlencode(kwargs.pop("data")).encode()
            kwargs["headers"] = {"content-type": "application/x-www-form-urlencoded", **kwargs["headers"]}
        resp = client.request(req["method"], req["path"], **kwargs)
    assert not fake.problems, "\n".join(fake.problems)
    assert fake.position == len(fake.script), (
        f"only {fake.position} of {len(fake.script)} upstream calls made"
    )
    problem = bound_problem(req["method"], req["path"], fake.position)
    assert problem is None, problem
    assert resp.status_code == want["status"], resp.text
    for name, value in want.get("headers", {}).items():
        assert resp.headers.get(name) == value, f"header {name}: {resp.headers.get(name)!r}"
    if "text" in want:
        assert resp.text == want["text"]
    if "json" in want:
        assert resp.json() == want["json"]
    if "body" in want:
        assert resp.content == b"", f"expected an empty body, got {resp.text!r}"
