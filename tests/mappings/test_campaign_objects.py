"""Unit tests: new campaign / list / segment resources -> legacy v1 objects (plain dicts)."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.core import Reply
from mappings.translate.campaign_objects import (
    audience_ids,
    campaign_message,
    distinct_audience_ids,
    index_resources,
    legacy_campaign,
    legacy_list,
    legacy_status,
)
from mappings.translate.campaign_steps import audience_calls, audience_objects


def _campaign(**attributes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Promo",
        "status": "Draft",
        "audiences": {"included": [], "excluded": None},
        "send_strategy": {"method": "immediate"},
        "created_at": "2022-10-06T12:43:17.5+00:00",
        "updated_at": "2022-10-07T16:00:22+02:00",
        "send_time": None,
    }
    base.update(attributes)
    return {
        "type": "campaign",
        "id": "C1",
        "attributes": base,
        "relationships": {"campaign-messages": {"data": [{"type": "campaign-message", "id": "M1"}]}},
    }


MESSAGE = {
    "type": "campaign-message",
    "id": "M1",
    "attributes": {
        "definition": {
            "channel": "email",
            "content": {"subject": "Hi", "from_email": "news@example.com", "from_label": "Store"},
        }
    },
    "relationships": {"template": {"data": {"type": "template", "id": "T1"}}},
}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Draft", ("draft", 2, "Draft")),
        ("Sent", ("sent", 1, "Sent")),
        ("Variations Sent", ("sent", 1, "Sent")),
        ("Scheduled", ("scheduled", None, "Scheduled")),
        ("Preparing to schedule", ("scheduled", None, "Scheduled")),
        ("Sending", ("sending", None, "Sending")),
        ("Adding Recipients", ("sending", None, "Sending")),
        ("Cancelled", ("cancelled", None, "Cancelled")),
        ("Cancelled: Smart Sending", ("cancelled", None, "Cancelled")),
        ("Unknown", ("unknown", None, "Unknown")),
        ("Brand New State", ("brand new state", None, "Brand New State")),
        (None, ("unknown", None, "Unknown")),
    ],
)
def test_legacy_status(status: str | None, expected: tuple[str, int | None, str]) -> None:
    assert legacy_status(status) == expected


def test_full_campaign_object() -> None:
    campaign = _campaign(
        status="Sent",
        audiences={"included": ["L1", "GONE"], "excluded": ["S1"]},
        send_time="2022-10-07T14:00:00+00:00",
    )
    audiences = {
        "L1": legacy_list({"type": "list", "id": "L1", "attributes": {"name": "News"}}),
        "S1": legacy_list({"type": "segment", "id": "S1", "attributes": {"name": "Bounced"}}),
    }
    out = legacy_campaign(campaign, MESSAGE, audiences)
    assert out == {
        "object": "campaign",
        "id": "C1",
        "name": "Promo",
        "subject": "Hi",
        "from_email": "news@example.com",
        "from_name": "Store",
        "lists": [audiences["L1"]],
        "excluded_lists": [audiences["S1"]],
        "status": "sent",
        "status_id": 1,
        "status_label": "Sent",
        "sent_at": "2022-10-07 14:00:00",
        "send_time": "2022-10-07 14:00:00",
        "created": "2022-10-06 12:43:17",
        "updated": "2022-10-07 14:00:22",
        "num_recipients": 0,
        "campaign_type": "Regular",
        "is_segmented": False,
        "message_type": "email",
        "template_id": "T1",
    }
    assert list(out) == list(out.keys())  # legacy key order is the dict order


def test_campaign_without_message_or_send_time() -> None:
    out = legacy_campaign(_campaign(), None, {})
    assert (out["subject"], out["from_email"], out["from_name"], out["template_id"]) == (
        None,
        None,
        None,
        None,
    )
    assert out["message_type"] == "email"
    assert out["sent_at"] is None and out["send_time"] is None
    assert out["lists"] == [] and out["excluded_lists"] == []


def test_send_time_falls_back_to_strategy_and_throttled_is_batch() -> None:
    strategy = {"method": "throttled", "datetime": "2022-11-02T10:00:00-05:00", "throttle_percentage": 20}
    out = legacy_campaign(_campaign(status="Scheduled", send_strategy=strategy), MESSAGE, {})
    assert out["send_time"] == "2022-11-02 15:00:00"
    assert out["sent_at"] is None
    assert out["campaign_type"] == "Batch"


def test_smart_send_time_has_no_datetime() -> None:
    strategy = {"method": "smart_send_time", "date": "2022-11-02"}
    assert legacy_campaign(_campaign(send_strategy=strategy), MESSAGE, {})["send_time"] is None


def test_legacy_list_object() -> None:
    segment = {
        "type": "segment",
        "id": "UeNm2e",
        "attributes": {"name": "All", "created": "2022-04-13T16:10:35.1+00:00", "updated": None},
    }
    assert legacy_list(segment) == {
        "object": "list",
        "id": "UeNm2e",
        "name": "All",
        "list_type": "segment",
        "folder": None,
        "created": "2022-04-13 16:10:35",
        "updated": None,
        "person_count": 0,
    }
    assert legacy_list({"type": "list", "id": "X", "attributes": {}})["list_type"] == "list"


def test_audience_ids_tolerate_null_and_junk() -> None:
    assert audience_ids(_campaign(audiences={"included": ["A", None, ""], "excluded": None})) == (["A"], [])
    assert audience_ids({"id": "x"}) == ([], [])


def test_distinct_audience_ids_keep_first_appearance() -> None:
    campaigns = [
        _campaign(audiences={"included": ["B", "A"], "excluded": ["C"]}),
        _campaign(audiences={"included": ["A", "D"], "excluded": ["B"]}),
    ]
    assert distinct_audience_ids(campaigns) == ["B", "A", "C", "D"]


def test_campaign_message_by_relationship_then_by_back_reference() -> None:
    included = index_resources([MESSAGE, {"type": "tag", "id": "M1"}, "junk"])
    assert campaign_message(_campaign(), included) is MESSAGE
    orphan = {
        **MESSAGE,
        "id": "M9",
        "relationships": {"campaign": {"data": {"type": "campaign", "id": "C1"}}},
    }
    no_links = {**_campaign(), "relationships": {}}
    assert campaign_message(no_links, index_resources([orphan])) is orphan
    assert campaign_message(no_links, {}) is None


def test_audience_calls_batch_ten_ids_per_call() -> None:
    ids = [f"L{i}" for i in range(12)]
    calls = audience_calls(ids)
    assert [c.op for c in calls] == ["get_lists", "get_lists", "get_segments", "get_segments"]
    assert calls[0].query == {
        "filter": 'any(id,["L0","L1","L2","L3","L4","L5","L6","L7","L8","L9"])',
        "page[size]": "10",
        "fields[list]": "name,created,updated",
    }
    assert calls[3].query["filter"] == 'any(id,["L10","L11"])'
    assert calls[3].query["fields[segment]"] == "name,created,updated"


def test_audience_objects_from_replies() -> None:
    replies = [
        Reply(200, {"data": [{"type": "list", "id": "L1", "attributes": {"name": "A"}}]}),
        Reply(200, {"data": [{"type": "segment", "id": "S1", "attributes": {"name": "B"}}, "junk"]}),
        Reply(200, None),
    ]
    out = audience_objects(replies)
    assert sorted(out) == ["L1", "S1"]
    assert out["S1"]["list_type"] == "segment"
