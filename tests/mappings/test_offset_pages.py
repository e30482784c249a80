"""Unit tests: legacy v1 page/count parsing and the style-1 ``$list`` envelope."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.core import LegacyRequest
from mappings.translate.offset_pages import BadPaging, OffsetPage, parse_offset_page


def _req(**params: Any) -> LegacyRequest:
    return LegacyRequest(method="GET", path="/api/v1/campaigns", params={k: [v] for k, v in params.items()})


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (0, 50)),
        ({"page": "3", "count": "25"}, (3, 25)),
        ({"page": 2, "count": 100}, (2, 100)),  # JSON numbers (Ruby body)
        ({"page": " 1 ", "count": "1"}, (1, 1)),
        ({"page": "", "count": None}, (0, 50)),  # empty / null take the default
        ({"page": 1.0}, (1, 50)),
    ],
)
def test_valid_paging(params: dict[str, Any], expected: tuple[int, int]) -> None:
    page = parse_offset_page(_req(**params))
    assert (page.page, page.count) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-1"},
        {"page": "x"},
        {"page": True},
        {"page": 1.5},
        {"page": [1]},
        {"count": "0"},
        {"count": "101"},
        {"count": "ten"},
        {"count": False},
    ],
)
def test_invalid_paging(params: dict[str, Any]) -> None:
    with pytest.raises(BadPaging):
        parse_offset_page(_req(**params))


def test_custom_default_and_maximum() -> None:
    assert parse_offset_page(_req(), default_count=500, max_count=5000).count == 500
    with pytest.raises(BadPaging, match="between 1 and 5000"):
        parse_offset_page(_req(count="5001"), max_count=5000)


def _env(page: int, count: int, total: int) -> dict[str, Any]:
    paging = OffsetPage(page, count)
    items = list(range(total))
    env = paging.envelope(total, paging.slice(items))
    return {k: v for k, v in env.items() if k != "data"} | {"n": len(env["data"])}


def test_envelope_matches_recorded_last_page() -> None:
    # Recorded: 155 campaigns, page 3 of 50 -> start 150, end 154, page_size 5.
    assert _env(3, 50, 155) == {
        "object": "$list", "page": 3, "start": 150, "end": 154, "total": 155, "page_size": 5, "n": 5,
    }  # fmt: skip


def test_envelope_full_first_page() -> None:
    assert _env(0, 50, 122) == {
        "object": "$list", "page": 0, "start": 0, "end": 49, "total": 122, "page_size": 50, "n": 50,
    }  # fmt: skip


def test_envelope_empty_collection_is_all_zero() -> None:
    for page in (0, 4):
        env = _env(page, 50, 0)
        assert (env["start"], env["end"], env["total"], env["page_size"]) == (0, 0, 0, 0)
        assert env["page"] == page


def test_envelope_past_the_end_stops_client_loops() -> None:
    env = _env(7, 50, 155)
    assert (env["start"], env["end"], env["page_size"]) == (350, 350, 0)
    assert not env["end"] < env["total"] - 1  # tap-klaviyo: while end < total - 1: page += 1


def test_envelope_key_order() -> None:
    env = OffsetPage(0, 1).envelope(1, ["x"])
    assert list(env) == ["object", "data", "page", "start", "end", "total", "page_size"]
