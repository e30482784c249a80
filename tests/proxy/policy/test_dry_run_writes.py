"""Dry-run mode over every legacy write operation, against the sandbox as the new API.

Each write gets the legacy success answer, shaped like the answer ``translate`` gives the same
request (same status class, same keys), creates and clones answer fresh ``dry-run-N`` ids
(never the source's), and the sandbox's state is untouched: only reads reached it.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from mappings.core import Family, Fidelity
from mappings.registry import REGISTRY
from proxy import Overrides, create_app
from proxy.sandbox import DEMO_PRIVATE_KEY, Store, create_sandbox_app
from proxy.settings import Settings

K = DEMO_PRIVATE_KEY
PUBLIC = "SbX123"
STATE = (
    "profiles",
    "events",
    "metrics",
    "lists",
    "segments",
    "campaigns",
    "campaign_messages",
    "templates",
    "jobs",
    "pending_confirmations",
    "event_keys",
)
# C7 opted in (template_send_beta, beta_revision): its preview send is a write like the others.
BASE = Settings(
    upstream="http://sandbox.test",
    traffic_db="off",
    access_log=False,
    template_send_beta=True,
    beta_revision="2026-07-15.pre",
)


class Recording(httpx.AsyncBaseTransport):
    """The sandbox in-process, remembering the method and path of every request it got."""

    def __init__(self, store: Store) -> None:
        self.inner = httpx.ASGITransport(create_sandbox_app(store))
        self.seen: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)


@contextlib.asynccontextmanager
async def proxy(
    transport: httpx.AsyncBaseTransport, modes: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(BASE, modes=modes), overrides=Overrides(transport=transport))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://proxy")
    async with app.router.lifespan_context(app), client:
        yield client


@dataclass
class Fixtures:
    list_id: str
    template_id: str
    draft: str  # a draft campaign
    scheduled: str  # a scheduled campaign
    profile_id: str
    exchange_id: str


async def seed(store: Store) -> Fixtures:
    """Fixtures made through the proxy in translate mode (as an app would have made them)."""
    async with proxy(Recording(store), {}) as c:
        lid = (await c.post("/api/v2/lists", data={"api_key": K, "list_name": "Fixture"})).json()["list_id"]
        form = {"api_key": K, "name": "T1", "html": "<p>hi</p>"}
        tpl = (await c.post("/api/v1/email-templates", data=form)).json()["id"]
        campaign = {
            "api_key": K,
            "list_id": lid,
            "template_id": tpl,
            "from_email": "a@b.co",
            "from_name": "A",
        }
        draft = (await c.post("/api/v1/campaigns", data={**campaign, "subject": "S"})).json()["id"]
        later = (await c.post("/api/v1/campaigns", data={**campaign, "subject": "S9"})).json()["id"]
        r = await c.post(
            f"/api/v1/campaign/{later}/schedule", data={"api_key": K, "send_time": "2031-01-01 00:00:00"}
        )
        assert r.status_code == 200, r.text
        members = {"api_key": K, "profiles": [{"email": "m1@example.com"}]}
        pid = (await c.post(f"/api/v2/list/{lid}/members", json=members)).json()[0]["id"]
    return Fixtures(lid, tpl, draft, later, pid, store.exchange_id(pid))


def b64(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


TRACK = {"token": PUBLIC, "event": "Ordered", "customer_properties": {"$email": "z@example.com"}}
IDENTIFY = {"token": PUBLIC, "properties": {"$email": "z@example.com"}}
Request = tuple[str, str, dict[str, Any]]


def requests(f: Fixtures) -> dict[str, Request]:
    """One well-formed request per legacy write operation."""
    c, t, lid = f.draft, f.template_id, f.list_id
    return {
        "A1": ("GET", "/api/track", {"params": {"data": b64(TRACK)}}),
        "A2": ("POST", "/api/track", {"data": {"data": json.dumps(TRACK)}}),
        "A3": ("GET", "/api/identify", {"params": {"data": b64(IDENTIFY)}}),
        "A4": ("POST", "/api/identify", {"data": {"data": json.dumps(IDENTIFY)}}),
        "B2": (
            "POST",
            "/api/v1/campaigns",
            {
                "data": {
                    "api_key": K,
                    "list_id": lid,
                    "template_id": t,
                    "from_email": "b@b.co",
                    "from_name": "B",
                    "subject": "S2",
                }
            },
        ),
        "B4": (
            "PUT",
            f"/api/v1/campaign/{c}",
            {"data": {"api_key": K, "subject": "changed", "name": "renamed"}},
        ),
        "B5": ("POST", f"/api/v1/campaign/{c}/send", {"data": {"api_key": K}}),
        "B6": (
            "POST",
            f"/api/v1/campaign/{c}/schedule",
            {"data": {"api_key": K, "send_time": "2030-01-01 00:00:00"}},
        ),
        "B7": ("POST", f"/api/v1/campaign/{f.scheduled}/cancel", {"data": {"api_key": K}}),
        "B8": (
            "POST",
            f"/api/v1/campaign/{c}/clone",
            {"data": {"api_key": K, "name": "The clone", "list_id": lid}},
        ),
        "C2": ("POST", "/api/v1/email-templates", {"data": {"api_key": K, "name": "T2", "html": "<p>x</p>"}}),
        "C3": ("PUT", f"/api/v1/email-template/{t}", {"data": {"api_key": K, "name": "T1b"}}),
        "C4": ("DELETE", f"/api/v1/email-template/{t}", {"params": {"api_key": K}}),
        "C5": ("POST", f"/api/v1/email-template/{t}/clone", {"data": {"api_key": K, "name": "T1c"}}),
        "C7": (
            "POST",
            f"/api/v1/email-template/{t}/send",
            {
                "data": {
                    "api_key": K,
                    "from_email": "a@b.co",
                    "from_name": "A",
                    "subject": "s",
                    "to": "c@d.co",
                }
            },
        ),
        "E2": ("PUT", f"/api/v1/person/{f.profile_id}", {"params": {"api_key": K, "$first_name": "Bob"}}),
        "E6": ("POST", "/api/v2/people/exchange", {"data": {"api_key": K, "exchange_id": f.exchange_id}}),
        "F2": ("POST", "/api/v2/lists", {"data": {"api_key": K, "list_name": "X"}}),
        "F4": ("PUT", f"/api/v2/list/{lid}", {"data": {"api_key": K, "list_name": "Renamed"}}),
        "F5": ("DELETE", f"/api/v2/list/{lid}", {"params": {"api_key": K}}),
        "F6": (
            "POST",
            f"/api/v2/list/{lid}/subscribe",
            {"json": {"api_key": K, "profiles": [{"email": "s1@example.com"}]}},
        ),
        "F7": (
            "DELETE",
            f"/api/v2/list/{lid}/subscribe",
            {"json": {"api_key": K, "emails": ["m1@example.com"]}},
        ),
        "F9": (
            "POST",
            f"/api/v2/list/{lid}/members",
            {"json": {"api_key": K, "profiles": [{"email": "m2@example.com"}]}},
        ),
        "F10": (
            "DELETE",
            f"/api/v2/list/{lid}/members",
            {"json": {"api_key": K, "emails": ["m1@example.com"]}},
        ),
        "F16": ("POST", "/api/v1/people/exclusions", {"data": {"api_key": K, "email": "m1@example.com"}}),
        "G1": (
            "POST",
            "/api/v2/data-privacy/deletion-request",
            {"json": {"api_key": K, "email": "m1@example.com"}},
        ),
    }


# Operations whose answer is a resource the call creates: its id must be a dry-run id.
NEW_RESOURCE = {"B2": "id", "B8": "id", "C2": "id", "C5": "id", "F2": "list_id"}
WRITES = sorted((op for op in REGISTRY if op.is_write), key=lambda op: op.id)


def snapshot(store: Store) -> dict[str, Any]:
    return {name: copy.deepcopy(getattr(store, name)) for name in STATE}


def shape(response: httpx.Response) -> Any:
    """Status class and the answer's structure (keys, list lengths), not its values."""

    def keys(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: keys(v) for k, v in value.items()}
        if isinstance(value, list):
            return [keys(v) for v in value]
        return type(value).__name__ if value is not None else "null"

    try:
        body = response.json()
    except ValueError:
        body = response.text
    return response.status_code // 100, keys(body)


def test_every_write_operation_has_a_dry_run_case() -> None:
    fixtures = Fixtures("L", "T", "C", "S", "P", "X")
    assert {op.id for op in WRITES} == set(requests(fixtures))


async def translated(op_id: str) -> httpx.Response:
    """What translate answers the same request, on fresh fixtures."""
    store = Store(seed=11)
    fixtures = await seed(store)
    method, path, kwargs = requests(fixtures)[op_id]
    async with proxy(Recording(store), {}) as client:
        return await client.request(method, path, **kwargs)


async def test_every_write_in_dry_run_answers_legacy_success_and_changes_nothing() -> None:
    store = Store(seed=11)
    fixtures = await seed(store)
    before = snapshot(store)
    sandbox = Recording(store)
    answers: dict[str, httpx.Response] = {}
    async with proxy(sandbox, {"default": "dry-run"}) as client:
        for op in WRITES:
            method, path, kwargs = requests(fixtures)[op.id]
            answers[op.id] = await client.request(method, path, **kwargs)
    assert snapshot(store) == before  # nothing was written
    assert {m for m, _ in sandbox.seen} == {"GET"}  # only reads reached the new API
    for op in WRITES:
        r = answers[op.id]
        if op.fidelity is Fidelity.UNSUPPORTED:
            assert r.status_code == 501, (op.id, r.text)
            continue
        assert r.status_code in (200, 202), (op.id, r.status_code, r.text)
        if op.family is Family.PUBLIC:
            assert r.text == "1", op.id
        assert shape(r) == shape(await translated(op.id)), op.id
    for op_id, key in NEW_RESOURCE.items():
        assert answers[op_id].json()[key].startswith("dry-run-"), (op_id, answers[op_id].text)
    assert answers["B8"].json()["name"] == "The clone" and answers["B8"].json()["subject"] == "S"
    for op_id in ("C2", "C3", "C5"):
        template = answers[op_id].json()
        assert template["html"] and template["created"] and template["updated"], (op_id, template)
    assert answers["C3"].json()["id"] == fixtures.template_id and answers["C3"].json()["name"] == "T1b"
    assert answers["C5"].json()["html"] == "<p>hi</p>"  # the source's html, under the copy's id
    b2 = answers["B2"].json()
    assert (b2["subject"], b2["from_email"], b2["template_id"]) == ("S2", "b@b.co", fixtures.template_id)


@pytest.mark.parametrize("op_id", ["B2", "B8"])
async def test_dry_run_ids_are_fresh_per_call(op_id: str) -> None:
    store = Store(seed=11)
    fixtures = await seed(store)
    method, path, kwargs = requests(fixtures)[op_id]
    async with proxy(Recording(store), {"default": "dry-run"}) as client:
        first = (await client.request(method, path, **kwargs)).json()["id"]
        second = (await client.request(method, path, **kwargs)).json()["id"]
    assert first == second == "dry-run-1"  # numbered per legacy call: nothing carries over
