"""Profiles: create, import (upsert), patch, unset, conflicts, filters, sort, fields, pages."""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox import DEMO_PUBLIC_KEY, Store
from tests.proxy.sandbox.conftest import error_of, make_profile, profile_body


async def test_create_returns_full_profile(api: httpx.AsyncClient) -> None:
    data = await make_profile(
        api,
        email="abe@example.com",
        first_name="Abe",
        location={"city": "Boston"},
        properties={"Plan": "Premium"},
    )
    assert data["type"] == "profile"
    assert len(data["id"]) == 26 and data["id"].isupper()
    attrs = data["attributes"]
    assert attrs["email"] == "abe@example.com" and attrs["phone_number"] is None
    assert attrs["location"]["city"] == "Boston" and attrs["location"]["zip"] is None
    assert attrs["properties"] == {"Plan": "Premium"}
    assert attrs["created"].endswith("+00:00")
    assert set(data["relationships"]) == {"lists", "segments", "push-tokens"}


async def test_create_requires_an_identifier_and_valid_formats(api: httpx.AsyncClient) -> None:
    none = await api.post("/api/profiles", json=profile_body(first_name="Nobody"))
    assert none.status_code == 400
    bad_email = await api.post("/api/profiles", json=profile_body(email="not-an-email"))
    assert error_of(bad_email)["source"] == {"pointer": "/data/attributes/email"}
    bad_phone = await api.post("/api/profiles", json=profile_body(phone_number="555-1234"))
    assert error_of(bad_phone)["source"] == {"pointer": "/data/attributes/phone_number"}
    unknown = await api.post("/api/profiles", json=profile_body(email="u@example.com", favourite="blue"))
    assert error_of(unknown)["source"] == {"pointer": "/data/attributes/favourite"}


async def test_create_duplicate_is_409_with_duplicate_id(api: httpx.AsyncClient) -> None:
    first = await make_profile(api, email="dup@example.com")
    response = await api.post("/api/profiles", json=profile_body(email="DUP@example.com"))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate_profile"
    assert error["meta"]["duplicate_profile_id"] == first["id"]


async def test_profile_import_creates_then_updates(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/api/profile-import", json=profile_body(email="imp@example.com", first_name="A")
    )
    assert created.status_code == 201
    updated = await api.post(
        "/api/profile-import", json=profile_body(email="imp@example.com", last_name="B", properties={"x": 1})
    )
    assert updated.status_code == 200
    attrs = updated.json()["data"]["attributes"]
    assert updated.json()["data"]["id"] == created.json()["data"]["id"]
    assert (attrs["first_name"], attrs["last_name"], attrs["properties"]) == ("A", "B", {"x": 1})


async def test_profile_import_by_external_id_adds_email(api: httpx.AsyncClient) -> None:
    first = await api.post("/api/profile-import", json=profile_body(external_id="ext-1"))
    second = await api.post(
        "/api/profile-import", json=profile_body(external_id="ext-1", email="e@example.com")
    )
    assert second.status_code == 200
    assert second.json()["data"]["id"] == first.json()["data"]["id"]
    assert second.json()["data"]["attributes"]["email"] == "e@example.com"


async def test_profile_import_conflicting_identifiers_is_409(api: httpx.AsyncClient) -> None:
    await make_profile(api, email="one@example.com")
    two = await make_profile(api, phone_number="+13125550100")
    response = await api.post(
        "/api/profile-import", json=profile_body(email="one@example.com", phone_number="+13125550100")
    )
    assert response.status_code == 409
    assert error_of(response)["meta"]["duplicate_profile_id"] == two["id"]


async def test_patch_merges_clears_and_unsets(api: httpx.AsyncClient) -> None:
    data = await make_profile(
        api,
        email="p@example.com",
        first_name="John",
        title="Dr",
        location={"city": "Boston", "zip": "02110"},
        properties={"keep": 1, "drop": 2, "tags": ["a"]},
    )
    body: dict[str, Any] = {
        "data": {
            "type": "profile",
            "id": data["id"],
            "attributes": {
                "last_name": "Smith",
                "title": None,
                "location": {"city": "Cambridge"},
                "properties": {"new": "n"},
            },
            "meta": {"patch_properties": {"unset": ["drop"], "append": {"tags": "b"}}},
        }
    }
    response = await api.patch(f"/api/profiles/{data['id']}", json=body)
    assert response.status_code == 200, response.text
    attrs = response.json()["data"]["attributes"]
    assert attrs["first_name"] == "John" and attrs["last_name"] == "Smith" and attrs["title"] is None
    assert attrs["location"]["city"] == "Cambridge" and attrs["location"]["zip"] == "02110"
    assert attrs["properties"] == {"keep": 1, "new": "n", "tags": ["a", "b"]}


async def test_patch_unset_accepts_a_single_string(api: httpx.AsyncClient) -> None:
    data = await make_profile(api, email="s@example.com", properties={"gone": 1})
    body = {
        "data": {
            "type": "profile",
            "id": data["id"],
            "attributes": {},
            "meta": {"patch_properties": {"unset": "gone"}},
        }
    }
    response = await api.patch(f"/api/profiles/{data['id']}", json=body)
    assert response.json()["data"]["attributes"]["properties"] == {}


async def test_patch_to_someone_elses_email_is_409(api: httpx.AsyncClient) -> None:
    taken = await make_profile(api, email="taken@example.com")
    mine = await make_profile(api, email="mine@example.com")
    body = {"data": {"type": "profile", "id": mine["id"], "attributes": {"email": "taken@example.com"}}}
    response = await api.patch(f"/api/profiles/{mine['id']}", json=body)
    assert response.status_code == 409
    assert error_of(response)["meta"]["duplicate_profile_id"] == taken["id"]


async def test_patch_id_mismatch_and_unknown_id(api: httpx.AsyncClient) -> None:
    data = await make_profile(api, email="m@example.com")
    body = {"data": {"type": "profile", "id": "OTHER", "attributes": {}}}
    assert (await api.patch(f"/api/profiles/{data['id']}", json=body)).status_code == 400
    assert (await api.patch("/api/profiles/01AAAAAAAAAAAAAAAAAAAAAAAA", json=body)).status_code == 404


async def test_filters_equals_any_and_kx(api: httpx.AsyncClient, store: Store) -> None:
    a = await make_profile(api, email="a@example.com", external_id="A")
    b = await make_profile(api, email="b@example.com", phone_number="+13125550101")
    await make_profile(api, email="c@example.com")

    async def ids(filter_: str) -> list[str]:
        response = await api.get("/api/profiles", params={"filter": filter_})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    assert await ids('equals(email,"a@example.com")') == [a["id"]]
    assert await ids('equals(email,"A@Example.com")') == [a["id"]]
    assert await ids("equals(email,'b@example.com')") == [b["id"]]
    assert await ids('any(email,["a@example.com","b@example.com"])') == [a["id"], b["id"]]
    assert await ids('equals(phone_number,"+13125550101")') == [b["id"]]
    assert await ids('equals(external_id,"A")') == [a["id"]]
    assert await ids(f'any(id,["{b["id"]}"])') == [b["id"]]
    assert await ids(f'equals(_kx,"{store.exchange_id(a["id"])}")') == [a["id"]]
    assert await ids('and(equals(email,"a@example.com"),equals(external_id,"A"))') == [a["id"]]
    assert await ids('equals(email,"a@example.com"),equals(external_id,"B")') == []


async def test_invalid_filter_sort_and_fields_are_400(api: httpx.AsyncClient) -> None:
    for params, parameter in [
        ({"filter": 'equals(first_name,"x")'}, "filter"),
        ({"filter": 'any(_kx,["x"])'}, "filter"),
        ({"filter": "equals(email,"}, "filter"),
        ({"sort": "first_name"}, "sort"),
        ({"fields[profile]": "email,shoe_size"}, "fields[profile]"),
        ({"page[size]": "101"}, "page[size]"),
        ({"page[size]": "0"}, "page[size]"),
        ({"page[cursor]": "garbage!"}, "page[cursor]"),
    ]:
        response = await api.get("/api/profiles", params=params)
        assert response.status_code == 400, params
        assert error_of(response)["source"] == {"parameter": parameter}, params


async def test_sort_and_sparse_fields(api: httpx.AsyncClient) -> None:
    for email in ("c@example.com", "a@example.com", "b@example.com"):
        await make_profile(api, email=email, first_name=email[0], location={"city": "X", "zip": "1"})
    response = await api.get(
        "/api/profiles", params={"sort": "-email", "fields[profile]": "email,location.city"}
    )
    data = response.json()["data"]
    assert [p["attributes"]["email"] for p in data] == ["c@example.com", "b@example.com", "a@example.com"]
    assert data[0]["attributes"] == {"email": "c@example.com", "location": {"city": "X"}}
    ascending = await api.get("/api/profiles", params={"sort": "email"})
    assert [p["attributes"]["email"][0] for p in ascending.json()["data"]] == ["a", "b", "c"]


async def test_cursor_pagination_keeps_params(api: httpx.AsyncClient) -> None:
    for n in range(5):
        await make_profile(api, email=f"page{n}@example.com")
    seen: list[str] = []
    url: str | None = "/api/profiles?page[size]=2&sort=email&fields[profile]=email"
    pages = 0
    while url:
        response = await api.get(url)
        assert response.status_code == 200
        document = response.json()
        seen += [p["attributes"]["email"] for p in document["data"]]
        url = document["links"]["next"]
        pages += 1
        if url:
            assert url.startswith("http://sandbox/api/profiles?")
            assert "page%5Bcursor%5D=" in url and "sort=email" in url and "page%5Bsize%5D=2" in url
    assert pages == 3
    assert seen == sorted(f"page{n}@example.com" for n in range(5))
    default = await api.get("/api/profiles")
    assert len(default.json()["data"]) == 5 and default.json()["links"]["next"] is None


async def test_subscriptions_additional_field(api: httpx.AsyncClient) -> None:
    data = await make_profile(api, email="sub@example.com")
    plain = await api.get(f"/api/profiles/{data['id']}")
    assert "subscriptions" not in plain.json()["data"]["attributes"]
    response = await api.get(
        f"/api/profiles/{data['id']}", params={"additional-fields[profile]": "subscriptions"}
    )
    marketing = response.json()["data"]["attributes"]["subscriptions"]["email"]["marketing"]
    assert marketing["consent"] == "NEVER_SUBSCRIBED"
    assert marketing["can_receive_email_marketing"] is False
    assert marketing["suppression"] == [] and marketing["list_suppressions"] == []
    sms = response.json()["data"]["attributes"]["subscriptions"]["sms"]["marketing"]
    assert sms["can_receive_sms_marketing"] is False


async def test_client_profile_upserts(raw: httpx.AsyncClient, store: Store) -> None:
    url = f"/client/profiles?company_id={DEMO_PUBLIC_KEY}"
    headers = {"revision": "2026-07-15"}
    assert (
        await raw.post(url, json=profile_body(email="cl@example.com", first_name="A"), headers=headers)
    ).status_code == 202
    assert (
        await raw.post(url, json=profile_body(email="cl@example.com", last_name="B"), headers=headers)
    ).status_code == 202
    profile = store.find_by_email("cl@example.com")
    assert profile is not None and len(store.profiles) == 1
    assert (profile.get("first_name"), profile.get("last_name")) == ("A", "B")
    bad = await raw.post(url, json=profile_body(email="nope"), headers=headers)
    assert bad.status_code == 400
