"""Legacy response shapes (legacy-endpoints.md) asserted by the e2e suites, and their helpers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from tests.e2e import newapi
from tests.e2e.harness import wait_until

# §E1: always present in a person object; custom properties are extra top-level keys.
PERSON_FIXED_KEYS = frozenset(
    {
        "object", "id",
        "$address1", "$address2", "$city", "$country", "$latitude", "$longitude", "$region", "$zip",
        "$email", "$first_name", "$last_name", "$phone_number", "$title", "$organization",
        "$timezone", "$id",
        "email", "first_name", "last_name", "created", "updated",
    }
)  # fmt: skip
# §B legacy campaign object.
CAMPAIGN_KEYS = frozenset(
    {
        "object", "id", "name", "subject", "from_email", "from_name", "lists", "excluded_lists",
        "status", "status_id", "status_label", "sent_at", "send_time", "created", "updated",
        "num_recipients", "campaign_type", "is_segmented", "message_type", "template_id",
    }
)  # fmt: skip
LEGACY_LIST_KEYS = frozenset(
    {"object", "id", "name", "list_type", "folder", "created", "updated", "person_count"}
)
TEMPLATE_KEYS = frozenset({"object", "id", "name", "html", "is_writeable", "created", "updated"})
METRIC_KEYS = frozenset({"object", "id", "name", "integration", "created", "updated"})
INTEGRATION_KEYS = frozenset({"object", "id", "name", "category"})
EVENT_KEYS = frozenset(
    {
        "object",
        "id",
        "statistic_id",
        "timestamp",
        "event_name",
        "event_properties",
        "datetime",
        "uuid",
        "person",
    }
)
PAGE_KEYS = frozenset({"object", "data", "page", "start", "end", "total", "page_size"})
TIMELINE_KEYS = frozenset({"object", "count", "data", "next"})
EXPORT_KEYS = frozenset({"metric", "start_date", "end_date", "unit", "measurement", "by", "where", "results"})

V1_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
EVENT_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00:00$")
V2_CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SUCCESSOR = re.compile(r"Successor: .+ \(https://developers\.klaviyo\.com/\S+\)\.$")
HTML = "text/html; charset=utf-8"  # track/identify answers


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def unique_email(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:10]}@example.com"


def unique_phone() -> str:
    return "+1312555" + f"{uuid.uuid4().int % 10_000:04d}"


def assert_person(person: dict[str, Any], custom: Iterable[str] = ()) -> None:
    expected = PERSON_FIXED_KEYS | set(custom)
    assert set(person) == expected, sorted(set(person) ^ expected)
    assert person["object"] == "person"
    assert V1_DATETIME.match(person["created"]) and V1_DATETIME.match(person["updated"]), person
    assert person["email"] == person["$email"]
    assert person["first_name"] == person["$first_name"] and person["last_name"] == person["$last_name"]


def assert_public_one(response: Any) -> None:
    """Legacy track/identify success: HTTP 200, ``text/html; charset=utf-8``, body ``1``."""
    assert response.status_code == 200 and response.text == "1", response.text
    assert response.headers["content-type"].lower().replace(" ", "") == HTML.replace(" ", "")


def assert_campaign(campaign: dict[str, Any]) -> None:
    assert set(campaign) == CAMPAIGN_KEYS, sorted(set(campaign) ^ CAMPAIGN_KEYS)
    assert campaign["object"] == "campaign" and campaign["message_type"] == "email"
    assert V1_DATETIME.match(campaign["created"]) and V1_DATETIME.match(campaign["updated"]), campaign
    assert isinstance(campaign["num_recipients"], int) and campaign["num_recipients"] >= 0, campaign
    assert campaign["is_segmented"] is False
    assert campaign["campaign_type"] in ("Regular", "Batch")
    for audience in (*campaign["lists"], *campaign["excluded_lists"]):
        assert set(audience) == LEGACY_LIST_KEYS, audience
        assert audience["object"] == "list" and audience["list_type"] in ("list", "segment")
        assert isinstance(audience["person_count"], int) and audience["person_count"] >= 0, audience
        assert V1_DATETIME.match(audience["created"]) and V1_DATETIME.match(audience["updated"])


def assert_template(template: dict[str, Any]) -> None:
    assert set(template) == TEMPLATE_KEYS, sorted(set(template) ^ TEMPLATE_KEYS)
    assert template["object"] == "email-template"
    assert V1_DATETIME.match(template["created"]) and V1_DATETIME.match(template["updated"]), template


def assert_offset_page(envelope: dict[str, Any], page: int, count: int) -> None:
    """§0.6 style 1: page_size = len(data), start = page*count, end = start+page_size-1."""
    assert set(envelope) == PAGE_KEYS, sorted(envelope)
    assert envelope["object"] == "$list" and envelope["page"] == page
    size = len(envelope["data"])
    assert envelope["page_size"] == size <= count
    if size:
        assert (envelope["start"], envelope["end"]) == (page * count, page * count + size - 1), envelope
        assert envelope["total"] >= envelope["end"] + 1
    elif envelope["total"] == 0:
        assert (envelope["start"], envelope["end"]) == (0, 0)


def assert_event(event: dict[str, Any]) -> None:
    assert set(event) == EVENT_KEYS, sorted(set(event) ^ EVENT_KEYS)
    assert event["object"] == "event"
    assert isinstance(event["timestamp"], int) and EVENT_DATETIME.match(event["datetime"]), event
    assert isinstance(event["event_properties"], dict)
    assert event["person"]["object"] == "person"


def assert_timeline(envelope: dict[str, Any]) -> list[dict[str, Any]]:
    assert set(envelope) == TIMELINE_KEYS, sorted(envelope)
    assert envelope["object"] == "$list" and envelope["count"] == len(envelope["data"])
    for event in envelope["data"]:
        assert_event(event)
    return list(envelope["data"])


def assert_metric(metric: dict[str, Any]) -> None:
    assert set(metric) == METRIC_KEYS, sorted(set(metric) ^ METRIC_KEYS)
    assert metric["object"] == "metric"
    assert set(metric["integration"]) == INTEGRATION_KEYS and metric["integration"]["object"] == "integration"
    assert V1_DATETIME.match(metric["created"]) and V1_DATETIME.match(metric["updated"])


def assert_unsupported(status: int, body: Any, *, names: str) -> str:
    """501 with the legacy v1 error shape whose message names the successor and its docs."""
    assert status == 501, body
    assert isinstance(body, dict) and set(body) == {"status", "message"} and body["status"] == 501, body
    message = str(body["message"])
    assert "not supported by the new Klaviyo API" in message and names in message, message
    assert SUCCESSOR.search(message), message
    return message


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    assert wait_until(predicate, timeout=timeout), f"timed out waiting for {what}"


def wait_for_profile(client: httpx.Client, email: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def look() -> bool:
        profile = newapi.find_profile(client, email)
        if profile is not None:
            found.append(profile)
        return profile is not None

    wait_for(look, f"profile {email}")
    return found[-1]
