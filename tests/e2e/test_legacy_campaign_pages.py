"""Both legacy SDKs page through the same seven campaign drafts: v1 offset pages partition the
collection, newest first, legacy-shaped, and a page past the end stops a ``while end < total - 1``
loop. The drafts are made through the new-API pass-through before any legacy call."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from klaviyo.campaigns import Campaigns

from tests.e2e import newapi
from tests.e2e.harness import Stack
from tests.e2e.shapes import (
    CAMPAIGN_KEYS,
    LEGACY_LIST_KEYS,
    V1_DATETIME,
)


@dataclass(frozen=True)
class SevenCampaigns:
    ids: tuple[str, ...]  # in creation order
    list_id: str
    list_name: str
    template_id: str


@pytest.fixture(scope="module")
def seven_campaigns(stack: Stack) -> Iterator[SevenCampaigns]:
    """7 email campaign drafts created through the pass-through, before any legacy B1 call."""
    with stack.new_api() as client:
        list_name = f"Campaign audience {uuid.uuid4().hex[:6]}"
        list_id = newapi.create_list(client, list_name, "single_opt_in")
        template_id = newapi.create_template(client, "Promo", "<html><body>Hi {{ first_name }}</body></html>")
        ids = []
        for n in range(1, 8):
            campaign_id, message_id = newapi.create_campaign(
                client, f"Promo {n}", list_id, f"Subject {n}", "news@example.com", "Example Store"
            )
            newapi.assign_template(client, message_id, template_id)
            ids.append(campaign_id)
    yield SevenCampaigns(tuple(ids), list_id, list_name, template_id)


def check_campaign_pages(pages: list[dict[str, Any]], seven: SevenCampaigns) -> None:
    expected = [  # (page, start, end, total, page_size) for count=3 over 7 campaigns
        (0, 0, 2, 7, 3),
        (1, 3, 5, 7, 3),
        (2, 6, 6, 7, 1),
    ]
    for envelope, (page, start, end, total, size) in zip(pages, expected, strict=False):
        assert envelope["object"] == "$list"
        got = (envelope["page"], envelope["start"], envelope["end"], envelope["total"], envelope["page_size"])
        assert got == (page, start, end, total, size), envelope | {"data": "..."}
        assert len(envelope["data"]) == size
    past = pages[3]
    assert (past["object"], past["page"], past["total"], past["page_size"], past["data"]) == (
        "$list",
        3,
        7,
        0,
        [],
    )
    assert past["end"] >= past["total"] - 1, "a client looping 'while end < total - 1' would never stop"

    rows = [c for envelope in pages[:3] for c in envelope["data"]]
    assert sorted(c["id"] for c in rows) == sorted(seven.ids), "pages must partition the collection"
    created = [c["created"] for c in rows]
    assert created == sorted(created, reverse=True), "legacy order is newest first"
    # Drafts made within one second tie on created: the one created last still comes first.
    assert [c["id"] for c in rows] == list(reversed(seven.ids)), "ties broken newest first"
    for campaign in rows:
        assert set(campaign) >= CAMPAIGN_KEYS and set(campaign) - CAMPAIGN_KEYS <= {"template"}, sorted(
            campaign
        )
        n = campaign["name"].removeprefix("Promo ")
        assert campaign["object"] == "campaign"
        assert (campaign["subject"], campaign["from_email"], campaign["from_name"]) == (
            f"Subject {n}",
            "news@example.com",
            "Example Store",
        )
        assert (campaign["status"], campaign["status_label"], campaign["status_id"]) == ("draft", "Draft", 2)
        assert campaign["sent_at"] is None and campaign["message_type"] == "email"
        assert campaign["excluded_lists"] == []
        assert V1_DATETIME.match(campaign["created"]) and V1_DATETIME.match(campaign["updated"])
        assert isinstance(campaign["template_id"], str) and campaign["template_id"]
        [audience] = campaign["lists"]
        assert set(audience) == LEGACY_LIST_KEYS
        assert (audience["object"], audience["id"], audience["name"], audience["list_type"]) == (
            "list",
            seven.list_id,
            seven.list_name,
            "list",
        )
        assert V1_DATETIME.match(audience["created"])


def test_klaviyo317_campaign_pages(
    seven_campaigns: SevenCampaigns, k3: Callable[..., Any], k3_responses: list[Any]
) -> None:
    campaigns = k3(Campaigns)
    pages = []
    for page in range(4):
        response = campaigns.get_campaigns(page=page, count=3)
        assert response.status_code == 200
        assert k3_responses[-1].headers["content-type"].startswith("application/json")
        pages.append(response.data)
    check_campaign_pages(pages, seven_campaigns)


def test_klaviyo_sdk_campaign_pages(seven_campaigns: SevenCampaigns, sdk: Any) -> None:
    pages = [dict(sdk.Campaigns.get_campaigns(page=page, count=3, _request_timeout=10)) for page in range(4)]
    check_campaign_pages(pages, seven_campaigns)
