"""``profile_count`` brings get_list / get_segment's documented lower limit (1/s, 15/m)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from proxy.sandbox import Store, create_sandbox_app
from tests.proxy.sandbox.conftest import API_HEADERS, error_of
from tests.proxy.sandbox.test_lists import make_list

COUNT = {"additional-fields[list]": "profile_count"}


async def test_profile_count_echoes_the_lower_limit(api: httpx.AsyncClient, store: Store) -> None:
    list_id = (await make_list(api, "Counted"))["id"]
    plain = await api.get(f"/api/lists/{list_id}")
    assert plain.headers["RateLimit-Limit"] == "75, 75;w=1, 750;w=60"
    counted = await api.get(f"/api/lists/{list_id}", params=COUNT)
    assert counted.headers["RateLimit-Limit"] == "1, 1;w=1, 15;w=60"
    assert counted.json()["data"]["attributes"]["profile_count"] == 0
    segment = store.add_segment("Seeded")
    counted = await api.get(
        f"/api/segments/{segment}", params={"additional-fields[segment]": "profile_count"}
    )
    assert counted.headers["RateLimit-Limit"] == "1, 1;w=1, 15;w=60"
    for _ in range(3):  # not enforced unless the store asks for it
        assert (await api.get(f"/api/lists/{list_id}", params=COUNT)).status_code == 200


async def test_a_single_group_may_name_profile_count_in_its_sparse_fieldset(
    api: httpx.AsyncClient, store: Store
) -> None:
    list_id = (await make_list(api, "Sparse"))["id"]
    one = await api.get(f"/api/lists/{list_id}", params={**COUNT, "fields[list]": "name,profile_count"})
    assert one.status_code == 200
    assert one.json()["data"]["attributes"] == {"name": "Sparse", "profile_count": 0}
    segment = store.add_segment("Seeded")
    seg = await api.get(
        f"/api/segments/{segment}",
        params={"additional-fields[segment]": "profile_count", "fields[segment]": "profile_count"},
    )
    assert seg.json()["data"]["attributes"] == {"profile_count": 0}
    # Listings offer no profile_count (the spec's fields[list] enum of get_lists lacks it).
    assert (await api.get("/api/lists", params={"fields[list]": "profile_count"})).status_code == 400


async def test_enforced_limits_answer_429_with_retry_after() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = Store(seed=1, clock=lambda: now[0], enforce_rate_limits=True)
    list_id = store.add_list("Counted").id
    transport = httpx.ASGITransport(create_sandbox_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=API_HEADERS) as api:
        url = f"/api/lists/{list_id}"
        assert (await api.get(url, params=COUNT)).status_code == 200
        throttled = await api.get(url, params=COUNT)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "1"
        assert "RateLimit-Limit" not in throttled.headers, "Klaviyo sends RateLimit-* on non-429 answers"
        assert error_of(throttled)["code"] == "throttled"
        assert (await api.get(url)).status_code == 200  # without the field: the normal limits
        for _ in range(14):
            now[0] += timedelta(seconds=1.5)
            assert (await api.get(url, params=COUNT)).status_code == 200
        now[0] += timedelta(seconds=1.5)
        steady = await api.get(url, params=COUNT)
        assert steady.status_code == 429
        assert int(steady.headers["Retry-After"]) > 1


async def test_listing_offers_no_profile_count(api: httpx.AsyncClient) -> None:
    """The spec declares additional-fields on get_list / get_segment only, not on the listings."""
    for kind in ("list", "segment"):
        response = await api.get(f"/api/{kind}s", params={f"additional-fields[{kind}]": "profile_count"})
        assert response.status_code == 400
        assert error_of(response)["source"] == {"parameter": f"additional-fields[{kind}]"}
