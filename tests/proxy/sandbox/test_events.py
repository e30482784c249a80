"""Events and metrics: ingestion, listing, filters, sorting, includes."""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox import DEMO_PUBLIC_KEY, Store
from tests.proxy.sandbox.conftest import error_of


def event_body(metric: str, email: str, *, time: str | None = None, **extra: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "properties": extra.pop("properties", {"item": "Boots"}),
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "profile": {"data": {"type": "profile", "attributes": {"email": email, **extra.pop("profile", {})}}},
        **extra,
    }
    if time:
        attributes["time"] = time
    return {"data": {"type": "event", "attributes": attributes}}


async def test_create_event_upserts_profile_and_metric(api: httpx.AsyncClient, store: Store) -> None:
    body = event_body(
        "Ordered Product",
        "ev@example.com",
        time="2024-05-20T14:11:26+00:00",
        value=100,
        unique_id="order-1",
        profile={"first_name": "Ev", "properties": {"Plan": "Gold"}},
    )
    response = await api.post("/api/events", json=body)
    assert response.status_code == 202 and response.content == b""
    profile = store.find_by_email("ev@example.com")
    assert (
        profile is not None and profile.get("first_name") == "Ev" and profile.properties == {"Plan": "Gold"}
    )
    assert profile.last_event_date == "2024-05-20T14:11:26+00:00"
    metrics = (await api.get("/api/metrics")).json()["data"]
    assert [m["attributes"]["name"] for m in metrics] == ["Ordered Product"]
    assert len(metrics[0]["id"]) == 6
    assert metrics[0]["attributes"]["integration"]["name"] == "API"
    events = (await api.get("/api/events")).json()["data"]
    assert len(events) == 1
    event = events[0]
    assert event["attributes"]["timestamp"] == 1716214286
    assert event["attributes"]["datetime"] == "2024-05-20T14:11:26+00:00"
    assert event["attributes"]["event_properties"]["item"] == "Boots"
    assert event["attributes"]["event_properties"]["$value"] == 100
    assert event["relationships"]["metric"]["data"] == {"type": "metric", "id": metrics[0]["id"]}
    assert event["relationships"]["profile"]["data"]["id"] == profile.id
    # same unique_id again: de-duplicated
    await api.post("/api/events", json=body)
    assert len(store.events) == 1


async def test_event_validation(api: httpx.AsyncClient) -> None:
    no_metric = event_body("X", "v@example.com")
    del no_metric["data"]["attributes"]["metric"]
    assert error_of(await api.post("/api/events", json=no_metric))["source"] == {
        "pointer": "/data/attributes/metric"
    }
    no_props = event_body("X", "v@example.com")
    del no_props["data"]["attributes"]["properties"]
    response = await api.post("/api/events", json=no_props)
    assert error_of(response)["source"] == {"pointer": "/data/attributes/properties"}
    bad_time = event_body("X", "v@example.com", time="yesterday")
    assert error_of(await api.post("/api/events", json=bad_time))["source"] == {
        "pointer": "/data/attributes/time"
    }
    nobody = event_body("X", "v@example.com")
    nobody["data"]["attributes"]["profile"]["data"]["attributes"] = {}
    assert (await api.post("/api/events", json=nobody)).status_code == 400


async def test_get_events_filters_sort_include(api: httpx.AsyncClient, store: Store) -> None:
    await api.post(
        "/api/events", json=event_body("Viewed", "a@example.com", time="2024-01-01T00:00:00+00:00")
    )
    await api.post(
        "/api/events", json=event_body("Ordered", "a@example.com", time="2024-01-03T00:00:00+00:00")
    )
    await api.post(
        "/api/events", json=event_body("Viewed", "b@example.com", time="2024-01-02T00:00:00+00:00")
    )
    viewed = store.metric_named("Viewed").id
    a = store.find_by_email("a@example.com")
    assert a is not None

    async def datetimes(**params: str) -> list[str]:
        response = await api.get("/api/events", params=params)
        assert response.status_code == 200, response.text
        return [e["attributes"]["datetime"][:10] for e in response.json()["data"]]

    assert await datetimes(sort="datetime") == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert await datetimes(sort="-datetime") == ["2024-01-03", "2024-01-02", "2024-01-01"]
    assert await datetimes(filter=f'equals(metric_id,"{viewed}")', sort="datetime") == [
        "2024-01-01",
        "2024-01-02",
    ]
    assert await datetimes(filter=f'equals(profile_id,"{a.id}")', sort="-datetime") == [
        "2024-01-03",
        "2024-01-01",
    ]
    assert await datetimes(
        filter="greater-or-equal(datetime,2024-01-02T00:00:00+00:00)", sort="datetime"
    ) == ["2024-01-02", "2024-01-03"]
    assert await datetimes(filter="less-than(datetime,2024-01-02T00:00:00Z)") == ["2024-01-01"]
    assert await datetimes(
        filter=f'equals(metric_id,"{viewed}"),greater-than(datetime,2024-01-01T00:00:00+00:00)'
    ) == ["2024-01-02"]

    response = await api.get("/api/events", params={"include": "metric,profile", "sort": "datetime"})
    document = response.json()
    kinds = sorted((item["type"], item["id"]) for item in document["included"])
    assert len(kinds) == 4  # two metrics, two profiles, each once
    assert {t for t, _ in kinds} == {"metric", "profile"}
    assert error_of(await api.get("/api/events", params={"filter": 'equals(email,"a")'}))["source"] == {
        "parameter": "filter"
    }


async def test_event_pages(api: httpx.AsyncClient) -> None:
    for n in range(3):
        await api.post("/api/events", json=event_body("Paged", f"p{n}@example.com"))
    first = (await api.get("/api/events", params={"page[size]": "2"})).json()
    assert len(first["data"]) == 2 and first["links"]["next"]
    second = (await api.get(first["links"]["next"])).json()
    assert len(second["data"]) == 1 and second["links"]["next"] is None
    assert (await api.get("/api/events", params={"page[size]": "1001"})).status_code == 400
    assert (await api.get("/api/events", params={"page[size]": "1000"})).status_code == 200


async def test_get_event_and_metric(api: httpx.AsyncClient, store: Store) -> None:
    await api.post("/api/events", json=event_body("One", "one@example.com"))
    event_id = next(iter(store.events))
    response = await api.get(f"/api/events/{event_id}", params={"include": "metric"})
    assert response.json()["included"][0]["attributes"]["name"] == "One"
    metric_id = store.metric_named("One").id
    assert (await api.get(f"/api/metrics/{metric_id}")).json()["data"]["attributes"]["name"] == "One"
    assert (await api.get("/api/metrics/nope00")).status_code == 404
    assert (await api.get("/api/metrics", params={"page[size]": "5"})).status_code == 400
    filtered = await api.get("/api/metrics", params={"filter": 'equals(integration.name,"API")'})
    assert len(filtered.json()["data"]) == 1


async def test_client_event(raw: httpx.AsyncClient, store: Store) -> None:
    response = await raw.post(
        f"/client/events?company_id={DEMO_PUBLIC_KEY}",
        json=event_body("Active on Site", "web@example.com"),
        headers={"revision": "2026-07-15"},
    )
    assert response.status_code == 202
    assert store.find_by_email("web@example.com") is not None and len(store.events) == 1


async def test_metric_aggregates(api: httpx.AsyncClient, store: Store) -> None:
    for time, value, flow, email in [
        ("2024-01-01T10:00:00+00:00", 5, "A", "x@example.com"),
        ("2024-01-01T11:00:00+00:00", 7, "B", "x@example.com"),
        ("2024-01-03T00:00:00+00:00", 1, "A", "y@example.com"),
        ("2024-02-01T00:00:00+00:00", 1, "A", "y@example.com"),  # outside the range
    ]:
        body = event_body("Agg", email, time=time, value=value, properties={"$flow": flow})
        assert (await api.post("/api/events", json=body)).status_code == 202
    window = ["greater-or-equal(datetime,2024-01-01T00:00:00)", "less-than(datetime,2024-01-04T00:00:00)"]
    query: dict[str, Any] = {
        "data": {
            "type": "metric-aggregate",
            "attributes": {
                "metric_id": store.metric_named("Agg").id,
                "measurements": ["count", "unique", "sum_value"],
                "interval": "day",
                "filter": window,
            },
        }
    }
    response = await api.post("/api/metric-aggregates", json=query)
    assert response.status_code == 200, response.text
    attrs = response.json()["data"]["attributes"]
    assert [d[:10] for d in attrs["dates"]] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    [row] = attrs["data"]
    assert row["dimensions"] == []
    assert row["measurements"] == {"count": [2, 0, 1], "unique": [1, 0, 1], "sum_value": [12, 0, 1]}

    query["data"]["attributes"]["by"] = ["$flow"]
    query["data"]["attributes"]["measurements"] = ["count"]
    rows = (await api.post("/api/metric-aggregates", json=query)).json()["data"]["attributes"]["data"]
    assert {tuple(r["dimensions"]): r["measurements"]["count"] for r in rows} == {
        ("A",): [1, 0, 1],
        ("B",): [1, 0, 0],
    }

    query["data"]["attributes"]["filter"] = window[:1]
    assert (await api.post("/api/metric-aggregates", json=query)).status_code == 400
    query["data"]["attributes"]["filter"] = window
    query["data"]["attributes"]["by"] = ["Favourite Colour"]
    assert (await api.post("/api/metric-aggregates", json=query)).status_code == 400
