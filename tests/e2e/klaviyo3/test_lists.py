"""``Lists``: lists, subscribers, members, exclusions and segment members (14 methods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from klaviyo.exceptions import KlaviyoAPIException
from klaviyo.lists import Lists

from tests.e2e import newapi
from tests.e2e.harness import Stack
from tests.e2e.klaviyo3.support import ok, seed_segment
from tests.e2e.shapes import (
    V1_DATETIME,
    V2_CREATED,
    unique,
    unique_email,
    unique_phone,
    wait_for,
    wait_for_profile,
)


class TestLists:
    def test_create_get_rename_delete(
        self, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        """create_list, get_lists, get_list_by_id, update_list_name_by_id, delete_list."""
        lists = k3(Lists)
        name = unique("k3 list")
        created = ok(lists.create_list(name))
        assert set(created) == {"list_id"}
        list_id = created["list_id"]
        assert newapi.get(new_api, f"/api/lists/{list_id}")["data"]["attributes"]["name"] == name

        everything = ok(lists.get_lists())
        assert {"list_id": list_id, "list_name": name} in everything
        assert all(set(item) == {"list_id", "list_name"} for item in everything)

        info = ok(lists.get_list_by_id(list_id))
        assert (info["list_name"], info["folder_id"]) == (name, None)
        assert set(info) == {"list_name", "folder_id", "opt_in_process", "created", "updated"}
        assert V1_DATETIME.match(info["created"])

        assert ok(lists.update_list_name_by_id(list_id, "k3 renamed")) == ""
        assert k3_responses[-1].text == ""
        assert newapi.get(new_api, f"/api/lists/{list_id}")["data"]["attributes"]["name"] == "k3 renamed"

        assert ok(lists.delete_list(list_id)) == ""
        assert newapi.status_of(new_api, f"/api/lists/{list_id}") == 404
        with pytest.raises(KlaviyoAPIException) as caught:
            lists.get_list_by_id(list_id)
        assert caught.value.status_code == 404 and caught.value.message == {"detail": "List not found."}

    def test_subscribers(self, own: Stack, k3: Callable[..., Any], new_api: httpx.Client) -> None:
        """add_subscribers_to_list, get_subscribers_from_list, delete_subscribers_from_list, get_list_exclusions."""
        lists = k3(Lists)
        list_id = newapi.create_list(new_api, unique("k3 subs"), "single_opt_in")
        amy, ben, stranger = unique_email("amy"), unique_email("ben"), unique_email("stranger")
        added = ok(
            lists.add_subscribers_to_list(list_id, [{"email": amy, "$first_name": "Amy"}, {"email": ben}])
        )
        amy_id, ben_id = wait_for_profile(new_api, amy)["id"], wait_for_profile(new_api, ben)["id"]
        assert added == [{"id": amy_id, "email": amy}, {"id": ben_id, "email": ben}]
        wait_for(lambda: newapi.list_member_ids(new_api, list_id) == {amy_id, ben_id}, "subscribed")

        found = ok(lists.get_subscribers_from_list(list_id, [amy, ben, stranger]))
        assert sorted((r["id"], r["email"]) for r in found) == sorted([(amy_id, amy), (ben_id, ben)])
        assert all(V2_CREATED.match(r["created"]) for r in found)

        assert ok(lists.delete_subscribers_from_list(list_id, [amy, stranger])) == ""
        wait_for(lambda: newapi.list_member_ids(new_api, list_id) == {ben_id}, "amy unsubscribed")
        assert [r["email"] for r in ok(lists.get_subscribers_from_list(list_id, [amy, ben]))] == [ben]
        assert newapi.find_profile(new_api, stranger) is None, "a non-member is not touched"

        wait_for(lambda: bool(ok(lists.get_list_exclusions(list_id))["records"]), "list exclusion")
        page = ok(lists.get_list_exclusions(list_id))
        assert "marker" not in page
        [record] = page["records"]
        assert (record["id"], record["email"], record["reason"]) == (amy_id, amy, "unsubscribed")
        profile = own.store.profiles[amy_id]
        assert profile.email_marketing.consent == "SUBSCRIBED", "a list unsubscribe is not a global one"

    def test_members(self, k3: Callable[..., Any], new_api: httpx.Client) -> None:
        """add_members_to_list, get_members_from_list, remove_members_from_list, get_all_members (list)."""
        lists = k3(Lists)
        list_id = newapi.create_list(new_api, unique("k3 members"), "double_opt_in")
        cal, dee, phone = unique_email("cal"), unique_email("dee"), unique_phone()
        added = ok(
            lists.add_members_to_list(
                list_id, [{"email": cal, "Plan": "Pro"}, {"email": dee, "phone_number": phone}]
            )
        )
        cal_id, dee_id = wait_for_profile(new_api, cal)["id"], wait_for_profile(new_api, dee)["id"]
        assert added == [{"id": cal_id, "email": cal}, {"id": dee_id, "email": dee, "phone_number": phone}]
        assert newapi.list_member_ids(new_api, list_id) == {cal_id, dee_id}, "members ignore double opt-in"
        assert (
            newapi.get(new_api, f"/api/profiles/{cal_id}")["data"]["attributes"]["properties"]["Plan"]
            == "Pro"
        )

        found = ok(lists.get_members_from_list(list_id, [cal, unique_email("nobody")]))
        assert [(r["id"], r["email"]) for r in found] == [(cal_id, cal)] and V2_CREATED.match(
            found[0]["created"]
        )

        page = ok(lists.get_all_members(list_id))
        assert "marker" not in page
        assert sorted(page["records"], key=lambda r: r["id"]) == sorted(
            [{"id": cal_id, "email": cal}, {"id": dee_id, "email": dee, "phone_number": phone}],
            key=lambda r: r["id"],
        )

        assert ok(lists.remove_members_from_list(list_id, [cal])) == ""
        assert newapi.list_member_ids(new_api, list_id) == {dee_id}
        assert ok(lists.get_members_from_list(list_id, [cal])) == []

    def test_segment_members_with_marker_pages(self, own: Stack, k3: Callable[..., Any]) -> None:
        """get_all_members (segment, 1000 a page, integer marker), get_members_from_segment (v1)."""
        segment_id, members = seed_segment(own.store, 1003)
        lists = k3(Lists)
        first = ok(lists.get_all_members(segment_id))
        assert len(first["records"]) == 1000 and isinstance(first["marker"], int)
        second = ok(lists.get_all_members(segment_id, marker=first["marker"]))
        assert len(second["records"]) == 3 and "marker" not in second
        seen = [(r["id"], r["email"]) for r in first["records"] + second["records"]]
        assert sorted(seen) == sorted(members), "the two pages partition the segment"

        wanted = [members[0][1], members[1002][1], unique_email("outsider")]
        found = ok(lists.get_members_from_segment(segment_id, wanted))
        assert sorted((r["id"], r["email"]) for r in found) == sorted([members[0], members[1002]])
        assert all(V2_CREATED.match(r["created"]) for r in found)
        with pytest.raises(KlaviyoAPIException) as caught:
            lists.get_members_from_segment("ZZZZZZ", wanted[:1])
        assert caught.value.status_code == 404 and caught.value.message["status"] == 404
