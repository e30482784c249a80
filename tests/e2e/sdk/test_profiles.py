"""``Profiles``: read, update (over the hard-coded host), timelines, search, exchange (6 operations)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from swagger_client.rest import ApiException

from tests.e2e import newapi
from tests.e2e.harness import LEGACY_HOST, LoopbackNetwork, Stack
from tests.e2e.sdk.support import DAY, api_error, walk_timeline
from tests.e2e.shapes import (
    assert_person,
    unique,
    unique_email,
    unique_phone,
)


class TestProfiles:
    def test_get_profile(self, sdk: Any, new_api: httpx.Client) -> None:
        email = unique_email("sdk.person")
        person_id = newapi.create_profile(
            new_api, email=email, first_name="Ada", last_name="Byron", properties={"Plan": "Gold"}
        )
        person = dict(sdk.Profiles.get_profile(person_id))
        assert_person(person, {"Plan"})
        assert (person["id"], person["$email"], person["$first_name"], person["Plan"]) == (
            person_id,
            email,
            "Ada",
            "Gold",
        )
        assert person["$city"] == "" and person["$phone_number"] == ""
        with pytest.raises(ApiException) as caught:
            sdk.Profiles.get_profile("01ZZZZZZZZZZZZZZZZZZZZZZZZ")
        assert api_error(caught) == (
            404,
            {"status": 404, "message": "The requested resource does not exist."},
        )

    def test_update_profile_over_hardcoded_host(
        self, own: Stack, sdk: Any, new_api: httpx.Client, loopback_network: LoopbackNetwork
    ) -> None:
        person_id = newapi.create_profile(new_api, email=unique_email("sdk.upd"), properties={"Old": "x"})
        mark, redirected = own.recorder.mark(), len(loopback_network.redirected)
        updated = sdk.Profiles.update_profile(
            person_id=person_id, params={"$last_name": "Hopper", "Score": 7, "$unset": json.dumps(["Old"])}
        )
        assert any(LEGACY_HOST in r for r in loopback_network.redirected[redirected:])
        assert [(r.source, r.method) for r in own.recorder.since(mark)] == [("e2e-sdk-tls", "PATCH")]
        assert_person(updated, {"Score"})
        assert (updated["last_name"], updated["Score"]) == ("Hopper", "7")
        stored = newapi.get(new_api, f"/api/profiles/{person_id}")["data"]["attributes"]
        assert stored["last_name"] == "Hopper" and stored["properties"] == {"Score": "7"}

    def test_profile_metrics_timeline(self, sdk: Any, activity: dict[str, Any]) -> None:
        events = walk_timeline(
            lambda **kw: sdk.Profiles.profile_metrics_timeline(activity["profile_id"], **kw),
            count=3,
            sort="desc",
        )
        assert [e["event_name"] for e in events] == [activity["viewed"]] + [activity["placed"]] * 3
        assert {e["person"]["id"] for e in events} == {activity["profile_id"]}
        assert_person(events[0]["person"])

    def test_profile_metric_timeline(self, sdk: Any, activity: dict[str, Any]) -> None:
        def fetch(**kw: Any) -> Any:
            return sdk.Profiles.profile_metric_timeline(activity["profile_id"], activity["placed_id"], **kw)

        # Without `since` legacy forced sort=desc; with a 10-digit `since`, asc reads forward from it.
        assert [e["event_properties"]["Item"] for e in walk_timeline(fetch, count=2, sort="asc")] == [
            "I1",
            "I2",
            "I3",
        ]
        since = str(int((activity["today"] - 4 * DAY).timestamp()))
        events = walk_timeline(fetch, since=since, count=2, sort="asc")
        assert [e["event_properties"]["Item"] for e in events] == ["I3", "I2", "I1"]
        assert {e["statistic_id"] for e in events} == {activity["placed_id"]}

    def test_get_profile_id(self, sdk: Any, new_api: httpx.Client) -> None:
        email, phone = unique_email("sdk.search"), unique_phone()
        person_id = newapi.create_profile(new_api, email=email, phone_number=phone, external_id=unique("ext"))
        assert sdk.Profiles.get_profile_id(email=email).id == person_id
        assert sdk.Profiles.get_profile_id(phone_number=phone).id == person_id
        with pytest.raises(ApiException) as caught:
            sdk.Profiles.get_profile_id(email=unique_email("nobody"))
        assert api_error(caught) == (404, {"detail": "There is no profile matching the given parameters"})

    def test_exchange(self, own: Stack, sdk: Any, new_api: httpx.Client) -> None:
        person_id = newapi.create_profile(new_api, email=unique_email("sdk.kx"))
        exchange_id = own.store.exchange_id(person_id)  # what the `_kx` of an email link carries
        assert dict(sdk.Profiles.exchange(body={"exchange_id": exchange_id})) == {"id": person_id}
        with pytest.raises(ApiException) as caught:
            sdk.Profiles.exchange(body={"exchange_id": "kx_unknown"})
        assert api_error(caught)[0] == 404
