"""Unit tests: timeline parameters, events queries, legacy events; the `next` token round trip."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mappings.core import CollectPages, LegacyRequest, LoadToken
from mappings.operations.metrics import metric_timeline
from mappings.translate.timelines import (
    BadTimeline,
    Scope,
    TimelineParams,
    events_query,
    parse_timeline,
)
from proxy import Overrides, Settings, create_app
from tests.mappings.golden import timelines as golden
from tests.mappings.test_golden import UPSTREAM, FakeUpstream


def _req(**params: Any) -> LegacyRequest:
    return LegacyRequest(method="GET", path="/x", params={k: [v] for k, v in params.items()})


# --------------------------------------------------------------------------- parameters


def test_defaults_are_newest_first_50() -> None:
    assert parse_timeline(_req()) == TimelineParams(count=50, descending=True)


def test_sort_asc_is_ignored_without_since() -> None:
    assert parse_timeline(_req(sort="asc")).descending


@pytest.mark.parametrize("since", ["1604078804", 1604078804, 1604078804.0])
def test_timestamp_since(since: Any) -> None:
    params = parse_timeline(_req(since=since, sort="ASC", count="100"))
    assert params == TimelineParams(count=100, descending=False, since=1604078804)


def test_token_since() -> None:
    assert parse_timeline(_req(since="kxp1.abc")).token == "kxp1.abc"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"count": "0"}, "between 1 and 100"),
        ({"count": "101"}, "between 1 and 100"),
        ({"count": "ten"}, "between 1 and 100"),
        ({"count": True}, "between 1 and 100"),
        ({"sort": "up"}, "asc or desc"),
        ({"since": "8A0B9C00-1AD1-11EB-8001-8D1A9A2E7C3F"}, "retired Klaviyo API"),
        ({"since": "9" * 20}, "not a usable UNIX timestamp"),
    ],
)
def test_bad_parameters(params: dict[str, Any], message: str) -> None:
    with pytest.raises(BadTimeline, match=message):
        parse_timeline(_req(**params))


def test_events_query_filters_and_sort() -> None:
    scope = Scope(metric_id='M"1', profile_id="P1")
    desc = events_query(scope, TimelineParams(10, True, since=0))
    assert desc == {
        "sort": "-datetime",
        "include": "metric,profile",
        "filter": (
            'equals(metric_id,"M\\"1"),equals(profile_id,"P1"),less-than(datetime,1970-01-01T00:00:00+00:00)'
        ),
    }
    assert events_query(Scope(), TimelineParams(10, True)) == {
        "sort": "-datetime",
        "include": "metric,profile",
    }
    asc = events_query(Scope(), TimelineParams(10, False, since=1604078804))
    assert asc["filter"] == "greater-or-equal(datetime,2020-10-30T17:26:44+00:00)"
    assert asc["sort"] == "datetime"


def test_resumed_plan_repeats_the_saved_query_with_the_new_count() -> None:
    req = LegacyRequest(
        method="GET",
        path="/x",
        path_params={"metric_id": "M1"},
        params={"since": ["kxp1.t"], "count": ["7"], "sort": ["asc"]},
    )
    plan = metric_timeline.plan(req)
    assert plan.send(None) == LoadToken("kxp1.t")
    saved = {"timeline": "metric=M1;profile=*", "query": {"sort": "-datetime", "filter": "f"}, "cursor": "C"}
    step = plan.send(saved)
    assert step == CollectPages(
        "get_events", query={"sort": "-datetime", "filter": "f", "page[size]": "7"}, cursor="C", max_pages=1
    )


@pytest.mark.parametrize(
    ("saved", "message"),
    [
        (None, "unknown or has expired"),
        ({"timeline": "metric=M2;profile=*", "query": {}, "cursor": "C"}, "belongs to another timeline"),
        ({"timeline": "metric=M1;profile=*", "cursor": "C"}, "unknown or has expired"),
    ],
)
def test_unusable_token_is_a_400(saved: Any, message: str) -> None:
    req = LegacyRequest(
        method="GET", path="/x", path_params={"metric_id": "M1"}, params={"since": ["kxp1.t"]}
    )
    plan = metric_timeline.plan(req)
    plan.send(None)
    with pytest.raises(StopIteration) as stop:
        plan.send(saved)
    assert stop.value.value.status == 400
    assert message in stop.value.value.body["message"]


# --------------------------------------------------------------------------- next token round trip


def _first_then_resume(second_path: str, second_upstream: list[dict[str, Any]]) -> tuple[Any, httpx.Response]:
    first = golden.events_call(golden.q(golden.BY_METRIC, size="2"), [golden.ORDER], next_link=golden.NEXT)
    fake = FakeUpstream([first, *second_upstream])
    app = create_app(
        Settings(upstream=UPSTREAM, access_log=False),
        overrides=Overrides(transport=httpx.MockTransport(fake)),
    )
    with TestClient(app, base_url="http://proxy.test") as client:
        one = client.get(golden.METRIC_PATH, params={"api_key": golden.KEY, "count": "2"})
        token = one.json()["next"]
        two = client.get(second_path, params={"api_key": golden.KEY, "since": token, "count": "3"})
    assert not fake.problems, fake.problems
    assert fake.position == len(fake.script)
    return token, two


def test_next_token_resumes_the_same_query_from_the_cursor() -> None:
    resumed = {**golden.q(golden.BY_METRIC, size="3"), "page[cursor]": golden.NEXT_CURSOR}
    token, two = _first_then_resume(golden.METRIC_PATH, [golden.events_call(resumed, [golden.ORDER])])
    assert token == golden.TOKEN
    assert two.status_code == 200
    assert two.json() == {"object": "$list", "count": 1, "data": [golden.LEGACY_ORDER], "next": None}


def test_next_token_of_another_timeline_is_refused() -> None:
    _, two = _first_then_resume(golden.PERSON_PATH, [])
    assert two.status_code == 400
    assert "belongs to another timeline" in two.json()["message"]
