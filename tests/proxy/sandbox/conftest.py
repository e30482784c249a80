"""Fixtures: a fresh sandbox store and an httpx client speaking to it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from proxy.sandbox import DEMO_PRIVATE_KEY, Store, create_sandbox_app
from tests.contract.sandbox_answers import TestName, record_answers

API_HEADERS = {"Authorization": f"Klaviyo-API-Key {DEMO_PRIVATE_KEY}", "revision": "2026-07-15"}


@pytest.fixture
def store() -> Store:
    return Store(seed=7)


def _recorded_app(store: Store, request: pytest.FixtureRequest) -> httpx.ASGITransport:
    """The sandbox, its answers kept for the spec check of tests/contract/test_sandbox_answers.py."""
    return httpx.ASGITransport(record_answers(create_sandbox_app(store), TestName(request.node.nodeid)))


@pytest.fixture
async def raw(store: Store, request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no default headers (for auth / revision checks)."""
    transport = _recorded_app(store, request)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


@pytest.fixture
async def api(store: Store, request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """A client carrying a valid private key and revision header."""
    transport = _recorded_app(store, request)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers=API_HEADERS
    ) as client:
        yield client


def profile_body(**attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "profile", "attributes": attributes}}


async def make_profile(api: httpx.AsyncClient, **attributes: Any) -> dict[str, Any]:
    response = await api.post("/api/profiles", json=profile_body(**attributes))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The single error of a JSON:API error document, checked for the spec's required members."""
    errors = response.json()["errors"]
    assert len(errors) == 1
    error: dict[str, Any] = errors[0]
    assert {"id", "status", "code", "title", "detail", "source"} <= error.keys()
    assert error["status"] == response.status_code
    return error
