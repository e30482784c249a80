"""``Public``: track (GET, and POST over the hard-coded host), track_once, identify (3 methods)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from klaviyo.public import Public

from tests.e2e import newapi
from tests.e2e.harness import LoopbackNetwork, Stack
from tests.e2e.klaviyo3.support import ok
from tests.e2e.shapes import (
    assert_public_one,
    unique_email,
    wait_for,
    wait_for_profile,
)


class TestPublic:
    def test_track_get_and_post(
        self,
        own: Stack,
        k3: Callable[..., Any],
        k3_responses: list[Any],
        new_api: httpx.Client,
        loopback_network: LoopbackNetwork,
    ) -> None:
        email = unique_email("k3.track")
        public = k3(Public, public_token=own.server_side_token)
        got = public.track(
            "Added To Cart",
            email=email,
            customer_properties={"$first_name": "Kit"},
            properties={"sku": "K-1", "$value": 15},
            timestamp=1600000000,
            method="get",
        )
        assert ok(got) == 1
        assert_public_one(k3_responses[-1])
        redirected = len(loopback_network.redirected)
        posted = k3(Public).track("Checked Out", email=email, properties={"items": 2}, method="post")
        assert ok(posted) == 1
        assert_public_one(k3_responses[-1])
        assert k3_responses[-1].url == "https://a.klaviyo.com/api/track"
        assert loopback_network.redirected[redirected:], "POST track did not go to a.klaviyo.com"

        profile = wait_for_profile(new_api, email)
        assert profile["attributes"]["first_name"] == "Kit"
        wait_for(lambda: len(newapi.profile_events(new_api, profile["id"])) == 2, "two events")
        events = {e["metric_name"]: e for e in newapi.profile_events(new_api, profile["id"])}
        assert events["Added To Cart"]["event_properties"]["sku"] == "K-1"
        assert events["Added To Cart"]["datetime"].startswith("2020-09-13T12:26:40")
        assert events["Checked Out"]["event_properties"]["items"] == 2

    def test_track_once(
        self, own: Stack, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        email = unique_email("k3.once")
        public = k3(Public, public_token=own.server_side_token)
        result = public.track_once("Joined Program", email=email, properties={"tier": "gold"})
        assert ok(result) == 1
        assert_public_one(k3_responses[-1])
        profile = wait_for_profile(new_api, email)
        wait_for(lambda: bool(newapi.profile_events(new_api, profile["id"])), "event")
        # Legacy: "record only once per profile". A second call (another second, other
        # properties) is accepted (1) but the new API's unique_id dedupe records nothing.
        time.sleep(1.1)
        again = public.track_once("Joined Program", email=email, properties={"tier": "platinum"})
        assert ok(again) == 1
        other = unique_email("k3.once2")
        assert ok(public.track_once("Joined Program", email=other, properties={"tier": "gold"})) == 1
        other_profile = wait_for_profile(new_api, other)
        wait_for(lambda: bool(newapi.profile_events(new_api, other_profile["id"])), "the other event")
        [event] = newapi.profile_events(new_api, profile["id"])
        assert event["metric_name"] == "Joined Program"
        assert event["event_properties"]["tier"] == "gold"
        assert "__track_once__" not in event["event_properties"], "the flag is not an event property"
        [other_event] = newapi.profile_events(new_api, other_profile["id"])  # once per profile, not overall
        assert other_event["metric_name"] == "Joined Program"

    def test_identify_get_and_post(
        self,
        own: Stack,
        k3: Callable[..., Any],
        k3_responses: list[Any],
        new_api: httpx.Client,
        loopback_network: LoopbackNetwork,
    ) -> None:
        first, second = unique_email("k3.idg"), unique_email("k3.idp")
        got = k3(Public).identify(
            email=first, properties={"$first_name": "Ida", "$zip": "00100", "Pet": "cat"}
        )
        assert ok(got) == 1
        assert_public_one(k3_responses[-1])
        redirected = len(loopback_network.redirected)
        posted = k3(Public, public_token=own.server_side_token).identify(
            email=second, properties={"$organization": "ACME"}, method="post"
        )
        assert ok(posted) == 1
        assert k3_responses[-1].url == "https://a.klaviyo.com/api/identify"
        assert loopback_network.redirected[redirected:]
        attrs = wait_for_profile(new_api, first)["attributes"]
        assert (attrs["first_name"], attrs["location"]["zip"], attrs["properties"]["Pet"]) == (
            "Ida",
            "00100",
            "cat",
        )
        assert wait_for_profile(new_api, second)["attributes"]["organization"] == "ACME"
