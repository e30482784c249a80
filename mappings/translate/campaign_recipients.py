"""B9 approximations (opt-in ``approximate_recipients``): a campaign's recipients from what the new API has.

The new API has no per-recipient list of a campaign. With the operator's opt-in:

* a sent campaign's recipients are rebuilt from its "Received Email" events: GET /api/events
  for that metric since an hour before the campaign's send time, keeping the events whose ``$message`` is the
  campaign (or its message) ID, each with its profile's email; ``status`` is "Sent" for all
  (the events do not say delivered, bounced or skipped) and ``variation_id`` is null;
* a draft (any campaign not sent) has no recipients yet: the page is empty and ``total`` is the
  recipient estimation's ``estimated_recipient_count``.

Pure helpers; the plan is ``mappings.operations.campaign_actions.get_campaign_recipients``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Final

from mappings.translate.campaign_objects import index_resources
from mappings.translate.datetimes import parse_iso
from mappings.translate.filter_terms import at, equals

RECEIVED_EMAIL: Final = "Received Email"
APPROXIMATE_HEADER: Final = "X-Compat-Approximate"
FROM_EVENTS: Final = 'recipients rebuilt from "Received Email" events; status is always Sent'
FROM_ESTIMATE: Final = "not sent: no recipients yet, total is the recipient estimation"
DEFAULT_COUNT: Final = 5000
MAX_COUNT: Final = 25000
EVENT_PAGE: Final = 1000  # get_events' page[size] maximum
MAX_EVENT_PAGES: Final = MAX_COUNT // EVENT_PAGE
SEND_MARGIN: Final = timedelta(hours=1)


class BadRecipientsQuery(ValueError):
    """count/sort out of range; the message is client-facing."""


def parse_count(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_COUNT
    try:
        count = int(str(raw))
    except ValueError:
        raise BadRecipientsQuery(
            f"Invalid count '{raw}': count must be an integer between 1 and {MAX_COUNT}."
        ) from None
    if not 1 <= count <= MAX_COUNT:
        raise BadRecipientsQuery(
            f"Invalid count '{raw}': count must be an integer between 1 and {MAX_COUNT}."
        )
    return count


def parse_sort(raw: Any) -> str:
    sort = "asc" if raw is None or raw == "" else str(raw).lower()
    if sort not in ("asc", "desc"):
        raise BadRecipientsQuery(f"Invalid sort '{raw}': sort must be asc or desc.")
    return sort


def event_pages(count: int) -> tuple[int, int]:
    """(page[size], pages) reading at most ``count`` events, so a page never holds more rows."""
    size = min(EVENT_PAGE, count)
    return size, max(1, count // size)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def received_metric_id(metrics: Iterable[Any]) -> str | None:
    """The ID of the account's "Received Email" metric, if it has one."""
    for metric in metrics:
        if _dict(_dict(metric).get("attributes")).get("name") == RECEIVED_EMAIL:
            ident = _dict(metric).get("id")
            if isinstance(ident, str):
                return ident
    return None


def events_query(metric_id: str, since: str | None, sort: str, size: int) -> dict[str, str]:
    """The Received Email events from an hour before the send time (a send's events follow it)."""
    terms = [equals("metric_id", metric_id)]
    try:
        start = parse_iso(since) - SEND_MARGIN if since else None
    except ValueError:
        start = None
    if start is not None:
        terms.append(at("greater-or-equal", "datetime", start))
    return {
        "filter": ",".join(terms),
        "sort": "datetime" if sort == "asc" else "-datetime",
        "include": "profile",
        "fields[event]": "datetime,event_properties",
        "fields[profile]": "email",
        "page[size]": str(size),
    }


def recipient_rows(
    events: Iterable[Any], included: Iterable[Any], message_ids: Iterable[str]
) -> list[dict[str, Any]]:
    """Legacy recipient records from Received Email events of the campaign (one per profile)."""
    wanted = set(message_ids)
    profiles = index_resources(included)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for event in events:
        attributes = _dict(_dict(event).get("attributes"))
        if _dict(attributes.get("event_properties")).get("$message") not in wanted:
            continue
        profile_id = _dict(_dict(_dict(_dict(event).get("relationships")).get("profile")).get("data")).get(
            "id"
        )
        if not isinstance(profile_id, str) or profile_id in seen:
            continue
        seen.add(profile_id)
        email = _dict(_dict(profiles.get(("profile", profile_id))).get("attributes")).get("email")
        rows.append({"email": email, "status": "Sent", "customer_id": profile_id, "variation_id": None})
    return rows
