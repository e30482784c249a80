"""``Profiles``: read, update, unset, timelines, lookup by e-mail (6 methods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from klaviyo.exceptions import KlaviyoAPIException
from klaviyo.profiles import Profiles

from tests.e2e import newapi
from tests.e2e.klaviyo3.support import DAY, assert_json, follow, ok
from tests.e2e.shapes import (
    assert_person,
    unique_email,
)


class TestProfiles:
    def test_get_update_unset_profile(
        self, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        """get_profile, update_profile, unset_profile_properties."""
        email = unique_email("k3.person")
        person_id = newapi.create_profile(
            new_api, email=email, first_name="Lin", properties={"Plan": "Basic"}
        )
        profiles = k3(Profiles)
        person = ok(profiles.get_profile(person_id))
        assert_json(k3_responses[-1])
        assert_person(person, {"Plan"})
        assert (person["id"], person["$email"], person["first_name"], person["Plan"]) == (
            person_id,
            email,
            "Lin",
            "Basic",
        )

        updated = ok(profiles.update_profile(person_id, {"$city": "Oslo", "Visits": 3, "Plan": "Pro"}))
        assert_person(updated, {"Plan", "Visits"})
        assert (updated["$city"], updated["Visits"], updated["Plan"]) == ("Oslo", "3", "Pro")

        unset = ok(profiles.unset_profile_properties(person_id, ["Visits", "Plan"]))
        assert_person(unset)
        stored = newapi.get(new_api, f"/api/profiles/{person_id}")["data"]["attributes"]
        assert stored["location"]["city"] == "Oslo" and stored["properties"] == {}

    def test_get_profile_metrics_timeline(self, k3: Callable[..., Any], activity: dict[str, Any]) -> None:
        profiles = k3(Profiles)
        events = follow(
            lambda **kw: profiles.get_profile_metrics_timeline(activity["profile_id"], **kw), count=3
        )
        assert [e["event_name"] for e in events] == [activity["browsed"]] + [activity["paid"]] * 3
        assert_person(events[0]["person"])
        with pytest.raises(KlaviyoAPIException) as caught:
            profiles.get_profile_metrics_timeline("01ZZZZZZZZZZZZZZZZZZZZZZZZ")
        assert caught.value.status_code == 404

    def test_get_profile_metrics_timeline_by_id(
        self, k3: Callable[..., Any], activity: dict[str, Any]
    ) -> None:
        since = int((activity["now"] - 4 * DAY).timestamp())
        events = follow(
            lambda **kw: k3(Profiles).get_profile_metrics_timeline_by_id(
                activity["profile_id"], activity["paid_id"], **kw
            ),
            since=since,
            count=1,
            sort="asc",
        )
        assert [e["event_properties"]["Order"] for e in events] == ["O3", "O2", "O1"]
        assert [e["event_properties"]["$value"] for e in events] == [5.0, 7.0, 11.0]

    def test_get_profile_id_by_email(self, k3: Callable[..., Any], new_api: httpx.Client) -> None:
        email = unique_email("k3.search")
        person_id = newapi.create_profile(new_api, email=email)
        assert ok(k3(Profiles).get_profile_id_by_email(email)) == {"id": person_id}
        with pytest.raises(KlaviyoAPIException) as caught:
            k3(Profiles).get_profile_id_by_email(unique_email("ghost"))
        assert caught.value.status_code == 404
        assert caught.value.message == {"detail": "There is no profile matching the given parameters"}
