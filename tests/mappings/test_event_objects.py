"""Unit tests: new metric / event resources -> legacy v1 metric and timeline event objects."""

from __future__ import annotations

from mappings.translate.event_objects import event_properties, legacy_event, legacy_events, legacy_metric
from tests.mappings.golden import timelines as golden


def test_legacy_metric_copies_integration_members() -> None:
    resource = {
        "type": "metric",
        "id": "TmTAms",
        "attributes": {
            "name": "Active on Site",
            "created": "2021-10-15T11:30:59+00:00",
            "updated": "2021-10-15T13:30:59+02:00",
            "integration": {
                "object": "integration",
                "id": "7FtS4J",
                "key": "api",
                "name": "API",
                "category": "API",
            },
        },
    }
    assert legacy_metric(resource) == {
        "object": "metric",
        "id": "TmTAms",
        "name": "Active on Site",
        "integration": {"object": "integration", "id": "7FtS4J", "name": "API", "category": "API"},
        "created": "2021-10-15 11:30:59",
        "updated": "2021-10-15 11:30:59",
    }
    assert legacy_metric({"id": "X", "attributes": {"name": "n", "integration": None}})["integration"] is None


def test_event_properties_keep_existing_specials() -> None:
    attrs = {"event_properties": {"$value": 1}, "value": 2, "unique_id": "u", "value_currency": None}
    assert event_properties(attrs) == {"$value": 1, "$event_id": "u"}
    assert event_properties({"event_properties": None}) == {}


def test_legacy_event_derives_datetime_from_timestamp() -> None:
    resource = {"id": "E", "attributes": {"timestamp": 1604078804, "datetime": None}, "relationships": {}}
    out = legacy_event(resource, {}, {})
    assert (out["timestamp"], out["datetime"], out["person"], out["statistic_id"], out["event_name"]) == (
        1604078804,
        "2020-10-30 17:26:44+00:00",
        None,
        None,
        None,
    )


def test_legacy_events_skip_non_objects_and_index_included() -> None:
    events = legacy_events([golden.ORDER, "junk"], [golden.metric(), golden.profile(), {"type": "x"}])
    assert events == [golden.LEGACY_ORDER]
