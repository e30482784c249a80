"""v2 ``marker`` pages: parsing, the resume / save sub-plans, and a full round trip (F12, F13).

The golden tables cannot predict a minted marker (the token store draws it at random), so
the page-to-page walk runs here through the real app, with one scripted upstream.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mappings.core import Collected, CollectPages, LegacyReply, LegacyRequest, LoadToken, SaveToken
from mappings.translate.marker_pages import BadMarker, Position, page_body, parse_marker, read_page, resume
from proxy import Overrides, Settings, create_app
from tests.mappings.golden._audiences import KEY, LIST_ID, NOT_FOUND, collection, exchange, profile
from tests.mappings.test_golden import UPSTREAM, FakeUpstream


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("", None), ("103623538132", 103623538132), (" 42 ", 42), (7, 7), (8.0, 8)],
)
def test_parse_marker(raw: Any, expected: int | None) -> None:
    assert parse_marker(raw) == expected


@pytest.mark.parametrize("raw", ["abc", True, 1.5, [1], {"a": 1}])
def test_parse_marker_rejects(raw: Any) -> None:
    with pytest.raises(BadMarker):
        parse_marker(raw)


def _req(**params: Any) -> LegacyRequest:
    return LegacyRequest(method="GET", path="/x", params={k: [v] for k, v in params.items()})


def _finish(gen: Any, *answers: Any) -> tuple[list[Any], Any]:
    """Drive a sub-plan with scripted answers; returns (steps yielded, return value)."""
    steps = [next(gen)] if answers else []
    try:
        if not answers:
            next(gen)
            raise AssertionError("sub-plan yielded without a scripted answer")
        for answer in answers:
            steps.append(gen.send(answer))
    except StopIteration as stop:
        return steps, stop.value
    raise AssertionError("sub-plan did not finish")


def test_resume_first_page_needs_no_step() -> None:
    gen = resume(_req(), "F13:abc", "get_profiles_for_list")
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == Position("get_profiles_for_list", None)


def test_resume_loads_the_saved_position() -> None:
    saved = {"scope": "F13:abc", "op": "get_profiles_for_segment", "cursor": "c10"}
    steps, result = _finish(resume(_req(marker="123"), "F13:abc", "get_profiles_for_list"), saved)
    assert steps == [LoadToken(123)]
    assert result == Position("get_profiles_for_segment", "c10")


@pytest.mark.parametrize(
    "saved",
    [
        None,
        {"scope": "F12:abc", "op": "get_profiles", "cursor": "c"},
        {"scope": "F13:abc", "cursor": 5},
        "c10",
    ],
)
def test_resume_refuses_unknown_or_foreign_markers(saved: Any) -> None:
    _, result = _finish(resume(_req(marker=123), "F13:abc", "get_profiles_for_list"), saved)
    assert isinstance(result, LegacyReply) and result.status == 400
    assert result.body == {
        "detail": "The marker 123 is unknown or has expired. Start again from the first page (no marker)."
    }


def test_read_page_reads_ten_upstream_pages() -> None:
    step = read_page(Position("get_profiles", "c3"), {}, {"page[size]": "100"})
    assert step == CollectPages("get_profiles", query={"page[size]": "100"}, cursor="c3", max_pages=10)


def test_page_body_saves_the_cursor_only_when_rows_remain() -> None:
    more = Collected(data=[], pages=10, next_cursor="c10")
    steps, body = _finish(page_body([{"id": "1"}], more, "F12:L", "get_profiles"), 103623538132)
    assert steps == [SaveToken({"scope": "F12:L", "op": "get_profiles", "cursor": "c10"}, numeric=True)]
    assert body == {"records": [{"id": "1"}], "marker": 103623538132}
    last = page_body([], Collected(data=[], pages=1), "F12:L", "get_profiles")
    with pytest.raises(StopIteration) as stop:
        next(last)
    assert stop.value.value == {"records": []}


# --------------------------------------------------------------------------- round trip via the app

GROUP_QUERY = {"fields[profile]": "email,phone_number", "page[size]": "100"}


def _segment_page(n: int, last: bool = False) -> dict[str, Any]:
    path = f"/api/segments/{LIST_ID}/profiles"
    query = dict(GROUP_QUERY) if n == 1 else {**GROUP_QUERY, "page[cursor]": f"c{n}"}
    data = [profile(f"01P{n:02d}", f"p{n}@example.com")]
    return exchange("GET", path, query=query, reply=collection(data, path, None if last else f"c{n + 1}"))


def test_marker_round_trip_resumes_a_segment_walk() -> None:
    script = [
        exchange("GET", f"/api/lists/{LIST_ID}/profiles", query=GROUP_QUERY, status=404, reply=NOT_FOUND),
        *(_segment_page(n) for n in range(1, 11)),  # legacy page 1: 10 upstream pages
        _segment_page(11, last=True),  # legacy page 2 resumes on the segment, not the list
    ]
    fake = FakeUpstream(script)
    app = create_app(
        Settings(upstream=UPSTREAM, access_log=False),
        overrides=Overrides(transport=httpx.MockTransport(fake)),
    )
    path = f"/api/v2/group/{LIST_ID}/members/all"
    with TestClient(app, base_url="http://proxy.test") as client:
        first = client.get(path, params={"api_key": KEY})
        marker = first.json().get("marker")
        second = client.get(path, params={"api_key": KEY, "marker": str(marker)})
        # The same marker on another operation or group is refused.
        foreign = client.get(
            f"/api/v2/list/{LIST_ID}/exclusions/all", params={"api_key": KEY, "marker": marker}
        )
    assert not fake.problems, fake.problems
    assert fake.position == len(script)
    assert first.status_code == 200
    assert [r["id"] for r in first.json()["records"]] == [f"01P{n:02d}" for n in range(1, 11)]
    assert isinstance(marker, int) and 0 < marker < 2**31
    assert second.status_code == 200 and second.json() == {
        "records": [{"id": "01P11", "email": "p11@example.com"}]
    }
    assert foreign.status_code == 400
