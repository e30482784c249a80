"""``ListsSegments``: lists, members, subscriptions, exclusions, segments (16 operations)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from swagger_client.rest import ApiException

from tests.e2e import newapi
from tests.e2e.harness import Stack
from tests.e2e.isolated import seed_profiles
from tests.e2e.sdk.support import raw
from tests.e2e.shapes import (
    V1_DATETIME,
    V2_CREATED,
    assert_offset_page,
    unique,
    unique_email,
    unique_phone,
    wait_for,
    wait_for_profile,
)


class TestListsSegments:
    def test_list_lifecycle(self, sdk: Any, new_api: httpx.Client) -> None:
        """create_list, get_lists, get_list_info, update_list_name, delete_list."""
        name = unique("Newsletter")
        created = dict(sdk.ListsSegments.create_list(list_name=name))
        assert set(created) == {"list_id"}
        list_id = created["list_id"]
        assert newapi.get(new_api, f"/api/lists/{list_id}")["data"]["attributes"]["name"] == name

        lists = [dict(item) for item in sdk.ListsSegments.get_lists()]
        assert all(set(item) == {"list_id", "list_name"} for item in lists)
        assert {"list_id": list_id, "list_name": name} in lists
        ids = [item["list_id"] for item in lists]
        assert ids == sorted(ids, key=lambda i: i.encode())

        info = dict(sdk.ListsSegments.get_list_info(list_id))
        assert set(info) == {"list_name", "folder_id", "opt_in_process", "created", "updated"}
        assert (info["list_name"], info["folder_id"]) == (name, None)
        assert info["opt_in_process"] in ("single_opt_in", "double_opt_in")
        assert V1_DATETIME.match(info["created"]) and V1_DATETIME.match(info["updated"])

        assert sdk.ListsSegments.update_list_name(list_id, list_name=name + " (renamed)") is None
        assert raw(sdk, "ListsSegments") == (200, None)
        assert (
            newapi.get(new_api, f"/api/lists/{list_id}")["data"]["attributes"]["name"] == name + " (renamed)"
        )
        assert dict(sdk.ListsSegments.get_list_info(list_id))["list_name"] == name + " (renamed)"

        assert sdk.ListsSegments.delete_list(list_id) is None
        assert raw(sdk, "ListsSegments") == (200, None)
        assert newapi.status_of(new_api, f"/api/lists/{list_id}") == 404
        with pytest.raises(ApiException) as caught:
            sdk.ListsSegments.get_list_info(list_id)
        assert caught.value.status == 404

    def test_members_add_check_list_remove(self, sdk: Any, new_api: httpx.Client) -> None:
        """add_members, get_list_members, get_members (list), remove_members."""
        list_id = newapi.create_list(new_api, unique("Members"), "double_opt_in")
        ann, bob, phone = unique_email("ann"), unique_email("bob"), unique_phone()
        added = sdk.ListsSegments.add_members(
            list_id,
            body={
                "profiles": [
                    {"email": ann, "$first_name": "Ann", "Plan": "Gold"},
                    {"email": bob, "phone_number": phone},
                ]
            },
        )
        added = [dict(item) for item in added]
        ann_id, bob_id = wait_for_profile(new_api, ann)["id"], wait_for_profile(new_api, bob)["id"]
        assert added == [
            {"id": ann_id, "email": ann},
            {"id": bob_id, "email": bob, "phone_number": phone},
        ]
        wait_for(lambda: newapi.list_member_ids(new_api, list_id) == {ann_id, bob_id}, "members added")
        stored = newapi.get(new_api, f"/api/profiles/{ann_id}")["data"]["attributes"]
        assert stored["first_name"] == "Ann" and stored["properties"]["Plan"] == "Gold"

        checked = sdk.ListsSegments.get_list_members(
            list_id, body={"emails": [ann, unique_email("stranger")], "phone_numbers": [phone]}
        )
        rows = sorted(
            (dict(r) for r in checked), key=lambda r: r["id"] + ("p" if "phone_number" in r else "e")
        )
        assert {(r["id"], r.get("email"), r.get("phone_number")) for r in rows} == {
            (ann_id, ann, None),
            (bob_id, None, phone),
        }
        assert all(V2_CREATED.match(r["created"]) for r in rows)

        page = dict(sdk.ListsSegments.get_members(list_id))
        assert "marker" not in page
        assert sorted(page["records"], key=lambda r: r["id"]) == sorted(
            [{"id": ann_id, "email": ann}, {"id": bob_id, "email": bob, "phone_number": phone}],
            key=lambda r: r["id"],
        )

        assert sdk.ListsSegments.remove_members(list_id, body={"emails": [ann]}) is None
        assert raw(sdk, "ListsSegments") == (200, None)
        wait_for(lambda: newapi.list_member_ids(new_api, list_id) == {bob_id}, "ann removed")
        assert newapi.find_profile(new_api, ann) is not None, "removal keeps the profile"

    def test_subscribe_subscriptions_unsubscribe_exclusions(self, sdk: Any, new_api: httpx.Client) -> None:
        """subscribe, get_list_subscriptions, unsubscribe, get_list_exclusions."""
        list_id = newapi.create_list(new_api, unique("Subscribers"), "single_opt_in")
        cid, dan = unique_email("cid"), unique_email("dan")
        answer = [
            dict(p)
            for p in sdk.ListsSegments.subscribe(
                list_id, body={"profiles": [{"email": cid, "$first_name": "Cid"}, {"email": dan}]}
            )
        ]
        cid_id, dan_id = wait_for_profile(new_api, cid)["id"], wait_for_profile(new_api, dan)["id"]
        assert answer == [{"id": cid_id, "email": cid}, {"id": dan_id, "email": dan}]
        wait_for(lambda: newapi.list_member_ids(new_api, list_id) == {cid_id, dan_id}, "subscribed")

        subscribed = sdk.ListsSegments.get_list_subscriptions(list_id, body={"emails": [cid, dan]})
        assert sorted((r["id"], r["email"]) for r in subscribed) == sorted([(cid_id, cid), (dan_id, dan)])
        assert all(V2_CREATED.match(r["created"]) for r in subscribed)

        assert sdk.ListsSegments.unsubscribe(list_id, body={"emails": [cid]}) is None
        assert raw(sdk, "ListsSegments") == (200, None)
        wait_for(lambda: newapi.list_member_ids(new_api, list_id) == {dan_id}, "cid unsubscribed")
        remaining = sdk.ListsSegments.get_list_subscriptions(list_id, body={"emails": [cid, dan]})
        assert [(r["id"], r["email"]) for r in remaining] == [(dan_id, dan)]

        def excluded() -> list[dict[str, Any]]:
            return list(dict(sdk.ListsSegments.get_list_exclusions(list_id))["records"])

        wait_for(lambda: bool(excluded()), "list exclusion")
        page = dict(sdk.ListsSegments.get_list_exclusions(list_id))
        assert "marker" not in page
        [record] = page["records"]
        assert (record["id"], record["email"], record["reason"]) == (cid_id, cid, "unsubscribed")
        assert V1_DATETIME.match(record["timestamp"]), record

    def test_segment_members(self, own: Stack, sdk: Any, new_api: httpx.Client) -> None:
        """get_segment_members, get_members (segment, 1000 a page with an integer marker)."""
        eve, fay = unique_email("eve"), unique_email("fay")
        eve_id = newapi.create_profile(new_api, email=eve)
        fay_id = newapi.create_profile(new_api, email=fay, phone_number=unique_phone())
        bulk = seed_profiles(own.store, 1000, "sdkseg")
        # No API creates segments: seeded in the store, with members made through the API and in bulk.
        segment_id = own.store.add_segment(unique("VIPs"), [eve_id, fay_id, *(pid for pid, _ in bulk)])

        found = sdk.ListsSegments.get_segment_members(
            segment_id, body={"emails": [eve, bulk[999][1], unique_email("nope")]}
        )
        assert sorted((r["id"], r["email"]) for r in found) == sorted([(eve_id, eve), bulk[999]])
        assert all(V2_CREATED.match(r["created"]) for r in found)

        first = dict(sdk.ListsSegments.get_members(segment_id))
        assert len(first["records"]) == 1000 and isinstance(first["marker"], int)
        second = dict(sdk.ListsSegments.get_members(segment_id, marker=first["marker"]))
        assert len(second["records"]) == 2 and "marker" not in second
        records = {r["id"]: r for r in first["records"] + second["records"]}
        assert len(records) == 1002, "the pages partition the segment"
        assert records[eve_id] == {"id": eve_id, "email": eve}
        assert set(records[fay_id]) == {"id", "email", "phone_number"}
        assert records[bulk[0][0]] == {"id": bulk[0][0], "email": bulk[0][1]}

    def test_exclude_globally_then_global_exclusions(self, sdk: Any, new_api: httpx.Client) -> None:
        """exclude_globally, get_global_exclusions."""
        email = unique_email("gus")
        person_id = newapi.create_profile(new_api, email=email)
        assert dict(sdk.ListsSegments.exclude_globally(email=email)) == {
            "object": "exclusion",
            "email": email,
        }

        def suppressed() -> bool:
            doc = newapi.get(
                new_api, f"/api/profiles/{person_id}", **{"additional-fields[profile]": "subscriptions"}
            )
            marketing = doc["data"]["attributes"]["subscriptions"]["email"]["marketing"]
            return bool(marketing.get("suppression"))

        wait_for(suppressed, "global suppression")
        envelope = dict(
            sdk.ListsSegments.get_global_exclusions(
                reason="manually_excluded", sort="desc", count=500, page=0
            )
        )
        assert_offset_page(envelope, 0, 500)
        mine = [item for item in envelope["data"] if item["email"] == email]
        assert len(mine) == 1
        assert set(mine[0]) == {"object", "email", "reason", "timestamp"}
        assert (mine[0]["object"], mine[0]["reason"]) == ("exclusion", "manually_excluded")
        assert V1_DATETIME.match(mine[0]["timestamp"])
