"""Bulk event creation and the event's profile / metric relationship reads."""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox import Store
from tests.proxy.sandbox.conftest import error_of


def bulk_body(*entries: tuple[dict[str, Any], list[dict[str, Any]]]) -> dict[str, Any]:
    data = [
        {
            "type": "event-bulk-create",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": profile}},
                "events": {"data": [{"type": "event", "attributes": event} for event in events]},
            },
        }
        for profile, events in entries
    ]
    return {"data": {"type": "event-bulk-create-job", "attributes": {"events-bulk-create": {"data": data}}}}


def event(metric: str, time: str, **extra: Any) -> dict[str, Any]:
    return {
        "properties": {"n": 1},
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "time": time,
        **extra,
    }


async def test_bulk_create_events(api: httpx.AsyncClient, store: Store) -> None:
    document = bulk_body(
        (
            {"email": "a@example.com"},
            [
                event("Ordered", "2024-01-01T00:00:00+00:00", value=5),
                event("Ordered", "2024-01-02T00:00:00+00:00"),
            ],
        ),
        ({"email": "b@example.com"}, [event("Viewed", "2024-01-01T00:00:00+00:00", unique_id="v1")]),
    )
    response = await api.post("/api/event-bulk-create-jobs", json=document)
    assert response.status_code == 202 and response.content == b""
    assert len(store.events) == 3
    a = store.find_by_email("a@example.com")
    assert a is not None and a.last_event_date == "2024-01-02T00:00:00+00:00"
    again = await api.post("/api/event-bulk-create-jobs", json=document)  # all duplicates now
    assert again.status_code == 202 and len(store.events) == 3


async def test_bulk_create_events_is_all_or_nothing(api: httpx.AsyncClient, store: Store) -> None:
    bad = bulk_body(
        ({"email": "a@example.com"}, [event("Ordered", "2024-01-01T00:00:00+00:00")]),
        ({"email": "b@example.com"}, [{"properties": {}}]),
    )
    response = await api.post("/api/event-bulk-create-jobs", json=bad)
    assert response.status_code == 400
    assert error_of(response)["source"]["pointer"].startswith(
        "/data/attributes/events-bulk-create/data/1/attributes/events/data/0/attributes/metric"
    )
    assert store.events == {} and store.find_by_email("a@example.com") is None
    repeated = bulk_body(
        ({"email": "a@example.com"}, [event("O", "2024-01-01T00:00:00+00:00", unique_id="x")]),
        ({"email": "A@example.com"}, [event("O", "2024-01-03T00:00:00+00:00", unique_id="x")]),
    )
    assert (await api.post("/api/event-bulk-create-jobs", json=repeated)).status_code == 400
    assert store.events == {}


async def test_event_relationships(api: httpx.AsyncClient, store: Store) -> None:
    document = bulk_body(({"email": "r@example.com"}, [event("Ordered", "2024-01-01T00:00:00+00:00")]))
    assert (await api.post("/api/event-bulk-create-jobs", json=document)).status_code == 202
    ((event_id, stored),) = store.events.items()
    profile = (await api.get(f"/api/events/{event_id}/profile")).json()["data"]
    assert profile["id"] == stored.profile_id and profile["attributes"]["email"] == "r@example.com"
    ids = (await api.get(f"/api/events/{event_id}/relationships/profile")).json()["data"]
    assert ids == {"type": "profile", "id": stored.profile_id}
    metric = (await api.get(f"/api/events/{event_id}/metric")).json()["data"]
    assert metric["attributes"]["name"] == "Ordered"
    metric_id = (await api.get(f"/api/events/{event_id}/relationships/metric")).json()["data"]
    assert metric_id == {"type": "metric", "id": stored.metric_id}
    assert (await api.get("/api/events/nope/profile")).status_code == 404
