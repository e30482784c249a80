"""Lists, segments, membership, and subscription jobs with both opt-in processes."""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox import DEMO_PUBLIC_KEY, Store
from tests.proxy.sandbox.conftest import error_of, make_profile


async def make_list(api: httpx.AsyncClient, name: str, **attributes: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/lists", json={"data": {"type": "list", "attributes": {"name": name, **attributes}}}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def subscribe_body(list_id: str | None, *profiles: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "profile-subscription-bulk-create-job",
        "attributes": {"profiles": {"data": [{"type": "profile", "attributes": p} for p in profiles]}},
    }
    if list_id:
        data["relationships"] = {"list": {"data": {"type": "list", "id": list_id}}}
    return {"data": data}


EMAIL_CONSENT = {"email": {"marketing": {"consent": "SUBSCRIBED"}}}


async def test_list_crud(api: httpx.AsyncClient) -> None:
    created = await make_list(api, "Newsletter")
    assert len(created["id"]) == 6
    assert created["attributes"]["opt_in_process"] == "double_opt_in"
    single = await make_list(api, "VIP", opt_in_process="single_opt_in")
    assert single["attributes"]["opt_in_process"] == "single_opt_in"
    patch = {"data": {"type": "list", "id": created["id"], "attributes": {"name": "Weekly"}}}
    renamed = await api.patch(f"/api/lists/{created['id']}", json=patch)
    assert renamed.json()["data"]["attributes"]["name"] == "Weekly"
    got = await api.get(f"/api/lists/{created['id']}/", params={"additional-fields[list]": "profile_count"})
    assert got.json()["data"]["attributes"]["profile_count"] == 0
    assert (await api.delete(f"/api/lists/{created['id']}")).status_code == 204
    assert (await api.get(f"/api/lists/{created['id']}")).status_code == 404
    missing_name = await api.post("/api/lists", json={"data": {"type": "list", "attributes": {}}})
    assert error_of(missing_name)["source"] == {"pointer": "/data/attributes/name"}


async def test_get_lists_filter_sort_fields_pages(api: httpx.AsyncClient) -> None:
    ids = [(await make_list(api, f"List {n:02d}"))["id"] for n in range(12)]
    first = (await api.get("/api/lists", params={"sort": "id", "fields[list]": "name"})).json()
    assert len(first["data"]) == 10 and set(first["data"][0]["attributes"]) == {"name"}
    second = (await api.get(first["links"]["next"])).json()
    assert [d["id"] for d in first["data"] + second["data"]] == sorted(ids)
    assert (await api.get("/api/lists", params={"page[size]": "11"})).status_code == 400
    by_name = await api.get("/api/lists", params={"filter": 'equals(name,"List 03")'})
    assert [d["id"] for d in by_name.json()["data"]] == [ids[3]]
    any_id = await api.get(
        "/api/lists", params={"filter": f'any(id,["{ids[0]}","{ids[5]}"])', "sort": "-name"}
    )
    assert [d["id"] for d in any_id.json()["data"]] == [ids[5], ids[0]]


async def test_membership_add_list_remove(api: httpx.AsyncClient) -> None:
    record = await make_list(api, "Members")
    a = await make_profile(api, email="a@example.com", phone_number="+13125550111")
    b = await make_profile(api, email="b@example.com")
    url = f"/api/lists/{record['id']}/relationships/profiles"
    body = {"data": [{"type": "profile", "id": a["id"]}, {"type": "profile", "id": b["id"]}]}
    assert (await api.post(url, json=body)).status_code == 204
    members = (
        await api.get(
            f"/api/lists/{record['id']}/profiles", params={"fields[profile]": "email,joined_group_at"}
        )
    ).json()["data"]
    assert [m["attributes"]["email"] for m in members] == ["a@example.com", "b@example.com"]
    assert members[0]["attributes"]["joined_group_at"].endswith("+00:00")
    by_email = await api.get(
        f"/api/lists/{record['id']}/profiles", params={"filter": 'any(email,["b@example.com"])'}
    )
    assert [m["id"] for m in by_email.json()["data"]] == [b["id"]]
    by_phone = await api.get(
        f"/api/lists/{record['id']}/profiles", params={"filter": 'equals(phone_number,["+13125550111"])'}
    )
    assert [m["id"] for m in by_phone.json()["data"]] == [a["id"]]
    ids = await api.get(url)
    assert ids.json()["data"] == [{"type": "profile", "id": a["id"]}, {"type": "profile", "id": b["id"]}]
    remove = {"data": [{"type": "profile", "id": a["id"]}]}
    assert (await api.request("DELETE", url, json=remove)).status_code == 204
    assert [m["id"] for m in (await api.get(url)).json()["data"]] == [b["id"]]
    unknown = {"data": [{"type": "profile", "id": "01NOPE0000000000000000000"}]}
    assert (await api.post(url, json=unknown)).status_code == 400


async def test_subscribe_single_opt_in_adds_now(api: httpx.AsyncClient, store: Store) -> None:
    record = await make_list(api, "Single", opt_in_process="single_opt_in")
    body = subscribe_body(
        record["id"],
        {"email": "s1@example.com", "subscriptions": EMAIL_CONSENT},
        {"phone_number": "+13125550100", "subscriptions": {"sms": {"marketing": {"consent": "SUBSCRIBED"}}}},
    )
    response = await api.post("/api/profile-subscription-bulk-create-jobs", json=body)
    assert response.status_code == 202 and response.content == b""
    members = (
        await api.get(
            f"/api/lists/{record['id']}/profiles", params={"additional-fields[profile]": "subscriptions"}
        )
    ).json()["data"]
    assert len(members) == 2
    marketing = members[0]["attributes"]["subscriptions"]["email"]["marketing"]
    assert marketing["consent"] == "SUBSCRIBED" and marketing["can_receive_email_marketing"] is True
    assert members[1]["attributes"]["subscriptions"]["sms"]["marketing"]["consent"] == "SUBSCRIBED"
    assert store.pending_confirmations == []


async def test_subscribe_double_opt_in_waits_for_confirmation(api: httpx.AsyncClient, store: Store) -> None:
    record = await make_list(api, "Double")
    body = subscribe_body(record["id"], {"email": "d1@example.com", "subscriptions": EMAIL_CONSENT})
    assert (await api.post("/api/profile-subscription-bulk-create-jobs/", json=body)).status_code == 202
    members_url = f"/api/lists/{record['id']}/profiles"
    assert (await api.get(members_url)).json()["data"] == []
    assert [(p.list_id, p.address) for p in store.pending_confirmations] == [(record["id"], "d1@example.com")]
    profile = store.find_by_email("d1@example.com")
    assert profile is not None and profile.email_marketing.consent == "NEVER_SUBSCRIBED"
    # a repeat request does not queue a second confirmation
    await api.post("/api/profile-subscription-bulk-create-jobs", json=body)
    assert len(store.pending_confirmations) == 1
    assert store.confirm("d1@example.com") == [record["id"]]
    members = (await api.get(members_url, params={"additional-fields[profile]": "subscriptions"})).json()[
        "data"
    ]
    assert [m["attributes"]["email"] for m in members] == ["d1@example.com"]
    assert members[0]["attributes"]["subscriptions"]["email"]["marketing"]["double_optin"] is True
    assert store.pending_confirmations == []


async def test_subscribe_validation(api: httpx.AsyncClient) -> None:
    record = await make_list(api, "Checks")
    url = "/api/profile-subscription-bulk-create-jobs"
    no_email = subscribe_body(record["id"], {"phone_number": "+13125550100", "subscriptions": EMAIL_CONSENT})
    assert (await api.post(url, json=no_email)).status_code == 400
    wrong_consent = subscribe_body(
        record["id"],
        {"email": "w@example.com", "subscriptions": {"email": {"marketing": {"consent": "YES"}}}},
    )
    error = error_of(await api.post(url, json=wrong_consent))
    assert error["source"]["pointer"].endswith("/subscriptions/email/marketing/consent")
    unknown_list = subscribe_body("ZZZZZZ", {"email": "w@example.com", "subscriptions": EMAIL_CONSENT})
    assert (await api.post(url, json=unknown_list)).status_code == 400
    wrong_type = subscribe_body(record["id"], {"email": "w@example.com", "subscriptions": EMAIL_CONSENT})
    wrong_type["data"]["type"] = "profile-subscription-bulk-delete-job"
    assert (await api.post(url, json=wrong_type)).status_code == 400


def unsubscribe_body(list_id: str | None, *emails: str) -> dict[str, Any]:
    profiles = [
        {
            "type": "profile",
            "attributes": {
                "email": email,
                "subscriptions": {"email": {"marketing": {"consent": "UNSUBSCRIBED"}}},
            },
        }
        for email in emails
    ]
    data: dict[str, Any] = {
        "type": "profile-subscription-bulk-delete-job",
        "attributes": {"profiles": {"data": profiles}},
    }
    if list_id is not None:
        data["relationships"] = {"list": {"data": {"type": "list", "id": list_id}}}
    return {"data": data}


async def test_unsubscribe_job_with_a_list_unsubscribes_members_from_that_list(
    api: httpx.AsyncClient, store: Store
) -> None:
    record = await make_list(api, "Unsub", opt_in_process="single_opt_in")
    other = await make_list(api, "Other", opt_in_process="single_opt_in")
    for list_id in (record["id"], other["id"]):
        await api.post(
            "/api/profile-subscription-bulk-create-jobs",
            json=subscribe_body(list_id, {"email": "u@example.com", "subscriptions": EMAIL_CONSENT}),
        )
    response = await api.post(
        "/api/profile-subscription-bulk-delete-jobs", json=unsubscribe_body(record["id"], "u@example.com")
    )
    assert response.status_code == 202
    profile = store.find_by_email("u@example.com")
    assert profile is not None
    assert profile.id not in store.lists[record["id"]].members
    assert profile.id in store.lists[other["id"]].members
    assert [(s["list_id"], s["reason"]) for s in profile.list_suppressions] == [(record["id"], "UNSUBSCRIBE")]
    assert profile.email_marketing.consent == "SUBSCRIBED" and profile.suppressions == []

    listed = await api.get(
        "/api/profiles",
        params={
            "filter": f'equals(subscriptions.email.marketing.list_suppressions.list_id,"{record["id"]}")',
            "additional-fields[profile]": "subscriptions",
        },
    )
    [row] = listed.json()["data"]
    marketing = row["attributes"]["subscriptions"]["email"]["marketing"]
    assert row["id"] == profile.id and marketing["list_suppressions"][0]["list_id"] == record["id"]

    # Subscribing to that list again lifts its suppression.
    await api.post(
        "/api/profile-subscription-bulk-create-jobs",
        json=subscribe_body(record["id"], {"email": "u@example.com", "subscriptions": EMAIL_CONSENT}),
    )
    assert profile.list_suppressions == [] and profile.id in store.lists[record["id"]].members


async def test_unsubscribe_job_unsubscribes_non_members_globally(
    api: httpx.AsyncClient, store: Store
) -> None:
    record = await make_list(api, "Unsub", opt_in_process="single_opt_in")
    await make_profile(api, email="n@example.com")
    response = await api.post(
        "/api/profile-subscription-bulk-delete-jobs", json=unsubscribe_body(record["id"], "n@example.com")
    )
    assert response.status_code == 202
    profile = store.find_by_email("n@example.com")
    assert profile is not None and profile.email_marketing.consent == "UNSUBSCRIBED"
    assert profile.suppressions[0]["reason"] == "UNSUBSCRIBE" and profile.list_suppressions == []

    response = await api.post(
        "/api/profile-subscription-bulk-delete-jobs", json=unsubscribe_body(None, "g@example.com")
    )
    assert response.status_code == 202
    unlisted = store.find_by_email("g@example.com")
    assert unlisted is not None and unlisted.email_marketing.consent == "UNSUBSCRIBED"


async def test_client_subscription(raw: httpx.AsyncClient, api: httpx.AsyncClient, store: Store) -> None:
    record = await make_list(api, "Client", opt_in_process="single_opt_in")
    body = {
        "data": {
            "type": "subscription",
            "attributes": {
                "profile": {
                    "data": {
                        "type": "profile",
                        "attributes": {"email": "cs@example.com", "subscriptions": EMAIL_CONSENT},
                    }
                }
            },
            "relationships": {"list": {"data": {"type": "list", "id": record["id"]}}},
        }
    }
    response = await raw.post(
        f"/client/subscriptions?company_id={DEMO_PUBLIC_KEY}", json=body, headers={"revision": "2026-07-15"}
    )
    assert response.status_code == 202, response.text
    profile = store.find_by_email("cs@example.com")
    assert profile is not None and profile.id in store.lists[record["id"]].members


async def test_segments(api: httpx.AsyncClient, store: Store) -> None:
    a = await make_profile(api, email="sa@example.com")
    b = await make_profile(api, email="sb@example.com")
    segment_id = store.add_segment("Engaged", [a["id"], b["id"]])
    assert len(segment_id) == 6
    listed = (await api.get("/api/segments")).json()["data"]
    assert [s["id"] for s in listed] == [segment_id]
    assert listed[0]["attributes"]["is_active"] is True
    one = await api.get(f"/api/segments/{segment_id}", params={"additional-fields[segment]": "profile_count"})
    assert one.json()["data"]["attributes"]["profile_count"] == 2
    members = await api.get(
        f"/api/segments/{segment_id}/profiles", params={"filter": f'any(profile_id,["{b["id"]}"])'}
    )
    assert [m["id"] for m in members.json()["data"]] == [b["id"]]
    assert "joined_group_at" in members.json()["data"][0]["attributes"]
    assert (await api.get(f"/api/lists/{segment_id}")).status_code == 404
    included = await api.get(f"/api/profiles/{a['id']}", params={"include": "segments"})
    assert included.json()["included"][0]["type"] == "segment"
