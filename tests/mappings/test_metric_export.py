"""Unit tests: D4 parameters -> ExportQuery, the aggregate body, and aggregate rows -> legacy results."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mappings.core import LegacyRequest
from mappings.translate.export_params import SUM_UNSUPPORTED, BadExport, ExportQuery, parse_export
from mappings.translate.metric_export import aggregate_body, export_results

TODAY = date(2021, 2, 10)


def _req(*pairs: tuple[str, Any]) -> LegacyRequest:
    params: dict[str, list[Any]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return LegacyRequest(method="GET", path="/x", params=params)


def test_defaults() -> None:
    assert parse_export(_req(), TODAY) == ExportQuery(
        date(2021, 1, 11), TODAY, "day", "count", None, None, 25
    )


@pytest.mark.parametrize(
    ("pairs", "start", "end"),
    [
        ((("start_date", "2021-01-13"),), date(2021, 1, 13), date(2021, 2, 10)),  # capped by today
        ((("start_date", "2020-12-01"),), date(2020, 12, 1), date(2020, 12, 31)),  # 30 days on
        ((("start_date", "2021-03-01"),), date(2021, 3, 1), date(2021, 3, 1)),  # future start
        ((("end_date", "2021-01-31"),), date(2021, 1, 1), date(2021, 1, 31)),
        ((("start_date", 1610524800), ("end_date", "1612051199")), date(2021, 1, 13), date(2021, 1, 30)),
        ((("start_date", "2021-01-01"), ("end_date", "2021-02-01")), date(2021, 1, 1), date(2021, 2, 1)),
    ],
)
def test_window(pairs: tuple[tuple[str, Any], ...], start: date, end: date) -> None:
    query = parse_export(_req(*pairs), TODAY)
    assert (query.start, query.end) == (start, end)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ((("start_date", "2021-01-10"), ("end_date", "2021-01-09")), "must not be before"),
        ((("start_date", "2021-01-01"), ("end_date", "2021-02-02")), "at most 31 days"),
        ((("start_date", "yesterday"),), "Invalid start_date"),
        ((("end_date", "99999999999999"),), "Invalid end_date"),
        ((("unit", "hour"),), "Invalid unit"),
        ((("measurement", "median"),), "Invalid measurement"),
        ((("measurement", "sum"),), "not supported by the new Klaviyo API"),
        ((("measurement", ["sum", "Items"]),), "not supported by the new Klaviyo API"),
        ((("measurement", "[not json"),), "not valid JSON"),
        ((("where", '[["$flow","!=","F"]]'),), "only = is supported"),
        ((("where", '[["$flow","=","F"],["$message","=","M"]]'),), "one condition"),
        ((("where", '[["Item","=","F"]]'),), "where on 'Item'"),
        ((("where", '[["$flow","=",null]]'),), "Invalid where value"),
        ((("by", "Item"),), "by on 'Item'"),
        ((("count", "0"),), "between 1 and 1000"),
        ((("count", "1001"),), "between 1 and 1000"),
    ],
)
def test_rejected(pairs: tuple[tuple[str, Any], ...], message: str) -> None:
    with pytest.raises(BadExport, match=message):
        parse_export(_req(*pairs), TODAY)


def test_sum_message_names_the_limitation_and_the_successor() -> None:
    assert "sum the event value" in SUM_UNSUPPORTED and "get_events" in SUM_UNSUPPORTED


@pytest.mark.parametrize(
    ("raw", "legacy", "new"),
    [("value", "value", "sum_value"), ('["unique"]', "unique", "unique"), ("COUNT", "count", "count")],
)
def test_measurements(raw: str, legacy: str, new: str) -> None:
    query = parse_export(_req(("measurement", raw)), TODAY)
    assert (query.measurement, query.aggregate) == (legacy, new)


def test_where_from_ruby_json_list_and_number_value() -> None:
    query = parse_export(_req(("where", [["$usage_amount", "=", 5]])), TODAY)
    assert query.where == [["$usage_amount", "=", 5]]
    body = aggregate_body("M", query)
    assert body["data"]["attributes"]["filter"][-1] == "equals($usage_amount,5)"
    assert "by" not in body["data"]["attributes"]


def test_body_with_by() -> None:
    query = ExportQuery(date(2021, 1, 13), date(2021, 1, 14), "month", "value", None, "$flow", 10)
    assert aggregate_body("M", query) == {
        "data": {
            "type": "metric-aggregate",
            "attributes": {
                "metric_id": "M",
                "measurements": ["sum_value"],
                "interval": "month",
                "filter": [
                    "greater-or-equal(datetime,2021-01-13T00:00:00)",
                    "less-than(datetime,2021-01-15T00:00:00)",
                ],
                "timezone": "UTC",
                "by": ["$flow"],
                "page_size": 10,
                "sort": "-sum_value",
            },
        }
    }


def _answer(rows: list[Any], dates: list[str] | None = None) -> dict[str, Any]:
    dates = ["2021-01-13T00:00:00+00:00", "2021-01-14T00:00:00+00:00"] if dates is None else dates
    return {"data": {"attributes": {"dates": dates, "data": rows}}}


def test_results_by_segment_sorted_by_total_and_cut_to_count() -> None:
    query = ExportQuery(date(2021, 1, 13), date(2021, 1, 14), "day", "count", None, "$flow", 2)
    rows = [
        {"dimensions": ["a"], "measurements": {"count": [1, 0]}},
        {"dimensions": ["b"], "measurements": {"count": [2, None]}},
        {"dimensions": ["c"], "measurements": {"count": [0, 2]}},
    ]
    out = export_results(_answer(rows), query)
    assert [r["segment"] for r in out] == ["b", "c"]
    assert out[0]["data"] == [
        {"date": "2021-01-13 00:00:00", "values": [2.0]},
        {"date": "2021-01-14 00:00:00", "values": [0.0]},
    ]


def test_results_without_by_short_values_and_odd_answers() -> None:
    query = ExportQuery(date(2021, 1, 13), date(2021, 1, 14), "day", "unique")
    out = export_results(_answer([{"dimensions": [], "measurements": {"unique": [4]}}]), query)
    assert out == [
        {
            "segment": "Everyone",
            "data": [
                {"date": "2021-01-13 00:00:00", "values": [4.0]},
                {"date": "2021-01-14 00:00:00", "values": [0.0]},
            ],
        }
    ]
    assert export_results(None, query) == [{"segment": "Everyone", "data": []}]
    by = ExportQuery(date(2021, 1, 13), date(2021, 1, 14), "day", "count", None, "$flow")
    assert export_results(_answer([]), by) == []
