"""Event de-duplication as the spec words it for create_event and create_client_event.

EventCreateQueryV2 ``unique_id``: "If the unique_id is repeated for the same profile and metric,
only the first processed event will be recorded. If this is not present, this will use the time
to the second. Using the default, this limits only one event per profile per second."
"""

from __future__ import annotations

import httpx
import pytest

from proxy.sandbox import DEMO_PUBLIC_KEY, Store
from tests.proxy.sandbox.test_events import event_body

T1 = "2024-05-20T14:11:26+00:00"
T2 = "2024-05-20T14:11:27+00:00"


def count(store: Store, metric: str) -> int:
    metric_id = store.metric_named(metric).id
    return sum(1 for e in store.events.values() if e.metric_id == metric_id)


@pytest.mark.parametrize("path", ["/api/events", "/client/events"])
async def test_repeated_unique_id_is_stored_once_per_profile_and_metric(
    api: httpx.AsyncClient, store: Store, path: str
) -> None:
    params = {"company_id": DEMO_PUBLIC_KEY} if path.startswith("/client") else {}
    headers = {"Authorization": ""} if path.startswith("/client") else {}

    async def send(metric: str, email: str, time: str, unique_id: str) -> None:
        document = event_body(metric, email, time=time, unique_id=unique_id)
        response = await api.post(path, json=document, params=params, headers=headers)
        assert response.status_code == 202, response.text

    await send("Ordered", "a@example.com", T1, "o-1")
    await send("Ordered", "a@example.com", T2, "o-1")  # same profile + metric + unique_id: dropped
    assert count(store, "Ordered") == 1
    await send("Ordered", "b@example.com", T1, "o-1")  # another profile
    await send("Refunded", "a@example.com", T1, "o-1")  # another metric
    assert count(store, "Ordered") == 2 and count(store, "Refunded") == 1


async def test_without_unique_id_the_time_to_the_second_is_the_key(
    api: httpx.AsyncClient, store: Store
) -> None:
    for time in (T1, "2024-05-20T14:11:26.900000+00:00", T2):
        assert (
            await api.post("/api/events", json=event_body("Viewed", "v@example.com", time=time))
        ).status_code == 202
    assert count(store, "Viewed") == 2  # the second one fell in the same second as the first
