"""Profiles, events and metrics answers validate against the pinned spec."""

from __future__ import annotations

from typing import Any

from tests.proxy.sandbox.conformance.conftest import Recorded, new_list, new_profile

IN_RANGE = ["greater-or-equal(datetime,2023-12-31T00:00:00)", "less-than(datetime,2024-01-02T00:00:00)"]


async def test_profiles(recorded: Recorded) -> None:
    r = recorded
    attributes = {
        "first_name": "Spec",
        "location": {"city": "X", "latitude": 1.5},
        "properties": {"a": 1},
    }
    pid = await new_profile(r, "spec@example.com", **attributes)
    imported: dict[str, Any] = {"data": {"type": "profile", "attributes": {"email": "spec2@example.com"}}}
    await r.ok("POST", "/api/profile-import", 201, json=imported)  # a new profile
    imported["data"]["attributes"]["last_name"] = "L"
    await r.ok("POST", "/api/profile-import", json=imported)  # an existing one
    change = {
        "data": {
            "type": "profile",
            "id": pid,
            "attributes": {"title": "Dr"},
            "meta": {"patch_properties": {"unset": ["a"]}},
        }
    }
    await r.ok("PATCH", f"/api/profiles/{pid}", json=change)
    extra = "subscriptions,predictive_analytics"
    await r.ok("GET", f"/api/profiles/{pid}", params={"additional-fields[profile]": extra})
    search = {
        "filter": 'equals(email,"spec@example.com")',
        "page[size]": "1",
        "sort": "-created",
        "additional-fields[profile]": "subscriptions",
    }
    await r.ok("GET", "/api/profiles", params=search)
    await r.ok("GET", "/api/profiles", params={"page[size]": "1"})
    segment = r.store.add_segment("Spec segment", [pid])
    list_id = await new_list(r, "Spec list")
    member = {"data": [{"type": "profile", "id": pid}]}
    await r.ok("POST", f"/api/lists/{list_id}/relationships/profiles", 204, json=member)
    for related in ("lists", "relationships/lists", "segments", "relationships/segments"):
        await r.ok("GET", f"/api/profiles/{pid}/{related}")
    await r.ok("GET", f"/api/segments/{segment}/relationships/profiles")
    r.assert_conforms(at_least=14)


async def test_events_and_metrics(recorded: Recorded) -> None:
    r = recorded
    event = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {"p": 1},
                "value": 9.5,
                "time": "2024-01-01T00:00:00+00:00",
                "metric": {"data": {"type": "metric", "attributes": {"name": "Spec Metric"}}},
                "profile": {"data": {"type": "profile", "attributes": {"email": "spec@example.com"}}},
            },
        }
    }
    await r.ok("POST", "/api/events", 202, json=event)
    events = await r.ok("GET", "/api/events", params={"include": "metric,profile", "sort": "-datetime"})
    await r.ok("GET", f"/api/events/{events['data'][0]['id']}", params={"include": "metric"})
    metrics = await r.ok("GET", "/api/metrics")
    metric_id = metrics["data"][0]["id"]
    for measurements, interval, by in (
        (["count", "sum_value"], "day", ["$flow"]),
        (["unique"], "week", None),
    ):
        attributes = {
            "metric_id": metric_id,
            "measurements": measurements,
            "interval": interval,
            "filter": IN_RANGE,
            **({"by": by} if by else {}),
        }
        aggregate = {"data": {"type": "metric-aggregate", "attributes": attributes}}
        await r.ok("POST", "/api/metric-aggregates", json=aggregate)
    await r.ok("GET", f"/api/metrics/{metric_id}")
    r.assert_conforms(at_least=7)


async def test_bulk_events_and_event_relationships(recorded: Recorded) -> None:
    r = recorded
    entry = {
        "type": "event-bulk-create",
        "attributes": {
            "profile": {"data": {"type": "profile", "attributes": {"email": "bulk@example.com"}}},
            "events": {
                "data": [
                    {
                        "type": "event",
                        "attributes": {
                            "properties": {"p": 1},
                            "time": "2024-01-01T00:00:00+00:00",
                            "metric": {"data": {"type": "metric", "attributes": {"name": "Bulk Metric"}}},
                        },
                    }
                ]
            },
        },
    }
    job = {"data": {"type": "event-bulk-create-job", "attributes": {"events-bulk-create": {"data": [entry]}}}}
    await r.ok("POST", "/api/event-bulk-create-jobs", 202, json=job)
    event_id = next(iter(r.store.events))
    for related in ("profile", "relationships/profile", "metric", "relationships/metric"):
        await r.ok("GET", f"/api/events/{event_id}/{related}")
    await r.ok(
        "GET", f"/api/events/{event_id}/profile", params={"additional-fields[profile]": "subscriptions"}
    )
    r.assert_conforms(at_least=6)
