"""Routing, authentication, revision, media types and error documents."""

from __future__ import annotations

import re
import uuid

import httpx

from proxy.sandbox import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
from tests.proxy.sandbox.conftest import API_HEADERS, error_of, profile_body


def test_demo_keys_are_well_formed() -> None:
    assert re.fullmatch(r"pk_\w{34}", DEMO_PRIVATE_KEY)
    assert re.fullmatch(r"[A-Za-z0-9]{6}", DEMO_PUBLIC_KEY)


async def test_missing_authorization_is_401(raw: httpx.AsyncClient) -> None:
    response = await raw.get("/api/profiles", headers={"revision": "2026-07-15"})
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "not_authenticated"
    uuid.UUID(error["id"])


async def test_malformed_authorization_is_401(raw: httpx.AsyncClient) -> None:
    for value in ("Bearer abc", "Klaviyo-API-Key pk_short", f"Klaviyo-API-Key {DEMO_PUBLIC_KEY}"):
        response = await raw.get("/api/profiles", headers={"revision": "2026-07-15", "Authorization": value})
        assert response.status_code == 401, value
        assert error_of(response)["code"] == "not_authenticated"


async def test_any_well_formed_private_key_reaches_the_demo_account(raw: httpx.AsyncClient) -> None:
    other = {"revision": "2026-07-15", "Authorization": "Klaviyo-API-Key pk_" + "a1" * 20}
    created = await raw.post("/api/profiles", json=profile_body(email="x@example.com"), headers=other)
    assert created.status_code == 201
    again = await raw.get("/api/profiles", headers=API_HEADERS)
    assert [p["attributes"]["email"] for p in again.json()["data"]] == ["x@example.com"]


async def test_missing_revision_is_400(raw: httpx.AsyncClient) -> None:
    response = await raw.get("/api/profiles", headers={"Authorization": API_HEADERS["Authorization"]})
    assert response.status_code == 400
    assert error_of(response)["source"] == {"parameter": "revision"}


async def test_responses_are_jsonapi_with_rate_limit_headers(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/profiles")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.api+json"
    assert response.headers["RateLimit-Limit"].startswith("75, 75;w=1")
    assert "RateLimit-Remaining" in response.headers and "RateLimit-Reset" in response.headers


async def test_paths_work_with_and_without_trailing_slash(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/profiles/", json=profile_body(email="slash@example.com"))
    assert created.status_code == 201
    profile_id = created.json()["data"]["id"]
    assert (await api.get(f"/api/profiles/{profile_id}/")).status_code == 200
    assert (await api.get(f"/api/profiles/{profile_id}")).status_code == 200
    assert created.json()["data"]["links"]["self"] == f"http://sandbox/api/profiles/{profile_id}/"


async def test_unknown_path_and_id_are_404(api: httpx.AsyncClient) -> None:
    assert error_of(await api.get("/api/nope"))["code"] == "not_found"
    missing = await api.get("/api/profiles/01ZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"


async def test_wrong_method_is_405_with_allow(api: httpx.AsyncClient) -> None:
    response = await api.delete("/api/profiles")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}


async def test_body_media_types(api: httpx.AsyncClient) -> None:
    body = b'{"data":{"type":"profile","attributes":{"email":"m@example.com"}}}'
    vnd = await api.post("/api/profiles", content=body, headers={"content-type": "application/vnd.api+json"})
    assert vnd.status_code == 201
    body = body.replace(b"m@", b"n@")
    plain = await api.post("/api/profiles", content=body, headers={"content-type": "application/json"})
    assert plain.status_code == 201
    wrong = await api.post("/api/profiles", content=body, headers={"content-type": "text/plain"})
    assert wrong.status_code == 415


async def test_malformed_json_is_400(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/profiles", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["source"] == {"pointer": "/data"}


async def test_wrong_type_and_missing_data_are_400_with_pointer(api: httpx.AsyncClient) -> None:
    wrong = await api.post(
        "/api/profiles", json={"data": {"type": "list", "attributes": {"email": "a@b.co"}}}
    )
    assert wrong.status_code == 400
    assert error_of(wrong)["source"] == {"pointer": "/data/type"}
    missing = await api.post("/api/profiles", json={})
    assert missing.status_code == 400
    assert error_of(missing)["source"] == {"pointer": "/data"}


async def test_client_endpoints_need_company_id(raw: httpx.AsyncClient) -> None:
    body = profile_body(email="c@example.com")
    headers = {"revision": "2026-07-15"}
    missing = await raw.post("/client/profiles", json=body, headers=headers)
    assert missing.status_code == 400
    assert error_of(missing)["source"] == {"parameter": "company_id"}
    ok = await raw.post(f"/client/profiles?company_id={DEMO_PUBLIC_KEY}", json=body, headers=headers)
    assert ok.status_code == 202
    assert ok.content == b""
    other_key = await raw.post("/client/profiles?company_id=AbC987", json=body, headers=headers)
    assert other_key.status_code == 202
