"""Segments with definitions: creation, membership computed from the store, update and delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from proxy.sandbox import Store
from tests.proxy.sandbox.conftest import error_of, make_profile
from tests.proxy.sandbox.test_lists import make_list


def in_list(*group_ids: str, is_member: bool = True) -> dict[str, Any]:
    return {"type": "profile-group-membership", "is_member": is_member, "group_ids": list(group_ids)}


def has_property(name: str, **filter_: Any) -> dict[str, Any]:
    return {"type": "profile-property", "property": name, "filter": filter_}


async def make_segment(api: httpx.AsyncClient, name: str, *groups: list[dict[str, Any]]) -> dict[str, Any]:
    definition = {"condition_groups": [{"conditions": conditions} for conditions in groups]}
    document = {"data": {"type": "segment", "attributes": {"name": name, "definition": definition}}}
    response = await api.post("/api/segments", json=document)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def member_ids(api: httpx.AsyncClient, segment_id: str) -> set[str]:
    profiles = (await api.get(f"/api/segments/{segment_id}/profiles")).json()["data"]
    ids = (await api.get(f"/api/segments/{segment_id}/relationships/profiles")).json()["data"]
    assert {p["id"] for p in profiles} == {i["id"] for i in ids}
    return {p["id"] for p in profiles}


async def add_to_list(api: httpx.AsyncClient, list_id: str, *profile_ids: str) -> None:
    document = {"data": [{"type": "profile", "id": pid} for pid in profile_ids]}
    assert (await api.post(f"/api/lists/{list_id}/relationships/profiles", json=document)).status_code == 204


async def test_list_membership_segment_follows_the_list(api: httpx.AsyncClient) -> None:
    newsletter = (await make_list(api, "Newsletter"))["id"]
    ann = (await make_profile(api, email="ann@example.com"))["id"]
    bob = (await make_profile(api, email="bob@example.com"))["id"]
    await add_to_list(api, newsletter, ann)
    segment = await make_segment(api, "Readers", [in_list(newsletter)])
    assert segment["attributes"]["definition"]["condition_groups"][0]["conditions"][0]["group_ids"] == [
        newsletter
    ]
    assert await member_ids(api, segment["id"]) == {ann}
    await add_to_list(api, newsletter, bob)  # membership is recomputed on read
    assert await member_ids(api, segment["id"]) == {ann, bob}
    counted = await api.get(
        f"/api/segments/{segment['id']}", params={"additional-fields[segment]": "profile_count"}
    )
    assert counted.json()["data"]["attributes"]["profile_count"] == 2
    listed = (await api.get(f"/api/profiles/{bob}/segments")).json()["data"]
    assert [s["id"] for s in listed] == [segment["id"]]


async def test_groups_and_conditions_and_or(api: httpx.AsyncClient) -> None:
    vip = (await make_list(api, "VIP"))["id"]
    ann = (await make_profile(api, email="ann@example.com", first_name="Ann", properties={"Plan": "gold"}))[
        "id"
    ]
    bob = (await make_profile(api, email="bob@shop.test", properties={"Plan": "silver", "Orders": 3}))["id"]
    cid = (await make_profile(api, email="cid@example.com", properties={"Orders": 12}))["id"]
    await add_to_list(api, vip, ann, bob)
    # (in VIP) AND (Plan is gold OR email ends with shop.test)
    both = await make_segment(
        api,
        "VIP gold or shop",
        [in_list(vip)],
        [
            has_property("properties['Plan']", type="string", operator="equals", value="gold"),
            has_property("email", type="string", operator="ends-with", value="shop.test"),
        ],
    )
    assert await member_ids(api, both["id"]) == {ann, bob}
    not_vip = await make_segment(api, "Not VIP", [in_list(vip, is_member=False)])
    assert await member_ids(api, not_vip["id"]) == {cid}
    big = await make_segment(
        api, "Big", [has_property("properties['Orders']", type="numeric", operator="greater-than", value=5)]
    )
    assert await member_ids(api, big["id"]) == {cid}
    named = await make_segment(
        api, "Named", [has_property("first_name", type="existence", operator="is-set")]
    )
    assert await member_ids(api, named["id"]) == {ann}
    plans = await make_segment(
        api,
        "Plans",
        [has_property("properties['Plan']", type="string", operator="in", value=["silver", "x"])],
    )
    assert await member_ids(api, plans["id"]) == {bob}
    # a segment of segments
    nested = await make_segment(api, "Big or named", [in_list(big["id"], named["id"])])
    assert await member_ids(api, nested["id"]) == {ann, cid}


async def test_metric_and_consent_conditions(api: httpx.AsyncClient, store: Store) -> None:
    event = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {"$value": 30},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                "profile": {"data": {"type": "profile", "attributes": {"email": "buyer@example.com"}}},
            },
        }
    }
    assert (await api.post("/api/events", json=event)).status_code == 202
    buyer = store.find_by_email("buyer@example.com")
    assert buyer is not None
    await make_profile(api, email="idle@example.com")
    metric = store.metric_named("Placed Order").id
    ordered = {
        "type": "profile-metric",
        "metric_id": metric,
        "measurement": "sum",
        "measurement_filter": {"type": "numeric", "operator": "greater-than-or-equal", "value": 25},
        "timeframe_filter": {"type": "date", "operator": "in-the-last", "unit": "day", "quantity": 30},
    }
    assert await member_ids(api, (await make_segment(api, "Buyers", [ordered]))["id"]) == {buyer.id}
    consent = {
        "type": "profile-marketing-consent",
        "consent": {
            "channel": "email",
            "can_receive_marketing": False,
            "consent_status": {"subscription": "any"},
        },
    }
    unreachable = await make_segment(api, "Unreachable", [consent])
    assert len(await member_ids(api, unreachable["id"])) == 2


async def test_update_and_delete(api: httpx.AsyncClient) -> None:
    newsletter = (await make_list(api, "Newsletter"))["id"]
    ann = (await make_profile(api, email="ann@example.com"))["id"]
    segment = await make_segment(api, "Everyone", [in_list(newsletter, is_member=False)])
    assert await member_ids(api, segment["id"]) == {ann}
    definition = {"condition_groups": [{"conditions": [in_list(newsletter)]}]}
    patch = {
        "data": {
            "type": "segment",
            "id": segment["id"],
            "attributes": {"name": "Readers", "definition": definition},
        }
    }
    updated = await api.patch(f"/api/segments/{segment['id']}", json=patch)
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["attributes"]["name"] == "Readers"
    assert await member_ids(api, segment["id"]) == set()
    mixed = {
        "data": {"type": "segment", "id": segment["id"], "attributes": {"is_active": False, "name": "X"}}
    }
    assert error_of(await api.patch(f"/api/segments/{segment['id']}", json=mixed))["source"] == {
        "pointer": "/data/attributes/is_active"
    }
    assert (await api.delete(f"/api/segments/{segment['id']}")).status_code == 204
    assert (await api.get(f"/api/segments/{segment['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("definition", "pointer"),
    [
        (None, "/data/attributes/definition"),
        ({}, "/data/attributes/definition/condition_groups"),
        (
            {"condition_groups": [{"conditions": []}]},
            "/data/attributes/definition/condition_groups/0/conditions",
        ),
        (
            {"condition_groups": [{"conditions": [{"type": "profile-region", "in_region": True}]}]},
            "/data/attributes/definition/condition_groups/0/conditions/0/type",
        ),
        (
            {
                "condition_groups": [
                    {"conditions": [has_property("email", type="string", operator="regex", value="(")]}
                ]
            },
            "/data/attributes/definition/condition_groups/0/conditions/0/filter/value",
        ),
    ],
)
async def test_bad_definitions_are_400(api: httpx.AsyncClient, definition: Any, pointer: str) -> None:
    document = {"data": {"type": "segment", "attributes": {"name": "Bad", "definition": definition}}}
    response = await api.post("/api/segments", json=document)
    assert response.status_code == 400
    assert error_of(response)["source"] == {"pointer": pointer}


async def test_joined_at_kept_and_inactive_segments_frozen(api: httpx.AsyncClient, store: Store) -> None:
    newsletter = (await make_list(api, "Newsletter"))["id"]
    ann = (await make_profile(api, email="ann@example.com"))["id"]
    await add_to_list(api, newsletter, ann)
    recent = {
        **in_list(newsletter),
        "timeframe_filter": {"type": "date", "operator": "in-the-last", "unit": "day", "quantity": 1},
    }
    segment = await make_segment(api, "Joined lately", [recent])
    first = (await api.get(f"/api/segments/{segment['id']}/profiles")).json()["data"]
    joined = first[0]["attributes"]["joined_group_at"]
    bob = (await make_profile(api, email="bob@example.com"))["id"]
    await add_to_list(api, newsletter, bob)
    again = (await api.get(f"/api/segments/{segment['id']}/profiles")).json()["data"]
    assert {p["id"]: p["attributes"]["joined_group_at"] for p in again}[ann] == joined
    off = {"data": {"type": "segment", "id": segment["id"], "attributes": {"is_active": False}}}
    assert (await api.patch(f"/api/segments/{segment['id']}", json=off)).status_code == 200
    cid = (await make_profile(api, email="cid@example.com"))["id"]
    await add_to_list(api, newsletter, cid)
    assert await member_ids(api, segment["id"]) == {ann, bob}  # inactive: membership does not update
    store.lists[newsletter].members[cid] = "2020-01-01T00:00:00+00:00"
    on = {"data": {"type": "segment", "id": segment["id"], "attributes": {"is_active": True}}}
    assert (await api.patch(f"/api/segments/{segment['id']}", json=on)).status_code == 200
    assert await member_ids(api, segment["id"]) == {ann, bob}  # cid joined too long ago


async def test_date_property_conditions(api: httpx.AsyncClient) -> None:
    ann = (
        await make_profile(api, email="ann@example.com", properties={"Birthday": "1990-05-01T00:00:00+00:00"})
    )["id"]
    await make_profile(api, email="bob@example.com", properties={"Birthday": "2001-01-01T00:00:00+00:00"})
    before = has_property(
        "properties['Birthday']", type="date", operator="before", date="2000-01-01T00:00:00+00:00"
    )
    assert await member_ids(api, (await make_segment(api, "Older", [before]))["id"]) == {ann}
