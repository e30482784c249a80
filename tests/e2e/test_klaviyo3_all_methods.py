"""``klaviyo==3.1.7`` (the hand-written legacy Python SDK) calls every method it has against
the proxy, sandbox behind it, over real sockets.

Public (track, track_once, identify), Campaigns (get_campaigns, get_campaign_recipients),
DataPrivacy (request_profile_deletion), Lists (14 methods), Metrics (4) and Profiles (6):
each call returns the ``KlaviyoAPIResponse`` the client builds from the legacy answer (shape
asserted, effect read back through the new-API pass-through, or the sandbox ``Store`` for what
no API shows), or raises the client's own ``KlaviyoAPIException`` — for the unsupported B9
a 501 naming the successor. The last test checks that every method was called.

The client's POST track/identify go to its hard-coded ``https://a.klaviyo.com/api``, as does
the ``Klaviyo`` convenience class (it cannot take an ``api_server``): the test resolver sends
that host to this module's TLS proxy. Runs on a private stack (``tests/e2e/isolated.py``).
"""

from __future__ import annotations

import inspect
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from klaviyo import Klaviyo
from klaviyo.api_helper import KlaviyoAPI, KlaviyoAPIResponse
from klaviyo.campaigns import Campaigns
from klaviyo.data_privacy import DataPrivacy
from klaviyo.exceptions import KlaviyoAPIException
from klaviyo.lists import Lists
from klaviyo.metrics import Metrics
from klaviyo.profiles import Profiles
from klaviyo.public import Public

from tests.e2e import newapi
from tests.e2e.harness import LoopbackNetwork, Recorder, Stack, TlsFiles
from tests.e2e.isolated import isolated_stack, seed_profiles
from tests.e2e.shapes import (
    EXPORT_KEYS,
    V1_DATETIME,
    V2_CREATED,
    assert_campaign,
    assert_metric,
    assert_offset_page,
    assert_person,
    assert_timeline,
    assert_unsupported,
    unique,
    unique_email,
    unique_phone,
    wait_for,
    wait_for_profile,
)

CLASSES: dict[str, type[KlaviyoAPI]] = {
    "Public": Public,
    "Campaigns": Campaigns,
    "DataPrivacy": DataPrivacy,
    "Lists": Lists,
    "Metrics": Metrics,
    "Profiles": Profiles,
}
CALLED: Counter[str] = Counter()  # "Class.method" -> calls made by this module
HTML = "text/html; charset=utf-8"
DAY = timedelta(days=1)


def client_methods() -> set[str]:
    """Every public method the six API classes define themselves (30 in 3.1.7)."""
    return {
        f"{name}.{method}"
        for name, cls in CLASSES.items()
        for method, fn in vars(cls).items()
        if inspect.isfunction(fn) and not method.startswith("_")
    }


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def own(
    upstream_recorder: Recorder, tls_material: tuple[TlsFiles, Any], loopback_network: LoopbackNetwork
) -> Iterator[Stack]:
    with isolated_stack(upstream_recorder, tls_material[0], loopback_network, source="e2e-k3") as running:
        yield running


@pytest.fixture
def new_api(own: Stack) -> Iterator[httpx.Client]:
    with own.new_api() as client:
        yield client


@pytest.fixture
def k3(own: Stack) -> Callable[..., Any]:
    """``k3(Lists)``: an API class pointed at the proxy, each of its methods counted."""

    def make(cls: type[KlaviyoAPI], public_token: str | None = None) -> Any:
        api = cls(
            public_token=public_token or own.public_token,
            private_token=own.private_key,
            api_server=own.legacy_api,
        )
        name = next(n for n, c in CLASSES.items() if c is cls)
        for method, fn in vars(cls).items():
            if inspect.isfunction(fn) and not method.startswith("_"):
                setattr(api, method, _counted(f"{name}.{method}", getattr(api, method)))
        return api

    return make


def _counted(qualified: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        CALLED[qualified] += 1
        return fn(*args, **kwargs)

    return call


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Raw ``requests.Response`` objects the client received, in order."""
    seen: list[Any] = []
    original = KlaviyoAPI._handle_response

    def recording(self: Any, response: Any) -> Any:
        seen.append(response)
        return original(self, response)

    monkeypatch.setattr(KlaviyoAPI, "_handle_response", recording)
    return seen


def ok(result: KlaviyoAPIResponse, status: int = 200) -> Any:
    assert isinstance(result, KlaviyoAPIResponse) and result.status_code == status, vars(result)
    return result.data


def assert_json(response: Any) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.headers


def assert_public_one(response: Any) -> None:
    assert response.status_code == 200 and response.text == "1"
    assert response.headers["content-type"].lower().replace(" ", "") == HTML.replace(" ", "")


# =========================================================================== Public (3)


class TestPublic:
    def test_track_get_and_post(
        self,
        own: Stack,
        k3: Callable[..., Any],
        responses: list[Any],
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
        assert_public_one(responses[-1])
        redirected = len(loopback_network.redirected)
        posted = k3(Public).track("Checked Out", email=email, properties={"items": 2}, method="post")
        assert ok(posted) == 1
        assert_public_one(responses[-1])
        assert responses[-1].url == "https://a.klaviyo.com/api/track"
        assert loopback_network.redirected[redirected:], "POST track did not go to a.klaviyo.com"

        profile = wait_for_profile(new_api, email)
        assert profile["attributes"]["first_name"] == "Kit"
        wait_for(lambda: len(newapi.profile_events(new_api, profile["id"])) == 2, "two events")
        events = {e["metric_name"]: e for e in newapi.profile_events(new_api, profile["id"])}
        assert events["Added To Cart"]["event_properties"]["sku"] == "K-1"
        assert events["Added To Cart"]["datetime"].startswith("2020-09-13T12:26:40")
        assert events["Checked Out"]["event_properties"]["items"] == 2

    def test_track_once(
        self, own: Stack, k3: Callable[..., Any], responses: list[Any], new_api: httpx.Client
    ) -> None:
        email = unique_email("k3.once")
        result = k3(Public, public_token=own.server_side_token).track_once(
            "Joined Program", email=email, properties={"tier": "gold"}
        )
        assert ok(result) == 1
        assert_public_one(responses[-1])
        profile = wait_for_profile(new_api, email)
        wait_for(lambda: bool(newapi.profile_events(new_api, profile["id"])), "event")
        [event] = newapi.profile_events(new_api, profile["id"])
        assert event["metric_name"] == "Joined Program"
        assert event["event_properties"]["tier"] == "gold"
        assert "__track_once__" not in event["event_properties"], "the flag is not an event property"

    def test_identify_get_and_post(
        self,
        own: Stack,
        k3: Callable[..., Any],
        responses: list[Any],
        new_api: httpx.Client,
        loopback_network: LoopbackNetwork,
    ) -> None:
        first, second = unique_email("k3.idg"), unique_email("k3.idp")
        got = k3(Public).identify(
            email=first, properties={"$first_name": "Ida", "$zip": "00100", "Pet": "cat"}
        )
        assert ok(got) == 1
        assert_public_one(responses[-1])
        redirected = len(loopback_network.redirected)
        posted = k3(Public, public_token=own.server_side_token).identify(
            email=second, properties={"$organization": "ACME"}, method="post"
        )
        assert ok(posted) == 1
        assert responses[-1].url == "https://a.klaviyo.com/api/identify"
        assert loopback_network.redirected[redirected:]
        attrs = wait_for_profile(new_api, first)["attributes"]
        assert (attrs["first_name"], attrs["location"]["zip"], attrs["properties"]["Pet"]) == (
            "Ida",
            "00100",
            "cat",
        )
        assert wait_for_profile(new_api, second)["attributes"]["organization"] == "ACME"


# =========================================================================== Campaigns (2)


@pytest.fixture(scope="module")
def campaigns(own: Stack) -> dict[str, Any]:
    """Five email campaign drafts created through the pass-through."""
    with own.new_api() as client:
        list_id = newapi.create_list(client, unique("k3 audience"), "single_opt_in")
        template_id = newapi.create_template(client, "k3 promo", "<html><body>Promo</body></html>")
        ids = []
        for n in range(5):
            campaign_id, message_id = newapi.create_campaign(
                client, f"k3 promo {n}", list_id, f"k3 subject {n}", "k3@example.com", "K3 Store"
            )
            newapi.assign_template(client, message_id, template_id)
            ids.append(campaign_id)
    return {"ids": ids, "list": list_id}


class TestCampaigns:
    def test_get_campaigns(
        self, k3: Callable[..., Any], responses: list[Any], campaigns: dict[str, Any]
    ) -> None:
        api = k3(Campaigns)
        pages = []
        for page in range(3):
            envelope = ok(api.get_campaigns(page=page, count=2))
            assert_json(responses[-1])
            assert_offset_page(envelope, page, 2)
            pages.append(envelope)
        assert [(p["start"], p["end"], p["total"], p["page_size"]) for p in pages] == [
            (0, 1, 5, 2),
            (2, 3, 5, 2),
            (4, 4, 5, 1),
        ]
        rows = [c for p in pages for c in p["data"]]
        assert sorted(c["id"] for c in rows) == sorted(campaigns["ids"]), "the pages partition the collection"
        created = [c["created"] for c in rows]  # seconds resolution: drafts made in one second tie
        assert created == sorted(created, reverse=True), "newest first"
        for campaign in rows:
            assert_campaign(campaign)
            assert (campaign["status"], campaign["from_email"]) == ("draft", "k3@example.com")
            assert [a["id"] for a in campaign["lists"]] == [campaigns["list"]]
        default = ok(api.get_campaigns())  # page 0, count 50
        assert (default["total"], default["page_size"], default["end"]) == (5, 5, 4)

    def test_get_campaign_recipients_is_unsupported(
        self, own: Stack, k3: Callable[..., Any], campaigns: dict[str, Any]
    ) -> None:
        mark = own.recorder.mark()
        with pytest.raises(KlaviyoAPIException) as caught:
            k3(Campaigns).get_campaign_recipients(campaigns["ids"][0], count=100)
        assert_unsupported(
            caught.value.status_code, caught.value.message, names="campaign-recipient-estimation"
        )
        assert own.recorder.since(mark) == [], "an unsupported operation makes no upstream call"


# =========================================================================== DataPrivacy (1)


class TestDataPrivacy:
    def test_request_profile_deletion(
        self, k3: Callable[..., Any], responses: list[Any], new_api: httpx.Client
    ) -> None:
        by_email, by_phone, by_id = unique_email("k3.del1"), unique_phone(), unique_email("k3.del3")
        email_id = newapi.create_profile(new_api, email=by_email)
        phone_id = newapi.create_profile(new_api, phone_number=by_phone)
        person_id = newapi.create_profile(new_api, email=by_id)
        privacy = k3(DataPrivacy)
        for identifier, id_type in (
            (by_email, "email"),
            (by_phone, "phone_number"),
            (person_id, "person_id"),
        ):
            answer = ok(privacy.request_profile_deletion(identifier, id_type=id_type), 202)
            assert answer == {"results": "Submitted new deletion task for customer."}
            assert_json(responses[-1])
        gone = [f"/api/profiles/{profile_id}" for profile_id in (email_id, phone_id, person_id)]
        wait_for(lambda: all(newapi.status_of(new_api, path) == 404 for path in gone), "deletions")
        with pytest.raises(KlaviyoAPIException) as caught:
            privacy.request_profile_deletion(by_email)
        assert (
            caught.value.status_code == 404 and "No Customer corresponding" in caught.value.message["detail"]
        )


# =========================================================================== Lists (14)


def seed_segment(store: Any, size: int) -> tuple[str, list[tuple[str, str]]]:
    """A segment of ``size`` profiles (the new API cannot create segments; only the store can)."""
    members = seed_profiles(store, size, "seg")
    return store.add_segment(unique("k3 segment"), [pid for pid, _ in members]), members


class TestLists:
    def test_create_get_rename_delete(
        self, k3: Callable[..., Any], responses: list[Any], new_api: httpx.Client
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
        assert responses[-1].text == ""
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


# =========================================================================== Metrics (4)


@pytest.fixture(scope="module")
def activity(own: Stack) -> dict[str, Any]:
    """One profile: "Paid" events at now -3/-2/-1 days ($value 5/7/11) and a "Browsed" event (-1 h)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    email = unique_email("k3.buyer")
    paid, browsed = unique("Paid"), unique("Browsed")
    with own.new_api() as client:
        for days, value in ((3, 5.0), (2, 7.0), (1, 11.0)):
            newapi.create_event(
                client, paid, email, (now - days * DAY).isoformat(), {"Order": f"O{days}"}, value
            )
        newapi.create_event(client, browsed, email, (now - timedelta(hours=1)).isoformat(), {"Page": "/k3"})
        profile_id = wait_for_profile(client, email)["id"]
        ids = newapi.profile_metric_ids(client, profile_id)
    return {"now": now, "email": email, "profile_id": profile_id, "paid": paid, "browsed": browsed,
            "paid_id": ids[paid], "browsed_id": ids[browsed]}  # fmt: skip


def follow(fetch: Callable[..., KlaviyoAPIResponse], limit: int = 20, **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for _ in range(limit):
        envelope = ok(fetch(**params))
        events.extend(assert_timeline(envelope))
        if envelope["next"] is None:
            return events
        params = {**params, "since": envelope["next"]}
    raise AssertionError("timeline did not end")


class TestMetrics:
    def test_get_metrics(
        self, k3: Callable[..., Any], responses: list[Any], activity: dict[str, Any]
    ) -> None:
        envelope = ok(k3(Metrics).get_metrics())
        assert_json(responses[-1])
        assert_offset_page(envelope, 0, 50)
        for metric in envelope["data"]:
            assert_metric(metric)
        names = {m["id"]: m["name"] for m in envelope["data"]}
        assert (
            names[activity["paid_id"]] == activity["paid"]
            and names[activity["browsed_id"]] == activity["browsed"]
        )

    def test_get_metrics_timeline(self, k3: Callable[..., Any], activity: dict[str, Any]) -> None:
        metrics = k3(Metrics)
        events = follow(metrics.get_metrics_timeline, count=2)
        mine = [e for e in events if e["person"]["id"] == activity["profile_id"]]
        assert [e["event_name"] for e in mine] == [activity["browsed"]] + [activity["paid"]] * 3
        assert mine[0]["person"]["$email"] == activity["email"]
        since = int((activity["now"] - 2 * DAY - timedelta(minutes=5)).timestamp())
        ascending = follow(metrics.get_metrics_timeline, since=since, sort="asc")
        mine = [e for e in ascending if e["person"]["id"] == activity["profile_id"]]
        assert [e["event_properties"].get("Order") for e in mine] == ["O2", "O1", None]

    def test_get_metric_timeline_by_id(self, k3: Callable[..., Any], activity: dict[str, Any]) -> None:
        events = follow(
            lambda **kw: k3(Metrics).get_metric_timeline_by_id(activity["paid_id"], **kw), count=2
        )
        assert [e["event_properties"]["Order"] for e in events] == ["O1", "O2", "O3"]
        assert {e["statistic_id"] for e in events} == {activity["paid_id"]}
        with pytest.raises(KlaviyoAPIException) as caught:
            k3(Metrics).get_metric_timeline_by_id("ZZZZZZ")
        assert caught.value.status_code == 404

    def test_get_metric_export(self, k3: Callable[..., Any], activity: dict[str, Any]) -> None:
        metrics = k3(Metrics)
        start = int((activity["now"] - 3 * DAY).replace(hour=0, minute=0).timestamp())
        end = int(activity["now"].timestamp())
        export = ok(
            metrics.get_metric_export(
                activity["paid_id"], start_date=start, end_date=end, unit="day", measurement="value"
            )
        )
        assert set(export) == EXPORT_KEYS
        assert_metric(export["metric"])
        assert (export["metric"]["id"], export["unit"], export["measurement"]) == (
            activity["paid_id"],
            "day",
            "value",
        )
        [everyone] = export["results"]
        assert everyone["segment"] == "Everyone"
        assert [p["values"] for p in everyone["data"]] == [[5.0], [7.0], [11.0], [0.0]]
        assert all(V1_DATETIME.match(p["date"]) for p in everyone["data"])

        unique_count = ok(metrics.get_metric_export(activity["paid_id"], measurement="unique", unit="month"))
        assert unique_count["measurement"] == "unique"
        assert sum(p["values"][0] for p in unique_count["results"][0]["data"]) >= 1.0

        with pytest.raises(KlaviyoAPIException) as caught:
            metrics.get_metric_export(activity["paid_id"], measurement='["sum","Order"]')
        assert caught.value.status_code == 400 and "not supported" in caught.value.message["message"]


# =========================================================================== Profiles (6)


class TestProfiles:
    def test_get_update_unset_profile(
        self, k3: Callable[..., Any], responses: list[Any], new_api: httpx.Client
    ) -> None:
        """get_profile, update_profile, unset_profile_properties."""
        email = unique_email("k3.person")
        person_id = newapi.create_profile(
            new_api, email=email, first_name="Lin", properties={"Plan": "Basic"}
        )
        profiles = k3(Profiles)
        person = ok(profiles.get_profile(person_id))
        assert_json(responses[-1])
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


# =========================================================================== the Klaviyo class


def test_klaviyo_convenience_class_reaches_the_proxy_through_the_hardcoded_host(
    own: Stack, new_api: httpx.Client, loopback_network: LoopbackNetwork
) -> None:
    """``Klaviyo(...)`` cannot take an api_server: resolving a.klaviyo.com to the proxy is enough."""
    client = Klaviyo(public_token=own.public_token, private_token=own.private_key)
    name = unique("via a.klaviyo.com")
    redirected, mark = len(loopback_network.redirected), own.recorder.mark()
    created = client.Lists.create_list(name)
    assert created.status_code == 200
    assert {"list_id": created.data["list_id"], "list_name": name} in client.Lists.get_lists().data
    assert loopback_network.redirected[redirected:]
    assert {r.source for r in own.recorder.since(mark)} == {"e2e-k3-tls"}


# =========================================================================== completeness


def test_every_client_method_was_called(request: pytest.FixtureRequest) -> None:
    """Every public method of the six API classes was exercised above (when the whole module ran)."""
    module = sys.modules[__name__]
    defined = [
        f"{cls_name}::{name}"
        for cls_name, cls in inspect.getmembers(module, inspect.isclass)
        if cls_name.startswith("Test")
        for name, _ in inspect.getmembers(cls, inspect.isfunction)
        if name.startswith("test_")
    ]
    selected = {item.nodeid.split("::", 1)[1] for item in request.session.items if item.module is module}
    if not set(defined) <= selected:
        pytest.skip("only part of the module was selected")
    methods = client_methods()
    assert len(methods) == 30, sorted(methods)
    assert sorted(methods - set(CALLED)) == []
