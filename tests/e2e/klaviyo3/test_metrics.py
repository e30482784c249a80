"""``Metrics``: the metric list, the timelines and the export (4 methods)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from klaviyo.exceptions import KlaviyoAPIException
from klaviyo.metrics import Metrics

from tests.e2e.klaviyo3.support import DAY, assert_json, follow, ok
from tests.e2e.shapes import (
    EXPORT_KEYS,
    V1_DATETIME,
    assert_metric,
    assert_offset_page,
)


class TestMetrics:
    def test_get_metrics(
        self, k3: Callable[..., Any], k3_responses: list[Any], activity: dict[str, Any]
    ) -> None:
        envelope = ok(k3(Metrics).get_metrics())
        assert_json(k3_responses[-1])
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
