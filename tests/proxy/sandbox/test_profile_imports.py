"""Bulk profile import jobs: upsert many profiles and join lists in one request."""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox import Store
from tests.proxy.sandbox.conftest import error_of, make_profile


def import_body(profiles: list[dict[str, Any]], *list_ids: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "profile-bulk-import-job",
        "attributes": {"profiles": {"data": [{"type": "profile", "attributes": p} for p in profiles]}},
    }
    if list_ids:
        data["relationships"] = {"lists": {"data": [{"type": "list", "id": i} for i in list_ids]}}
    return {"data": data}


async def test_import_creates_updates_and_joins_lists(api: httpx.AsyncClient, store: Store) -> None:
    existing = await make_profile(api, email="old@example.com")
    audience = store.add_list("Imported").id
    profiles = [{"email": "old@example.com", "first_name": "Old"}, {"email": "new@example.com"}]
    response = await api.post("/api/profile-bulk-import-jobs", json=import_body(profiles, audience))
    assert response.status_code == 202, response.text
    job = response.json()["data"]
    assert job["attributes"]["status"] == "queued" and job["attributes"]["total_count"] == 2
    polled = (await api.get(f"/api/profile-bulk-import-jobs/{job['id']}", params={"include": "lists"})).json()
    assert polled["data"]["attributes"]["status"] == "complete"
    assert polled["included"][0]["id"] == audience
    ids = (await api.get(f"/api/profile-bulk-import-jobs/{job['id']}/relationships/profiles")).json()["data"]
    assert ids[0] == {"type": "profile", "id": existing["id"]} and len(ids) == 2
    assert set(store.lists[audience].members) == {i["id"] for i in ids}
    assert store.profiles[existing["id"]].get("first_name") == "Old"
    listed = (await api.get(f"/api/profile-bulk-import-jobs/{job['id']}/profiles")).json()["data"]
    assert {p["attributes"]["email"] for p in listed} == {"old@example.com", "new@example.com"}


async def test_import_rejects_before_importing(api: httpx.AsyncClient, store: Store) -> None:
    bad = import_body([{"email": "a@example.com"}, {"first_name": "No identifier"}])
    response = await api.post("/api/profile-bulk-import-jobs", json=bad)
    assert error_of(response)["source"] == {"pointer": "/data/attributes/profiles/data/1/attributes"}
    missing_list = import_body([{"email": "a@example.com"}], "NoList")
    response = await api.post("/api/profile-bulk-import-jobs", json=missing_list)
    assert error_of(response)["source"] == {"pointer": "/data/relationships/lists/data/0/id"}
    assert store.find_by_email("a@example.com") is None
    assert (await api.get("/api/profile-bulk-import-jobs/nope")).status_code == 404
