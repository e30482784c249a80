"""``klaviyo-sdk==1.0.9.20220329`` (generated), unmodified, pointed at the proxy (real sockets).

``test_host=<proxy>/api``; ``update_profile`` goes to the hard-coded
``https://a.klaviyo.com/api/v1/person/{id}``, routed to the proxy's TLS port.

Set-up (lists, templates, campaigns) and read-back go through the proxy's new-API
pass-through with httpx, as a migrating app would; only what has no API (pending double
opt-in confirmations) is read from the sandbox ``Store``. Runs on the session stack.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e import newapi
from tests.e2e.harness import LEGACY_HOST, LoopbackNetwork, Stack, wait_until
from tests.e2e.shapes import (
    assert_person,
    unique_email,
    wait_for_profile,
)


class TestKlaviyoSdk:
    def test_track_get_and_post(self, stack: Stack, sdk: Any, new_api: httpx.Client) -> None:
        email = unique_email("sdk.track")
        mark = stack.recorder.mark()
        got = sdk.TrackIdentify.track_get(
            data={
                "token": stack.public_token,
                "event": "Started Checkout",
                "customer_properties": {"$email": email, "$first_name": "Sid"},
                "properties": {"$value": 12.5, "items": ["A", "B"]},
            }
        )
        posted = sdk.TrackIdentify.track_post(
            data={
                "token": stack.server_side_token,
                "event": "Placed Order",
                "customer_properties": {"$email": email},
                "properties": {"$event_id": "sdk-order-1"},
                "time": 1700000000,
            }
        )
        assert (got, posted) == ("1", "1")
        sent = stack.recorder.since(mark)
        assert [(httpx.URL(r.url).path, r.header("authorization") is None) for r in sent] == [
            ("/client/events", True),
            ("/api/events", False),
        ]
        profile = wait_for_profile(new_api, email)
        events = newapi.profile_events(new_api, profile["id"])
        assert sorted(e["metric_name"] for e in events) == ["Placed Order", "Started Checkout"]

    def test_identify_get_and_post(self, stack: Stack, sdk: Any, new_api: httpx.Client) -> None:
        first, second = unique_email("sdk.id1"), unique_email("sdk.id2")
        got = sdk.TrackIdentify.identify_get(
            data={"token": stack.public_token, "properties": {"$email": first, "$first_name": "Ida"}}
        )
        posted = sdk.TrackIdentify.identify_post(
            data={"token": stack.server_side_token, "properties": {"$email": second, "$title": "Engineer"}}
        )
        assert (got, posted) == ("1", "1")
        assert wait_for_profile(new_api, first)["attributes"]["first_name"] == "Ida"
        assert wait_for_profile(new_api, second)["attributes"]["title"] == "Engineer"

    def test_get_profile_and_update_over_hardcoded_host(
        self, stack: Stack, sdk: Any, new_api: httpx.Client, loopback_network: LoopbackNetwork
    ) -> None:
        email = unique_email("sdk.person")
        assert (
            sdk.TrackIdentify.identify_post(
                data={
                    "token": stack.server_side_token,
                    "properties": {"$email": email, "$last_name": "Hopper"},
                }
            )
            == "1"
        )
        person_id = wait_for_profile(new_api, email)["id"]

        person = dict(sdk.Profiles.get_profile(person_id, _request_timeout=10))
        assert_person(person, set())
        assert person["id"] == person_id and person["last_name"] == "Hopper"

        mark, redirected = stack.recorder.mark(), len(loopback_network.redirected)
        updated = sdk.Profiles.update_profile(person_id=person_id, params={"$first_name": "Grace", "Tier": 3})
        assert any(LEGACY_HOST in r for r in loopback_network.redirected[redirected:])
        assert_person(updated, {"Tier"})
        assert (updated["first_name"], updated["Tier"]) == ("Grace", "3")
        sent = stack.recorder.since(mark)
        assert [(r.method, httpx.URL(r.url).path, r.source) for r in sent] == [
            ("PATCH", f"/api/profiles/{person_id}", "e2e-tls")
        ]
        stored = newapi.get(new_api, f"/api/profiles/{person_id}")["data"]["attributes"]
        assert stored["first_name"] == "Grace" and stored["properties"]["Tier"] == "3"

    def test_subscribe_single_and_double_opt_in(self, stack: Stack, sdk: Any, new_api: httpx.Client) -> None:
        single = newapi.create_list(new_api, f"SDK single {uuid.uuid4().hex[:6]}", "single_opt_in")
        double = newapi.create_list(new_api, f"SDK double {uuid.uuid4().hex[:6]}", "double_opt_in")
        joined, pending = unique_email("sdk.single"), unique_email("sdk.double")

        answer = sdk.ListsSegments.subscribe(
            single, body={"profiles": [{"email": joined}]}, _request_timeout=10
        )
        profile = wait_for_profile(new_api, joined)
        assert answer == [{"id": profile["id"], "email": joined}]
        assert wait_until(lambda: newapi.list_member_ids(new_api, single) == {profile["id"]})

        assert (
            sdk.ListsSegments.subscribe(double, body={"profiles": [{"email": pending}]}, _request_timeout=10)
            == []
        )
        assert newapi.list_member_ids(new_api, double) == set()
        assert wait_until(lambda: [p.list_id for p in stack.store.pending_for(pending)] == [double])
