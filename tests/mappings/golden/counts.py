"""Golden cases: person_count and num_recipients from the count cache (``count_lookups`` on).

Every other golden case runs with lookups off (counts answer 0 without an upstream read); here
they are on, so the stale (never read) counts of the answer are read within their budgets:
profile_count of each list/segment, a draft's recipient estimation, a sent campaign's
recipients in the campaign values report (after one metric read for its conversion metric).
A failed lookup is not an error: the count answers 0 (its last known value).
"""

from __future__ import annotations

from typing import Any

from tests.mappings.golden._audiences import audience as segment_audience
from tests.mappings.golden._audiences import exchange, generated
from tests.mappings.golden.campaign_actions import (
    AUDIENCE_CALLS,
    SENT,
    SENT_LEGACY,
    SENT_MESSAGE,
    request,
)
from tests.mappings.golden.campaign_writes import CID, found, get_call
from tests.mappings.golden.campaigns import KEY, campaign, legacy, message
from tests.mappings.golden.segments import LISTS_QUERY, SEGMENTS_QUERY, audiences_page, v1_list

ON = {"count_lookups": True}


def call(method: str, path: str, reply: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"method": method, "path": path, "auth": KEY, "reply": reply, **extra}


def profile_count(kind: str, ident: str, count: int | None, status: int = 200) -> dict[str, Any]:
    query = {f"additional-fields[{kind}]": "profile_count"}
    body = {"data": {"type": kind, "id": ident, "attributes": {"profile_count": count}}}
    reply: dict[str, Any] = {"status": status, "json": body if status == 200 else None}
    if status == 429:
        reply = {"status": 429, "headers": {"Retry-After": "30"}, "json": {"errors": []}}
    return call("GET", f"/api/{kind}s/{ident}", reply, query=query)


METRIC_CALL = call(
    "GET",
    "/api/metrics",
    {
        "status": 200,
        "json": {"data": [{"type": "metric", "id": "RcvEml", "attributes": {"name": "Received Email"}}]},
    },
    query={"fields[metric]": "name"},
)


def values_call(ids: list[str], rows: list[tuple[str, str, int]]) -> dict[str, Any]:
    filter_ids = ",".join(f'"{i}"' for i in ids)
    body = {
        "data": {
            "type": "campaign-values-report",
            "attributes": {
                "statistics": ["recipients"],
                # 365 days up to a day after the request (the golden clock: 2026-01-15 12:00 UTC).
                "timeframe": {"start": "2025-01-16T12:00:00+00:00", "end": "2026-01-16T12:00:00+00:00"},
                "conversion_metric_id": "RcvEml",
                "filter": f"contains-any(campaign_id,[{filter_ids}])",
            },
        }
    }
    results = [
        {
            "groupings": {"campaign_id": c, "campaign_message_id": m, "send_channel": "email"},
            "statistics": {"recipients": n},
        }
        for c, m, n in rows
    ]
    reply = {"data": {"type": "campaign-values-report", "id": "r1", "attributes": {"results": results}}}
    return call("POST", "/api/campaign-values-reports", {"status": 200, "json": reply}, json=body)


def estimate_call(cid: str, count: int) -> dict[str, Any]:
    reply = {
        "data": {
            "type": "campaign-recipient-estimation",
            "id": cid,
            "attributes": {"estimated_recipient_count": count},
        }
    }
    return call("GET", f"/api/campaign-recipient-estimations/{cid}", {"status": 200, "json": reply})


NEWSLETTER = segment_audience("list", "TYtwpp", "Newsletter", "2019-05-16T17:25:04+00:00")
ENGAGED = segment_audience("segment", "RrTtYy", "Engaged", "2022-06-01T00:00:00+00:00")
DRAFT = campaign("C2", "Draft one", included=("UeNm2e",))

CASES: list[dict[str, Any]] = [
    {
        "id": "S4-throttled-lookup-answers-0-not-an-error",
        "settings": ON,
        "request": generated("GET", "/api/v1/lists"),
        "upstream": [
            audiences_page("lists", LISTS_QUERY, [NEWSLETTER]),
            audiences_page("segments", SEGMENTS_QUERY, []),
            exchange(
                "GET",
                "/api/lists/TYtwpp",
                query={"additional-fields[list]": "profile_count"},
                status=429,
                headers={"Retry-After": "30"},
                reply={"errors": [{"status": 429, "detail": "Throttled."}]},
            ),
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": [v1_list("TYtwpp", "Newsletter", "list", "2019-05-16 17:25:04")],
                "page": 0,
                "start": 0,
                "end": 0,
                "total": 1,
                "page_size": 1,
            },
        },
    },
    {
        "id": "S4-person-count-from-profile-count",
        "settings": ON,
        "request": generated("GET", "/api/v1/lists"),
        "upstream": [
            audiences_page("lists", LISTS_QUERY, [NEWSLETTER]),
            audiences_page("segments", SEGMENTS_QUERY, [ENGAGED]),
            exchange(
                "GET",
                "/api/segments/RrTtYy",
                query={"additional-fields[segment]": "profile_count"},
                reply={"data": {"type": "segment", "id": "RrTtYy", "attributes": {"profile_count": 1204}}},
            ),
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": [
                    {**v1_list("RrTtYy", "Engaged", "segment", "2022-06-01 00:00:00"), "person_count": 1204},
                    # profile_count allows 1 read a second: this one waits for a later call (0 until).
                    v1_list("TYtwpp", "Newsletter", "list", "2019-05-16 17:25:04"),
                ],
                "page": 0,
                "start": 0,
                "end": 1,
                "total": 2,
                "page_size": 2,
            },
        },
    },
    {
        "id": "B3-sent-campaign-counts-from-values-report",
        "settings": ON,
        "request": request("GET"),
        "upstream": [
            get_call(found(SENT, SENT_MESSAGE)),
            *AUDIENCE_CALLS,
            profile_count("list", "UeNm2e", 3),
            METRIC_CALL,
            values_call([CID], [(CID, "M1", 1200), (CID, "M2", 34)]),
        ],
        "response": {
            "status": 200,
            "json": {
                **SENT_LEGACY,
                "num_recipients": 1234,
                "lists": [{**SENT_LEGACY["lists"][0], "person_count": 3}],
                # One profile_count read a second: the segment's count waits for a later call.
                "excluded_lists": [{**SENT_LEGACY["excluded_lists"][0], "person_count": 0}],
            },
        },
    },
    {
        "id": "B1-draft-counts-from-recipient-estimation",
        "settings": ON,
        "request": {
            "method": "GET",
            "path": "/api/v1/campaigns",
            "query": [("api_key", KEY), ("count", "1")],
        },
        "upstream": [
            {
                "method": "GET",
                "path": "/api/campaigns",
                "query": {
                    "filter": "equals(messages.channel,'email')",
                    "sort": "-created_at",
                    "include": "campaign-messages",
                    "page[size]": "100",
                },
                "auth": KEY,
                "reply": {
                    "status": 200,
                    "json": {"data": [DRAFT], "included": [message("C2", "Draft subject")]},
                },
            },
            {
                "method": "GET",
                "path": "/api/lists",
                "query": {
                    "filter": 'any(id,["UeNm2e"])',
                    "page[size]": "10",
                    "fields[list]": "name,created,updated",
                },
                "auth": KEY,
                "reply": {
                    "status": 200,
                    "json": {
                        "data": [
                            {
                                "type": "list",
                                "id": "UeNm2e",
                                "attributes": {
                                    "name": "Newsletter",
                                    "created": "2022-04-13T16:10:35+00:00",
                                    "updated": "2022-04-13T16:10:47+00:00",
                                },
                            }
                        ]
                    },
                },
            },
            {
                "method": "GET",
                "path": "/api/segments",
                "query": {
                    "filter": 'any(id,["UeNm2e"])',
                    "page[size]": "10",
                    "fields[segment]": "name,created,updated",
                },
                "auth": KEY,
                "reply": {"status": 200, "json": {"data": []}},
            },
            profile_count("list", "UeNm2e", 77),
            estimate_call("C2", 75),
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": [
                    {
                        **legacy(
                            "C2",
                            "Draft one",
                            "Draft subject",
                            lists=[
                                {
                                    "object": "list",
                                    "id": "UeNm2e",
                                    "name": "Newsletter",
                                    "list_type": "list",
                                    "folder": None,
                                    "created": "2022-04-13 16:10:35",
                                    "updated": "2022-04-13 16:10:47",
                                    "person_count": 77,
                                }
                            ],
                        ),
                        "num_recipients": 75,
                    }
                ],
                "page": 0,
                "start": 0,
                "end": 0,
                "total": 1,
                "page_size": 1,
            },
        },
    },
]
