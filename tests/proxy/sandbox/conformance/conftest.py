"""Sandbox answers validated against Klaviyo's pinned OpenAPI spec with openapi-core.

Each test drives one area of the emulated API through a ``Recorded`` client (in-process,
every request and response kept) and ends with ``recorded.assert_conforms()``: status code,
content type and response schema of every answer, and the schema of every successful request.
The spec is vendored in ``tests/vendor/openapi``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from openapi_core import Config, OpenAPI

from proxy.sandbox import Store, create_sandbox_app
from tests.contract.validator import SpecRequest, pinned_spec
from tests.proxy.sandbox.conftest import API_HEADERS


@dataclass
class SpecResponse:
    status_code: int
    data: bytes
    content_type: str
    headers: Mapping[str, str]


def _loosen(node: Any) -> None:
    """Work around three spec artefacts that no real answer could satisfy.

    * ``oneOf`` alternatives that overlap (``send_options`` is Email/SMS/Push options, all
      ``{use_smart_sending}``): every valid value matches several, so read ``oneOf`` as ``anyOf``;
    * ``nullable`` next to ``oneOf`` (location ``latitude``): OpenAPI 3.0 tools do not carry the
      null through to the alternatives, so mark each alternative nullable;
    * ``links.next`` / ``links.prev`` are not nullable in the spec, but Klaviyo answers ``null``
      on the first / last page, and so does the sandbox.
    """
    if isinstance(node, dict):
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        if node.get("nullable") and "anyOf" in node:
            for alternative in node["anyOf"]:
                alternative["nullable"] = True
        for value in node.values():
            _loosen(value)
    elif isinstance(node, list):
        for value in node:
            _loosen(value)


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    spec = orjson.loads(pinned_spec().read_bytes())
    _loosen(spec["components"]["schemas"])
    for name in ("next", "prev"):
        spec["components"]["schemas"]["CollectionLinks"]["properties"][name]["nullable"] = True
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def problems(openapi: OpenAPI, response: httpx.Response) -> list[str]:
    request = response.request
    spec_request = SpecRequest.build(
        request.method,
        request.url.path,
        request.url.params.multi_items(),
        request.headers.items(),
        request.content,
    )
    spec_response = SpecResponse(
        status_code=response.status_code,
        data=response.content,
        content_type=response.headers.get("content-type", ""),
        headers=dict(response.headers),
    )
    label = f"{request.method} {request.url.path}?{request.url.query.decode()} -> {response.status_code}"
    errors = list(openapi.iter_response_errors(spec_request, spec_response))
    if response.is_success:  # the scenario's own requests must be valid too (not its 4xx probes)
        errors += list(openapi.iter_request_errors(spec_request))
    out = []
    for error in errors:
        cause = error.__cause__
        details = [
            f"{'/'.join(str(p) for p in getattr(e, 'absolute_path', []))}: {getattr(e, 'message', e)}"[:300]
            for e in getattr(cause, "schema_errors", None) or []
        ]
        out.append(f"{label}: {type(error).__name__}: {details or str(error)[:300]}")
    return out


@dataclass
class Recorded:
    """A client of a fresh sandbox that keeps every answer for validation."""

    api: httpx.AsyncClient
    store: Store
    openapi: OpenAPI
    seen: list[httpx.Response] = field(default_factory=list)

    async def ok(self, method: str, url: str, status: int = 200, **kwargs: Any) -> dict[str, Any]:
        """Send; the answer must have ``status``; its decoded body (``{}`` when empty)."""
        response = await self.api.request(method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else {}

    async def created(self, url: str, kind: str, attributes: dict[str, Any], **extra: Any) -> str:
        """POST a new ``kind`` resource (201); its id."""
        document = {"data": {"type": kind, "attributes": attributes, **extra}}
        return str((await self.ok("POST", url, 201, json=document))["data"]["id"])

    def assert_conforms(self, at_least: int) -> None:
        assert len(self.seen) >= at_least, f"only {len(self.seen)} answers recorded"
        found = [problem for response in self.seen for problem in problems(self.openapi, response)]
        assert found == [], "\n".join(found)


@pytest.fixture
async def recorded(openapi: OpenAPI) -> AsyncIterator[Recorded]:
    store = Store(seed=3)
    seen: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(create_sandbox_app(store)),
        base_url="http://sandbox",
        headers={**API_HEADERS, "content-type": "application/vnd.api+json"},
        event_hooks={"response": [keep]},
    ) as client:
        yield Recorded(client, store, openapi, seen)


async def new_profile(r: Recorded, email: str, **attributes: Any) -> str:
    return await r.created("/api/profiles", "profile", {"email": email, **attributes})


async def new_list(r: Recorded, name: str, opt_in: str = "single_opt_in") -> str:
    return await r.created("/api/lists", "list", {"name": name, "opt_in_process": opt_in})


async def new_template(r: Recorded, name: str) -> str:
    return await r.created(
        "/api/templates", "template", {"name": name, "editor_type": "CODE", "html": "<p>hi</p>"}
    )


async def new_campaign(r: Recorded, name: str, list_id: str) -> tuple[str, str]:
    """A draft email campaign for ``list_id``: (campaign id, message id)."""
    message = {
        "type": "campaign-message",
        "attributes": {
            "definition": {
                "channel": "email",
                "label": "Spec",
                "content": {"subject": "S", "from_email": "a@example.com"},
            }
        },
    }
    document = {
        "data": {
            "type": "campaign",
            "attributes": {
                "name": name,
                "audiences": {"included": [list_id]},
                "campaign-messages": {"data": [message]},
            },
        }
    }
    campaign = (await r.ok("POST", "/api/campaigns", 201, json=document))["data"]
    return campaign["id"], campaign["relationships"]["campaign-messages"]["data"][0]["id"]
