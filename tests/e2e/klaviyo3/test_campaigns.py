"""``Campaigns``: offset pages of the campaign list; the unsupported recipient list (2 methods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from klaviyo.campaigns import Campaigns
from klaviyo.exceptions import KlaviyoAPIException

from tests.e2e import newapi
from tests.e2e.harness import Stack
from tests.e2e.klaviyo3.support import assert_json, ok
from tests.e2e.shapes import (
    assert_campaign,
    assert_offset_page,
    assert_unsupported,
    unique,
)


@pytest.fixture(scope="module")
def campaigns(own: Stack) -> dict[str, Any]:
    """Five email campaign drafts created through the pass-through."""
    with own.new_api() as client:
        list_id = newapi.create_list(client, unique("k3 audience"), "single_opt_in")
        template_id = newapi.create_template(client, "k3 promo", "<html><body>Promo</body></html>")
        ids = []
        for n in range(5):
            campaign_id, message_id = newapi.create_campaign(
                client, f"k3 promo {n}", list_id, f"k3 subject {n}", "k3@example.com", "K3 Store"
            )
            newapi.assign_template(client, message_id, template_id)
            ids.append(campaign_id)
    return {"ids": ids, "list": list_id}


class TestCampaigns:
    def test_get_campaigns(
        self, k3: Callable[..., Any], k3_responses: list[Any], campaigns: dict[str, Any]
    ) -> None:
        api = k3(Campaigns)
        pages = []
        for page in range(3):
            envelope = ok(api.get_campaigns(page=page, count=2))
            assert_json(k3_responses[-1])
            assert_offset_page(envelope, page, 2)
            pages.append(envelope)
        assert [(p["start"], p["end"], p["total"], p["page_size"]) for p in pages] == [
            (0, 1, 5, 2),
            (2, 3, 5, 2),
            (4, 4, 5, 1),
        ]
        rows = [c for p in pages for c in p["data"]]
        assert sorted(c["id"] for c in rows) == sorted(campaigns["ids"]), "the pages partition the collection"
        created = [c["created"] for c in rows]  # seconds resolution: drafts made in one second tie
        assert created == sorted(created, reverse=True), "newest first"
        for campaign in rows:
            assert_campaign(campaign)
            assert (campaign["status"], campaign["from_email"]) == ("draft", "k3@example.com")
            assert [a["id"] for a in campaign["lists"]] == [campaigns["list"]]
        default = ok(api.get_campaigns())  # page 0, count 50
        assert (default["total"], default["page_size"], default["end"]) == (5, 5, 4)

    def test_get_campaign_recipients_is_unsupported(
        self, own: Stack, k3: Callable[..., Any], campaigns: dict[str, Any]
    ) -> None:
        mark = own.recorder.mark()
        with pytest.raises(KlaviyoAPIException) as caught:
            k3(Campaigns).get_campaign_recipients(campaigns["ids"][0], count=100)
        assert_unsupported(
            caught.value.status_code, caught.value.message, names="campaign-recipient-estimation"
        )
        assert own.recorder.since(mark) == [], "an unsupported operation makes no upstream call"
