"""Read after write: a v1 collection enumerated (and cached) before a write shows the write at once.

Legacy v1 showed a campaign right after it was created; the proxy caches enumerations for
``collection_cache_ttl`` (60 s), so every write it sends for an account (a legacy write or a
new-API pass-through) drops that account's cached enumerations. Runs on a stack of its own: the
session stack's campaign count belongs to ``test_legacy_campaign_pages``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e import newapi
from tests.e2e.harness import HTTP_TIMEOUT, Recorder, Stack, build_stack


@pytest.fixture(scope="module")
def fresh(upstream_recorder: Recorder) -> Iterator[Stack]:
    with build_stack(upstream_recorder, source="read-after-write") as running:
        yield running


def legacy_campaigns(client: httpx.Client, key: str) -> dict[str, Any]:
    response = client.get("/api/v1/campaigns", params={"api_key": key, "count": "50"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_created_campaigns_show_at_once(fresh: Stack) -> None:
    assert fresh.settings.collection_cache_ttl >= 60, "the cache is on: only invalidation can explain it"
    with fresh.new_api() as api:
        list_id = newapi.create_list(api, "Read after write", "single_opt_in")
        template_id = newapi.create_template(api, "RAW", "<html><body>Hi</body></html>")
    with httpx.Client(base_url=fresh.proxy_url, timeout=HTTP_TIMEOUT, trust_env=False) as legacy:
        assert legacy_campaigns(legacy, fresh.private_key)["total"] == 0  # enumerated and cached
        created = []
        for n in range(3):
            response = legacy.post(
                "/api/v1/campaigns",
                params={"api_key": fresh.private_key},
                data={
                    "list_id": list_id,
                    "template_id": template_id,
                    "from_email": "news@example.com",
                    "from_name": "Example Store",
                    "subject": f"Subject {n}",
                    "name": f"Created {n}",
                },
            )
            assert response.status_code == 200, response.text
            created.append(response.json()["id"])
            page = legacy_campaigns(legacy, fresh.private_key)
            assert page["total"] == n + 1, "a campaign created through the proxy shows in B1 at once"
        assert [c["id"] for c in page["data"]] == created[::-1], "newest first"

        with fresh.new_api() as api:  # a write through the new-API pass-through invalidates too
            passed, _ = newapi.create_campaign(
                api, "Passed through", list_id, "Subject", "news@example.com", "Example Store"
            )
        page = legacy_campaigns(legacy, fresh.private_key)
        assert page["total"] == 4 and page["data"][0]["id"] == passed
