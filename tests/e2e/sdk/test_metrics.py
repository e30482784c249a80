"""``Metrics``: the metric list, the timelines (all metrics and one) and the export (4 operations)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.sdk.support import DAY, walk_timeline
from tests.e2e.shapes import (
    EXPORT_KEYS,
    V1_DATETIME,
    assert_metric,
    assert_offset_page,
)


class TestMetrics:
    def test_get_metrics(self, sdk: Any, activity: dict[str, Any]) -> None:
        envelope = dict(sdk.Metrics.get_metrics(page=0, count=100))
        assert_offset_page(envelope, 0, 100)
        for metric in envelope["data"]:
            assert_metric(metric)
        by_id = {m["id"]: m for m in envelope["data"]}
        assert by_id[activity["placed_id"]]["name"] == activity["placed"]
        assert by_id[activity["viewed_id"]]["name"] == activity["viewed"]

    def test_metrics_timeline(self, sdk: Any, activity: dict[str, Any]) -> None:
        events = walk_timeline(sdk.Metrics.metrics_timeline, count=2, sort="desc")
        mine = [e for e in events if e["person"]["id"] == activity["profile_id"]]
        assert [e["event_name"] for e in mine] == [activity["viewed"]] + [activity["placed"]] * 3
        assert [e["event_properties"].get("Item") for e in mine[1:]] == ["I1", "I2", "I3"]
        stamps = [e["timestamp"] for e in events]
        assert stamps == sorted(stamps, reverse=True)
        assert mine[0]["person"]["$email"] == activity["email"]
        assert mine[1]["statistic_id"] == activity["placed_id"]

        since = int((activity["today"] - 2 * DAY - timedelta(hours=1)).timestamp())
        ascending = walk_timeline(sdk.Metrics.metrics_timeline, since=str(since), count=100, sort="asc")
        mine = [e for e in ascending if e["person"]["id"] == activity["profile_id"]]
        assert [e["event_properties"].get("Item") for e in mine] == ["I2", "I1", None]
        assert all(e["timestamp"] >= since for e in ascending)

    def test_metric_timeline(self, sdk: Any, activity: dict[str, Any]) -> None:
        events = walk_timeline(
            lambda **kw: sdk.Metrics.metric_timeline(activity["placed_id"], **kw), count=1, sort="desc"
        )
        assert [e["event_properties"]["Item"] for e in events] == ["I1", "I2", "I3"]
        assert {e["statistic_id"] for e in events} == {activity["placed_id"]}
        assert {e["event_name"] for e in events} == {activity["placed"]}
        assert [e["event_properties"]["$value"] for e in events] == [30.0, 20.0, 10.0]

    def test_metric_export(self, sdk: Any, activity: dict[str, Any]) -> None:
        start = (activity["today"] - 4 * DAY).date().isoformat()
        end = activity["today"].date().isoformat()
        counts = dict(
            sdk.Metrics.metric_export(
                activity["placed_id"], start_date=start, end_date=end, unit="day", measurement="count"
            )
        )
        assert set(counts) == EXPORT_KEYS
        assert (
            counts["metric"]["id"] == activity["placed_id"] and counts["metric"]["name"] == activity["placed"]
        )
        assert_metric(counts["metric"])
        assert (counts["unit"], counts["measurement"], counts["by"], counts["where"]) == (
            "day",
            "count",
            None,
            None,
        )
        assert counts["start_date"].startswith(start) and V1_DATETIME.match(counts["start_date"])
        [everyone] = counts["results"]
        assert everyone["segment"] == "Everyone"
        series = {point["date"][:10]: point["values"] for point in everyone["data"]}

        def day(n: int) -> str:
            return str((activity["today"] - n * DAY).date().isoformat())

        assert series[day(3)] == [1.0] and series[day(2)] == [1.0] and series[day(1)] == [1.0]
        assert series[day(4)] == [0.0]

        values = dict(
            sdk.Metrics.metric_export(
                activity["placed_id"], start_date=start, end_date=end, unit="week", measurement="value"
            )
        )
        assert values["measurement"] == "value" and values["unit"] == "week"
        assert sum(p["values"][0] for p in values["results"][0]["data"]) == pytest.approx(60.0)
