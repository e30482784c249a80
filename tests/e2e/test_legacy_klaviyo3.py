"""``klaviyo==3.1.7`` (hand-written), unmodified, pointed at the proxy (sandbox behind it, real sockets).

``api_server=<proxy>/api``; its POST track/identify go to the hard-coded
``https://a.klaviyo.com/api/...``, routed to the proxy's TLS port.

Set-up (lists, templates, campaigns) and read-back go through the proxy's new-API
pass-through with httpx, as a migrating app would; only what has no API (pending double
opt-in confirmations) is read from the sandbox ``Store``. Runs on the session stack.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from klaviyo.exceptions import KlaviyoAPIException
from klaviyo.lists import Lists
from klaviyo.profiles import Profiles
from klaviyo.public import Public

from tests.e2e import newapi
from tests.e2e.harness import LoopbackNetwork, Stack, wait_until
from tests.e2e.shapes import (
    assert_person,
    assert_public_one,
    unique_email,
    unique_phone,
    wait_for_profile,
)


class TestKlaviyo317:
    def test_identify_get_keyless_token_uses_client_endpoint(
        self, stack: Stack, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        email = unique_email("ada")
        mark = stack.recorder.mark()
        result = k3(Public).identify(
            email=email,
            properties={"$first_name": "Ada", "$last_name": "Lovelace", "$city": "London", "Plan": "Premium"},
            method="get",
        )
        assert result.status_code == 200 and result.data == 1  # the SDK json-decodes the "1" body
        assert_public_one(k3_responses[-1])
        sent = stack.recorder.since(mark)
        assert [(r.method, httpx.URL(r.url).path) for r in sent] == [("POST", "/client/profiles")]
        assert httpx.URL(sent[0].url).params.get("company_id") == stack.public_token
        assert sent[0].header("authorization") is None

        profile = wait_for_profile(new_api, email)["attributes"]
        assert (profile["first_name"], profile["last_name"]) == ("Ada", "Lovelace")
        assert profile["location"]["city"] == "London"
        assert profile["properties"]["Plan"] == "Premium"

    def test_identify_post_server_side_token_over_hardcoded_host(
        self,
        stack: Stack,
        k3: Callable[..., Any],
        k3_responses: list[Any],
        new_api: httpx.Client,
        loopback_network: LoopbackNetwork,
    ) -> None:
        email = unique_email("grace")
        mark, redirected = stack.recorder.mark(), len(loopback_network.redirected)
        result = k3(Public, public_token=stack.server_side_token).identify(
            email=email, properties={"$first_name": "Grace", "Team": "Navy"}, method="post"
        )
        assert result.data == 1
        assert_public_one(k3_responses[-1])
        assert k3_responses[-1].url == "https://a.klaviyo.com/api/identify"
        assert loopback_network.redirected[redirected:], "POST identify did not go to a.klaviyo.com"
        sent = stack.recorder.since(mark)
        assert [(r.method, httpx.URL(r.url).path, r.source) for r in sent] == [
            ("POST", "/api/profile-import", "e2e-tls")
        ]
        assert sent[0].header("authorization") == f"Klaviyo-API-Key {stack.private_key}"
        profile = wait_for_profile(new_api, email)["attributes"]
        assert profile["first_name"] == "Grace" and profile["properties"]["Team"] == "Navy"

    def test_track_get_server_side_token(
        self, stack: Stack, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        email = unique_email("tracy")
        mark = stack.recorder.mark()
        result = k3(Public, public_token=stack.server_side_token).track(
            "Ordered Product",
            email=email,
            customer_properties={"$first_name": "Tracy"},
            properties={"item_name": "Boots", "$value": 100, "$event_id": "order-1001"},
            timestamp=1589983886,
            method="get",
        )
        assert result.data == 1
        assert_public_one(k3_responses[-1])
        sent = stack.recorder.since(mark)
        assert [(r.method, httpx.URL(r.url).path) for r in sent] == [("POST", "/api/events")]
        attributes = json.loads(sent[0].body)["data"]["attributes"]
        assert attributes["time"] == "2020-05-20T14:11:26+00:00"
        assert attributes["value"] == 100 and attributes["unique_id"] == "order-1001"
        assert attributes["properties"] == {"item_name": "Boots"}

        profile = wait_for_profile(new_api, email)
        assert profile["attributes"]["first_name"] == "Tracy"
        events = newapi.profile_events(new_api, profile["id"])
        assert [e["metric_name"] for e in events] == ["Ordered Product"]
        assert events[0]["event_properties"]["item_name"] == "Boots"
        assert events[0]["datetime"].startswith("2020-05-20T14:11:26")

    def test_track_post_keyless_token_over_hardcoded_host(
        self,
        stack: Stack,
        k3: Callable[..., Any],
        k3_responses: list[Any],
        new_api: httpx.Client,
        loopback_network: LoopbackNetwork,
    ) -> None:
        email = unique_email("paul")
        mark, redirected = stack.recorder.mark(), len(loopback_network.redirected)
        result = k3(Public).track("Viewed Product", email=email, properties={"sku": "B-42"}, method="post")
        assert result.data == 1
        assert_public_one(k3_responses[-1])
        assert k3_responses[-1].url == "https://a.klaviyo.com/api/track"
        assert loopback_network.redirected[redirected:]
        sent = stack.recorder.since(mark)
        assert [(r.method, httpx.URL(r.url).path) for r in sent] == [("POST", "/client/events")]
        assert httpx.URL(sent[0].url).params.get("company_id") == stack.public_token
        assert sent[0].header("authorization") is None
        profile = wait_for_profile(new_api, email)
        events = newapi.profile_events(new_api, profile["id"])
        assert [e["metric_name"] for e in events] == ["Viewed Product"]
        assert events[0]["event_properties"]["sku"] == "B-42"

    def test_get_update_and_unset_person(
        self, stack: Stack, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        email = unique_email("abe")
        k3(Public, public_token=stack.server_side_token).identify(
            email=email,
            properties={
                "$first_name": "Abraham",
                "$last_name": "Lincoln",
                "$region": "Illinois",
                "Plan": "Premium",
            },
        )
        person_id = wait_for_profile(new_api, email)["id"]
        profiles = k3(Profiles)

        got = profiles.get_profile(person_id)
        assert got.status_code == 200
        assert k3_responses[-1].headers["content-type"].startswith("application/json")
        person = got.data
        assert_person(person, {"Plan"})
        assert person["id"] == person_id and person["$email"] == email
        assert (person["$first_name"], person["$last_name"], person["$region"]) == (
            "Abraham",
            "Lincoln",
            "Illinois",
        )
        assert person["$city"] == "" and person["$phone_number"] == "" and person["$id"] == ""
        assert person["Plan"] == "Premium"

        updated = profiles.update_profile(
            person_id, {"$first_name": "Abe", "$city": "Springfield", "Favorite": 42}
        )
        assert updated.status_code == 200
        person = updated.data
        assert_person(person, {"Plan", "Favorite"})
        assert person["first_name"] == "Abe" and person["$city"] == "Springfield"
        assert person["Favorite"] == "42", "legacy stored PUT person values as strings"
        assert person["Plan"] == "Premium"

        unset = profiles.unset_profile_properties(person_id, ["Favorite"])
        assert unset.status_code == 200
        assert_person(unset.data, {"Plan"})

        stored = newapi.get(new_api, f"/api/profiles/{person_id}")["data"]["attributes"]
        assert stored["first_name"] == "Abe" and stored["location"]["city"] == "Springfield"
        assert "Favorite" not in stored["properties"] and stored["properties"]["Plan"] == "Premium"

    def test_get_unknown_person_is_legacy_404(self, k3: Callable[..., Any]) -> None:
        with pytest.raises(KlaviyoAPIException) as caught:
            k3(Profiles).get_profile("01ZZZZZZZZZZZZZZZZZZZZZZZZ")
        assert caught.value.status_code == 404
        assert caught.value.message == {"status": 404, "message": "The requested resource does not exist."}

    def test_subscribe_double_opt_in_answers_empty_and_adds_nobody(
        self, stack: Stack, k3: Callable[..., Any], k3_responses: list[Any], new_api: httpx.Client
    ) -> None:
        list_id = newapi.create_list(new_api, f"Newsletter {uuid.uuid4().hex[:6]}", "double_opt_in")
        email = unique_email("dora")
        result = k3(Lists).add_subscribers_to_list(list_id, [{"email": email, "$first_name": "Dora"}])
        assert result.status_code == 200 and result.data == []
        assert k3_responses[-1].headers["content-type"].startswith("application/json")

        assert newapi.list_member_ids(new_api, list_id) == set()
        profile = wait_for_profile(new_api, email)
        assert profile["attributes"]["first_name"] == "Dora"
        # No API shows a pending confirmation: the sandbox store does.
        assert wait_until(lambda: [p.list_id for p in stack.store.pending_for(email)] == [list_id])
        assert stack.store.pending_for(email)[0].channel == "email"

    def test_subscribe_single_opt_in_answers_profiles_with_ids(
        self, stack: Stack, k3: Callable[..., Any], new_api: httpx.Client
    ) -> None:
        list_id = newapi.create_list(new_api, f"VIP {uuid.uuid4().hex[:6]}", "single_opt_in")
        email, phone = unique_email("sam"), unique_phone()
        result = k3(Lists).add_subscribers_to_list(
            list_id, [{"email": email, "Color": "blue"}, {"phone_number": phone, "sms_consent": True}]
        )
        assert result.status_code == 200
        by_email = wait_for_profile(new_api, email)
        by_phone = newapi.get(new_api, "/api/profiles", filter=f'equals(phone_number,"{phone}")')["data"]
        assert len(by_phone) == 1
        assert result.data == [
            {"id": by_email["id"], "email": email},
            {"id": by_phone[0]["id"], "phone_number": phone},
        ]
        assert by_email["attributes"]["properties"]["Color"] == "blue"
        expected = {by_email["id"], by_phone[0]["id"]}
        assert wait_until(lambda: newapi.list_member_ids(new_api, list_id) == expected)
        assert stack.store.pending_for(email) == []
