"""``TrackIdentify``: track and identify, GET and POST (4 operations)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e import newapi
from tests.e2e.harness import Stack
from tests.e2e.shapes import (
    unique,
    unique_email,
    wait_for,
    wait_for_profile,
)


class TestTrackIdentify:
    def test_track_get_and_track_post(self, own: Stack, sdk: Any, new_api: httpx.Client) -> None:
        email = unique_email("sdk.track")
        assert (
            sdk.TrackIdentify.track_get(
                data={
                    "token": own.public_token,
                    "event": "Viewed Product",
                    "customer_properties": {"$email": email, "$first_name": "Tia"},
                    "properties": {"sku": "SKU-1", "$value": 9.5},
                }
            )
            == "1"
        )
        assert (
            sdk.TrackIdentify.track_post(
                data={
                    "token": own.server_side_token,
                    "event": "Ordered Product",
                    "customer_properties": {"$email": email},
                    "properties": {"sku": "SKU-1", "$event_id": unique("order")},
                    "time": 1700000000,
                }
            )
            == "1"
        )
        profile = wait_for_profile(new_api, email)
        assert profile["attributes"]["first_name"] == "Tia"
        wait_for(lambda: len(newapi.profile_events(new_api, profile["id"])) == 2, "two events")
        events = newapi.profile_events(new_api, profile["id"])
        by_name = {e["metric_name"]: e for e in events}
        assert set(by_name) == {"Viewed Product", "Ordered Product"}
        assert by_name["Viewed Product"]["event_properties"]["sku"] == "SKU-1"
        assert by_name["Ordered Product"]["datetime"].startswith("2023-11-14T22:13:20")

    def test_identify_get_and_identify_post(self, own: Stack, sdk: Any, new_api: httpx.Client) -> None:
        first, second = unique_email("sdk.idg"), unique_email("sdk.idp")
        assert (
            sdk.TrackIdentify.identify_get(
                data={
                    "token": own.public_token,
                    "properties": {"$email": first, "$city": "Rome", "Tier": "A"},
                }
            )
            == "1"
        )
        assert (
            sdk.TrackIdentify.identify_post(
                data={"token": own.server_side_token, "properties": {"$email": second, "$title": "CTO"}}
            )
            == "1"
        )
        got = wait_for_profile(new_api, first)["attributes"]
        assert got["location"]["city"] == "Rome" and got["properties"]["Tier"] == "A"
        assert wait_for_profile(new_api, second)["attributes"]["title"] == "CTO"
