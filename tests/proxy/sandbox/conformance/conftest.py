"""Sandbox answers validated against Klaviyo's pinned OpenAPI spec with openapi-core.

Each test drives one area of the emulated API through a ``Recorded`` client (in-process,
every request and response kept) and ends with ``recorded.assert_conforms()``: status code,
content type and response schema of every answer, and the schema of every successful request.
The spec is vendored in ``tests/vendor/openapi``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI

from proxy.sandbox import Store, create_sandbox_app
from tests.contract.sandbox_answers import answer_problems, spec_openapi
from tests.proxy.sandbox.conftest import API_HEADERS


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return spec_openapi()


def problems(openapi: OpenAPI, response: httpx.Response) -> list[str]:
    request = response.request
    label = f"{request.method} {request.url.path}?{request.url.query.decode()} -> {response.status_code}"
    return answer_problems(
        openapi,
        request.method,
        request.url.path,
        request.url.params.multi_items(),
        request.headers.items(),
        request.content,
        response.status_code,
        response.content,
        response.headers.get("content-type", ""),
        label,
        # the scenario's own requests must be valid too (not its 4xx probes)
        check_request=response.is_success,
    )


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
