"""The real legacy SDKs, unmodified, pointed at the proxy (sandbox behind it, real sockets).

* ``klaviyo==3.1.7`` (hand-written; ``api_server=<proxy>/api``; POST track/identify go to its
  hard-coded ``https://a.klaviyo.com/api/...``, routed to the proxy's TLS port).
* ``klaviyo-sdk==1.0.9.20220329`` (generated; ``test_host=<proxy>/api``; ``update_profile``
  goes to its hard-coded ``https://a.klaviyo.com/api/v1/person/{id}``).

Set-up (lists, templates, campaigns) and read-back go through the proxy's new-API
pass-through with httpx, as a migrating app would; only what has no API (pending double
opt-in confirmations) is read from the sandbox ``Store``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from klaviyo.campaigns import Campaigns
from klaviyo.exceptions import KlaviyoAPIException
from klaviyo.lists import Lists
from klaviyo.profiles import Profiles
from klaviyo.public import Public

from tests.e2e import newapi
from tests.e2e.harness import LEGACY_HOST, LoopbackNetwork, RecordedRequest, Stack, wait_until

# Legacy person object (legacy-endpoints.md §E1, new-api-mapping.md §3.2): always present.
PERSON_FIXED_KEYS = frozenset(
    {
        "object", "id",
        "$address1", "$address2", "$city", "$country", "$latitude", "$longitude", "$region", "$zip",
        "$email", "$first_name", "$last_name", "$phone_number", "$title", "$organization",
        "$timezone", "$id",
        "email", "first_name", "last_name", "created", "updated",
    }
)  # fmt: skip
CAMPAIGN_KEYS = frozenset(
    {
        "object", "id", "name", "subject", "from_email", "from_name", "lists", "excluded_lists",
        "status", "status_id", "status_label", "sent_at", "send_time", "created", "updated",
        "num_recipients", "campaign_type", "is_segmented", "message_type", "template_id",
    }
)  # fmt: skip
LEGACY_LIST_KEYS = frozenset(
    {"object", "id", "name", "list_type", "folder", "created", "updated", "person_count"}
)
V1_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
HTML = "text/html; charset=utf-8"


def unique_email(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:10]}@example.com"


def unique_phone() -> str:
    return "+1312555" + f"{uuid.uuid4().int % 10_000:04d}"


def upstream_since(stack: Stack, mark: int) -> list[RecordedRequest]:
    return stack.recorder.since(mark)


def request_json(record: RecordedRequest) -> Any:
    return json.loads(record.body)


def assert_public_ok(response: Any) -> None:
    """Legacy track/identify success: HTTP 200, ``text/html; charset=utf-8``, body ``1``."""
    assert response.status_code == 200, response.text
    assert response.text == "1"
    assert response.headers["content-type"].lower().replace(" ", "") == HTML.replace(" ", "")


def assert_person_shape(person: dict[str, Any], custom: set[str]) -> None:
    assert set(person) == PERSON_FIXED_KEYS | custom, sorted(set(person) ^ (PERSON_FIXED_KEYS | custom))
    assert person["object"] == "person"
    assert V1_DATETIME.match(person["created"]) and V1_DATETIME.match(person["updated"]), person
    assert person["email"] == person["$email"]
    assert person["first_name"] == person["$first_name"] and person["last_name"] == person["$last_name"]


def wait_for_profile(client: httpx.Client, email: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def look() -> bool:
        profile = newapi.find_profile(client, email)
        if profile is not None:
            found.append(profile)
        return profile is not None

    assert wait_until(look, timeout=5.0), f"profile {email} never appeared"
    return found[-1]


# =========================================================================== klaviyo==3.1.7


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
        assert_public_ok(k3_responses[-1])
        sent = upstream_since(stack, mark)
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
        assert_public_ok(k3_responses[-1])
        assert k3_responses[-1].url == "https://a.klaviyo.com/api/identify"
        assert loopback_network.redirected[redirected:], "POST identify did not go to a.klaviyo.com"
        sent = upstream_since(stack, mark)
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
        assert_public_ok(k3_responses[-1])
        sent = upstream_since(stack, mark)
        assert [(r.method, httpx.URL(r.url).path) for r in sent] == [("POST", "/api/events")]
        attributes = request_json(sent[0])["data"]["attributes"]
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
        assert_public_ok(k3_responses[-1])
        assert k3_responses[-1].url == "https://a.klaviyo.com/api/track"
        assert loopback_network.redirected[redirected:]
        sent = upstream_since(stack, mark)
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
        assert_person_shape(person, {"Plan"})
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
        assert_person_shape(person, {"Plan", "Favorite"})
        assert person["first_name"] == "Abe" and person["$city"] == "Springfield"
        assert person["Favorite"] == "42", "legacy stored PUT person values as strings"
        assert person["Plan"] == "Premium"

        unset = profiles.unset_profile_properties(person_id, ["Favorite"])
        assert unset.status_code == 200
        assert_person_shape(unset.data, {"Plan"})

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


# =========================================================================== campaigns (both SDKs)


@dataclass(frozen=True)
class SevenCampaigns:
    ids: tuple[str, ...]  # in creation order
    list_id: str
    list_name: str
    template_id: str


@pytest.fixture(scope="module")
def seven_campaigns(stack: Stack) -> Iterator[SevenCampaigns]:
    """7 email campaign drafts created through the pass-through, before any legacy B1 call."""
    with stack.new_api() as client:
        list_name = f"Campaign audience {uuid.uuid4().hex[:6]}"
        list_id = newapi.create_list(client, list_name, "single_opt_in")
        template_id = newapi.create_template(client, "Promo", "<html><body>Hi {{ first_name }}</body></html>")
        ids = []
        for n in range(1, 8):
            campaign_id, message_id = newapi.create_campaign(
                client, f"Promo {n}", list_id, f"Subject {n}", "news@example.com", "Example Store"
            )
            newapi.assign_template(client, message_id, template_id)
            ids.append(campaign_id)
    yield SevenCampaigns(tuple(ids), list_id, list_name, template_id)


def check_campaign_pages(pages: list[dict[str, Any]], seven: SevenCampaigns) -> None:
    expected = [  # (page, start, end, total, page_size) for count=3 over 7 campaigns
        (0, 0, 2, 7, 3),
        (1, 3, 5, 7, 3),
        (2, 6, 6, 7, 1),
    ]
    for envelope, (page, start, end, total, size) in zip(pages, expected, strict=False):
        assert envelope["object"] == "$list"
        got = (envelope["page"], envelope["start"], envelope["end"], envelope["total"], envelope["page_size"])
        assert got == (page, start, end, total, size), envelope | {"data": "..."}
        assert len(envelope["data"]) == size
    past = pages[3]
    assert (past["object"], past["page"], past["total"], past["page_size"], past["data"]) == (
        "$list",
        3,
        7,
        0,
        [],
    )
    assert past["end"] >= past["total"] - 1, "a client looping 'while end < total - 1' would never stop"

    rows = [c for envelope in pages[:3] for c in envelope["data"]]
    assert sorted(c["id"] for c in rows) == sorted(seven.ids), "pages must partition the collection"
    created = [c["created"] for c in rows]
    assert created == sorted(created, reverse=True), "legacy order is newest first"
    for campaign in rows:
        assert set(campaign) >= CAMPAIGN_KEYS and set(campaign) - CAMPAIGN_KEYS <= {"template"}, sorted(
            campaign
        )
        n = campaign["name"].removeprefix("Promo ")
        assert campaign["object"] == "campaign"
        assert (campaign["subject"], campaign["from_email"], campaign["from_name"]) == (
            f"Subject {n}",
            "news@example.com",
            "Example Store",
        )
        assert (campaign["status"], campaign["status_label"], campaign["status_id"]) == ("draft", "Draft", 2)
        assert campaign["sent_at"] is None and campaign["message_type"] == "email"
        assert campaign["excluded_lists"] == []
        assert V1_DATETIME.match(campaign["created"]) and V1_DATETIME.match(campaign["updated"])
        assert isinstance(campaign["template_id"], str) and campaign["template_id"]
        [audience] = campaign["lists"]
        assert set(audience) == LEGACY_LIST_KEYS
        assert (audience["object"], audience["id"], audience["name"], audience["list_type"]) == (
            "list",
            seven.list_id,
            seven.list_name,
            "list",
        )
        assert V1_DATETIME.match(audience["created"])


def test_klaviyo317_campaign_pages(
    seven_campaigns: SevenCampaigns, k3: Callable[..., Any], k3_responses: list[Any]
) -> None:
    campaigns = k3(Campaigns)
    pages = []
    for page in range(4):
        response = campaigns.get_campaigns(page=page, count=3)
        assert response.status_code == 200
        assert k3_responses[-1].headers["content-type"].startswith("application/json")
        pages.append(response.data)
    check_campaign_pages(pages, seven_campaigns)


def test_klaviyo_sdk_campaign_pages(seven_campaigns: SevenCampaigns, sdk: Any) -> None:
    pages = [dict(sdk.Campaigns.get_campaigns(page=page, count=3, _request_timeout=10)) for page in range(4)]
    check_campaign_pages(pages, seven_campaigns)


# =========================================================================== klaviyo-sdk 1.0.9


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
        sent = upstream_since(stack, mark)
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
        assert_person_shape(person, set())
        assert person["id"] == person_id and person["last_name"] == "Hopper"

        mark, redirected = stack.recorder.mark(), len(loopback_network.redirected)
        updated = sdk.Profiles.update_profile(person_id=person_id, params={"$first_name": "Grace", "Tier": 3})
        assert any(LEGACY_HOST in r for r in loopback_network.redirected[redirected:])
        assert_person_shape(updated, {"Tier"})
        assert (updated["first_name"], updated["Tier"]) == ("Grace", "3")
        sent = upstream_since(stack, mark)
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


# =========================================================================== the network guard


def test_only_loopback_is_reachable(loopback_network: LoopbackNetwork, stack: Stack) -> None:
    """The resolver override maps a.klaviyo.com:443 to the TLS proxy and refuses everything else."""
    import socket

    [(family, _, _, _, address)] = socket.getaddrinfo(LEGACY_HOST, 443, type=socket.SOCK_STREAM)
    assert (family, address) == (socket.AF_INET, ("127.0.0.1", stack.tls_port))
    assert socket.getaddrinfo("127.0.0.1", 80)

    mark = len(loopback_network.blocked)
    try:
        for name, port in (("example.com", 443), (LEGACY_HOST, 80), ("klaviyo.com", 443)):
            with pytest.raises(socket.gaierror):
                socket.getaddrinfo(name, port)
        with pytest.raises(OSError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: refused before any packet leaves
        assert len(loopback_network.blocked) - mark == 4
    finally:
        del loopback_network.blocked[mark:]  # expected, not a leak: keep the per-test guard green
