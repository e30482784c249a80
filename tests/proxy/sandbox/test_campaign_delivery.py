"""Campaign audiences: recipient estimation, "Received Email" events on send, the values report."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from proxy.sandbox import Store
from tests.proxy.sandbox.conftest import error_of, make_profile
from tests.proxy.sandbox.test_campaigns import make_campaign
from tests.proxy.sandbox.test_segments import add_to_list, in_list, make_segment


async def audience(api: httpx.AsyncClient, store: Store) -> tuple[str, str, str, list[str]]:
    """Lists A (ann, bob), B (bob, cid) and X (cid); a segment of B; profiles ann, bob, cid, dan."""
    a, b, x = (store.add_list(name).id for name in ("A", "B", "X"))
    ids = [(await make_profile(api, email=f"{n}@example.com"))["id"] for n in ("ann", "bob", "cid", "dan")]
    ann, bob, cid, _ = ids
    await add_to_list(api, a, ann, bob)
    await add_to_list(api, b, bob, cid)
    await add_to_list(api, x, cid)
    segment = (await make_segment(api, "In B", [in_list(b)]))["id"]
    return a, segment, x, ids


async def estimate(api: httpx.AsyncClient, campaign_id: str) -> int:
    job = {"data": {"type": "campaign-recipient-estimation-job", "id": campaign_id}}
    assert (await api.post("/api/campaign-recipient-estimation-jobs", json=job)).status_code == 202
    polled = await api.get(f"/api/campaign-recipient-estimation-jobs/{campaign_id}")
    assert polled.json()["data"]["attributes"]["status"] == "complete"
    got = await api.get(f"/api/campaign-recipient-estimations/{campaign_id}")
    count: int = got.json()["data"]["attributes"]["estimated_recipient_count"]
    return count


async def send(api: httpx.AsyncClient, campaign_id: str) -> None:
    job = {"data": {"type": "campaign-send-job", "id": campaign_id}}
    assert (await api.post("/api/campaign-send-jobs", json=job)).status_code == 202


async def test_estimate_counts_distinct_included_minus_excluded(api: httpx.AsyncClient, store: Store) -> None:
    a, segment, x, (_, _, cid, _) = await audience(api, store)
    audiences = {"included": [a, segment], "excluded": [x]}
    campaign = await make_campaign(api, store, "Mixed", audiences=audiences)
    assert await estimate(api, campaign["id"]) == 2  # ann, bob (once), not cid (excluded)
    await add_to_list(api, a, cid)
    assert await estimate(api, campaign["id"]) == 2  # cid is still excluded


async def test_send_records_received_email_per_recipient(api: httpx.AsyncClient, store: Store) -> None:
    a, segment, x, (ann, bob, _, _) = await audience(api, store)
    campaign = await make_campaign(
        api, store, "Launch", audiences={"included": [a, segment], "excluded": [x]}
    )
    await send(api, campaign["id"])
    received = store.metric_named("Received Email")
    found = (
        await api.get(
            "/api/events",
            params={"filter": f'equals(metric_id,"{received.id}")', "include": "profile"},
        )
    ).json()
    assert {e["relationships"]["profile"]["data"]["id"] for e in found["data"]} == {ann, bob}
    properties = found["data"][0]["attributes"]["event_properties"]
    assert properties["$message"] == campaign["id"]
    assert properties["Campaign Name"] == "Launch" and properties["Email Domain"] == "example.com"
    assert {p["id"] for p in found["included"]} == {ann, bob}


def report_body(**attributes: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "statistics": ["recipients"],
        "timeframe": {"key": "last_30_days"},
        "conversion_metric_id": "RESQ6t",
    }
    return {"data": {"type": "campaign-values-report", "attributes": {**defaults, **attributes}}}


async def test_values_report_recipients(api: httpx.AsyncClient, store: Store) -> None:
    a, segment, _, _ = await audience(api, store)
    sent = await make_campaign(api, store, "Sent", audiences={"included": [a, segment]})
    draft = await make_campaign(api, store, "Draft", audiences={"included": [a]})
    await send(api, sent["id"])
    today = store.now()[:10]
    timeframe = {"start": f"{today}T00:00:00+00:00", "end": f"{today}T23:59:59+00:00"}
    statistics = ["recipients", "delivered", "opens_unique", "open_rate"]
    results = await results_of(api, report_body(statistics=statistics, timeframe=timeframe))
    message_id = sent["relationships"]["campaign-messages"]["data"][0]["id"]
    assert results == [
        {
            "groupings": {
                "campaign_id": sent["id"],
                "campaign_message_id": message_id,
                "send_channel": "email",
            },
            "statistics": {"recipients": 3, "delivered": 3, "opens_unique": 0, "open_rate": 0.0},
        }
    ]
    filtered = report_body(timeframe=timeframe, filter=f'equals(campaign_id,"{draft["id"]}")')
    assert await results_of(api, filtered) == []
    listed = report_body(timeframe=timeframe, filter=f'contains-any(campaign_id,["{sent["id"]}"])')
    assert len(await results_of(api, listed)) == 1
    assert await results_of(api, report_body()) == []  # last_30_days ends at today's midnight


async def results_of(api: httpx.AsyncClient, document: dict[str, Any]) -> list[dict[str, Any]]:
    response = await api.post("/api/campaign-values-reports", json=document)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["data"]["attributes"]["results"]
    return results


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"statistics": ["text_message_roi"]}, "/data/attributes/statistics/0"),
        ({"timeframe": {"key": "forever"}}, "/data/attributes/timeframe/key"),
        ({"group_by": ["campaign_id"]}, "/data/attributes/group_by"),
        ({"conversion_metric_id": None}, "/data/attributes/conversion_metric_id"),
    ],
)
async def test_values_report_rejects(
    api: httpx.AsyncClient, attributes: dict[str, Any], pointer: str
) -> None:
    response = await api.post("/api/campaign-values-reports", json=report_body(**attributes))
    assert response.status_code == 400
    assert error_of(response)["source"] == {"pointer": pointer}
