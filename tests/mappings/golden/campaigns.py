"""Golden cases: B1 GET /api/v1/campaigns (page/count pages over a cursor enumeration).

Upstream fixtures are new-API resources; expected answers are written out literally.
v1 clients send the key as the ``api_key`` query parameter (Ruby also in a JSON body).
"""

from __future__ import annotations

from typing import Any

KEY = "pk_0123456789abcdef0123456789abcdef01"
PATH = "/api/v1/campaigns"
CAMPAIGNS_QUERY = {
    "filter": "equals(messages.channel,'email')",
    "sort": "-created_at",
    "include": "campaign-messages",
    "page[size]": "100",
}
NEXT = (
    "https://a.klaviyo.com/api/campaigns/?filter=equals%28messages.channel%2C%27email%27%29"
    "&include=campaign-messages&page%5Bsize%5D=100&sort=-created_at&page%5Bcursor%5D=bmV4dA%3D%3D"
)


# --------------------------------------------------------------------------- upstream fixtures


def campaign(
    cid: str,
    name: str,
    status: str = "Draft",
    created: str = "2022-10-06T12:43:17.123456+00:00",
    *,
    included: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    send_time: str | None = None,
    strategy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "type": "campaign",
        "id": cid,
        "attributes": {
            "name": name,
            "status": status,
            "archived": False,
            "audiences": {"included": list(included), "excluded": list(excluded)},
            "send_options": {"use_smart_sending": True},
            "tracking_options": {
                "add_tracking_params": False,
                "is_tracking_clicks": True,
                "is_tracking_opens": True,
            },
            "send_strategy": strategy or {"method": "immediate"},
            "created_at": created,
            "scheduled_at": None,
            "updated_at": "2022-10-07T14:00:22+00:00",
            "send_time": send_time,
        },
        "relationships": {
            "campaign-messages": {
                "data": [{"type": "campaign-message", "id": f"M{cid}"}],
                "links": {"self": "https://a.klaviyo.com/x", "related": "https://a.klaviyo.com/y"},
            }
        },
        "links": {"self": f"https://a.klaviyo.com/api/campaigns/{cid}/"},
    }


def message(cid: str, subject: str, template: str | None = None) -> dict[str, Any]:
    relationships: dict[str, Any] = {"campaign": {"data": {"type": "campaign", "id": cid}}}
    if template is not None:
        relationships["template"] = {"data": {"type": "template", "id": template}}
    return {
        "type": "campaign-message",
        "id": f"M{cid}",
        "attributes": {
            "definition": {
                "channel": "email",
                "label": subject,
                "content": {
                    "subject": subject,
                    "preview_text": "",
                    "from_email": "news@example.com",
                    "from_label": "Example Store",
                    "reply_to_email": None,
                    "cc_email": None,
                    "bcc_email": None,
                },
            },
            "send_times": [],
            "created_at": "2022-10-06T12:43:17+00:00",
            "updated_at": "2022-10-06T12:43:17+00:00",
        },
        "relationships": relationships,
        "links": {"self": f"https://a.klaviyo.com/api/campaign-messages/M{cid}/"},
    }


def campaigns_call(
    data: list[dict[str, Any]],
    included: list[dict[str, Any]],
    *,
    cursor: str | None = None,
    next_link: str | None = None,
    status: int = 200,
    json: Any = None,
) -> dict[str, Any]:
    query = dict(CAMPAIGNS_QUERY)
    if cursor is not None:
        query["page[cursor]"] = cursor
    if json is None:
        json = {
            "data": data,
            "included": included,
            "links": {"self": "https://a.klaviyo.com/api/campaigns/", "next": next_link, "prev": None},
        }
    return {
        "method": "GET",
        "path": "/api/campaigns",
        "query": query,
        "auth": KEY,
        "reply": {"status": status, "json": json},
    }


def audience(kind: str, ident: str, name: str) -> dict[str, Any]:
    return {
        "type": kind,
        "id": ident,
        "attributes": {
            "name": name,
            "created": "2022-04-13T16:10:35+00:00",
            "updated": "2022-04-13T16:10:47+00:00",
        },
        "links": {"self": f"https://a.klaviyo.com/api/{kind}s/{ident}/"},
    }


def audience_call(kind: str, ids: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    op_path = "/api/lists" if kind == "list" else "/api/segments"
    return {
        "method": "GET",
        "path": op_path,
        "query": {"filter": f"any(id,{ids})", "page[size]": "10", f"fields[{kind}]": "name,created,updated"},
        "auth": KEY,
        "reply": {"status": 200, "json": {"data": found, "links": {"self": "x", "next": None}}},
    }


# --------------------------------------------------------------------------- expected legacy objects


def legacy_list(ident: str, name: str, list_type: str) -> dict[str, Any]:
    return {
        "object": "list",
        "id": ident,
        "name": name,
        "list_type": list_type,
        "folder": None,
        "created": "2022-04-13 16:10:35",
        "updated": "2022-04-13 16:10:47",
        "person_count": 0,
    }


def legacy(
    cid: str,
    name: str,
    subject: str,
    *,
    status: tuple[str, int | None, str] = ("draft", 2, "Draft"),
    lists: list[dict[str, Any]] | None = None,
    excluded: list[dict[str, Any]] | None = None,
    sent_at: str | None = None,
    send_time: str | None = None,
    created: str = "2022-10-06 12:43:17",
    campaign_type: str = "Regular",
    template_id: str | None = None,
) -> dict[str, Any]:
    return {
        "object": "campaign", "id": cid, "name": name, "subject": subject,
        "from_email": "news@example.com", "from_name": "Example Store",
        "lists": lists or [], "excluded_lists": excluded or [],
        "status": status[0], "status_id": status[1], "status_label": status[2],
        "sent_at": sent_at, "send_time": send_time,
        "created": created, "updated": "2022-10-07 14:00:22",
        "num_recipients": 0, "campaign_type": campaign_type, "is_segmented": False,
        "message_type": "email", "template_id": template_id,
    }  # fmt: skip


def envelope(data: list[Any], page: int, start: int, end: int, total: int) -> dict[str, Any]:
    return {
        "object": "$list",
        "data": data,
        "page": page,
        "start": start,
        "end": end,
        "total": total,
        "page_size": len(data),
    }


def request(*query: tuple[str, str], key: bool = True) -> dict[str, Any]:
    pairs = [*query, ("api_key", KEY)] if key else list(query)
    return {"method": "GET", "path": PATH, "query": pairs}


# Five campaigns, newest first, C1..C5.
FIVE = [campaign(f"C{i}", f"Campaign {i}", created=f"2022-10-0{6 - i}T12:00:00+00:00") for i in range(1, 6)]
FIVE_MESSAGES = [message(f"C{i}", f"Subject {i}") for i in range(1, 6)]


def five_legacy(i: int) -> dict[str, Any]:
    return legacy(f"C{i}", f"Campaign {i}", f"Subject {i}", created=f"2022-10-0{6 - i} 12:00:00")


AUTH_ERROR = {
    "errors": [
        {
            "id": "x",
            "status": 401,
            "code": "not_authenticated",
            "title": "Incorrect authentication credentials.",
            "detail": "Incorrect authentication credentials.",
        }
    ]
}

THROTTLED_ERROR = {
    "errors": [
        {
            "id": "x",
            "status": 429,
            "code": "throttled",
            "title": "Request was throttled.",
            "detail": "Request was throttled. Expected available in 6 seconds.",
        }
    ]
}

PAGE_RULE = "page must be an integer from 0 to 1000000000."
COUNT_RULE = "count must be an integer between 1 and 100."
# (case id, parameter, value, legacy v1 400 message); no upstream call is made.
BAD_PAGING = [
    ("B1-bad-page", "page", "-1", f"Invalid page '-1': {PAGE_RULE}"),
    ("B1-bad-page-not-a-number", "page", "two", f"Invalid page 'two': {PAGE_RULE}"),
    ("B1-count-zero", "count", "0", f"Invalid count '0': {COUNT_RULE}"),
    ("B1-count-over-100", "count", "101", f"Invalid count '101': {COUNT_RULE}"),
]


def bad_paging_case(case_id: str, name: str, value: str, message: str) -> dict[str, Any]:
    return {
        "id": case_id,
        "request": request((name, value)),
        "upstream": [],
        "response": {"status": 400, "json": {"status": 400, "message": message}},
    }


# --------------------------------------------------------------------------- cases

CASES: list[dict[str, Any]] = [
    {
        "id": "B1-first-page-with-list-and-segment-audiences",
        "request": request(("page", "0"), ("count", "2")),
        "upstream": [
            campaigns_call(
                [
                    campaign(
                        "01GEPN4N5YQXWFSXA0MGMV4BM7",
                        "10/22 Weekend Promo",
                        "Sent",
                        "2022-10-06T14:43:17+02:00",
                        included=("UeNm2e",),
                        excluded=("TC78ZS",),
                        send_time="2022-10-07T14:00:00+00:00",
                    ),
                    campaign("C2", "Draft one", included=("UeNm2e", "Xy12Ab")),
                    campaign(
                        "C3",
                        "Not on this page",
                        created="2022-10-06T12:43:17.000001+00:00",
                        included=("ZZZZZZ",),
                    ),
                ],
                [
                    message("01GEPN4N5YQXWFSXA0MGMV4BM7", "A surprise for you, {{ first_name }}!", "RudGfD"),
                    message("C2", "Draft subject"),
                    message("C3", "Other"),
                ],
            ),
            audience_call(
                "list",
                '["UeNm2e","TC78ZS","Xy12Ab"]',
                [audience("list", "UeNm2e", "Newsletter"), audience("list", "Xy12Ab", "VIP")],
            ),
            audience_call(
                "segment", '["UeNm2e","TC78ZS","Xy12Ab"]', [audience("segment", "TC78ZS", "Soft Bounces")]
            ),
        ],
        "response": {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "json": envelope(
                [
                    legacy(
                        "01GEPN4N5YQXWFSXA0MGMV4BM7",
                        "10/22 Weekend Promo",
                        "A surprise for you, {{ first_name }}!",
                        status=("sent", 1, "Sent"),
                        lists=[legacy_list("UeNm2e", "Newsletter", "list")],
                        excluded=[legacy_list("TC78ZS", "Soft Bounces", "segment")],
                        sent_at="2022-10-07 14:00:00",
                        send_time="2022-10-07 14:00:00",
                        created="2022-10-06 12:43:17",
                        template_id="RudGfD",
                    ),
                    legacy(
                        "C2",
                        "Draft one",
                        "Draft subject",
                        lists=[
                            legacy_list("UeNm2e", "Newsletter", "list"),
                            legacy_list("Xy12Ab", "VIP", "list"),
                        ],
                    ),
                ],
                page=0,
                start=0,
                end=1,
                total=3,
            ),
        },
    },
    {
        "id": "B1-middle-page",
        "request": request(("page", "1"), ("count", "2")),
        "upstream": [campaigns_call(FIVE, FIVE_MESSAGES)],
        "response": {"status": 200, "json": envelope([five_legacy(3), five_legacy(4)], 1, 2, 3, 5)},
    },
    {
        # Legacy: last page of 155 with count 50 -> start 150, end 154, page_size 5.
        "id": "B1-last-page-partial",
        "request": request(("page", "2"), ("count", "2")),
        "upstream": [campaigns_call(FIVE, FIVE_MESSAGES)],
        "response": {"status": 200, "json": envelope([five_legacy(5)], 2, 4, 4, 5)},
    },
    {
        # Past the end: no rows, start = end = page*count (>= total - 1, so client loops stop).
        "id": "B1-past-the-end",
        "request": request(("page", "5"), ("count", "2")),
        "upstream": [campaigns_call(FIVE, FIVE_MESSAGES)],
        "response": {"status": 200, "json": envelope([], 5, 10, 10, 5)},
    },
    {
        "id": "B1-empty-account",
        "request": request(),
        "upstream": [campaigns_call([], [])],
        "response": {"status": 200, "json": envelope([], 0, 0, 0, 0)},
    },
    {
        # Defaults page 0 / count 50; the enumeration follows links.next.
        "id": "B1-two-cursor-pages",
        "request": request(),
        "upstream": [
            campaigns_call(FIVE[:3], FIVE_MESSAGES[:3], next_link=NEXT),
            campaigns_call(FIVE[3:], FIVE_MESSAGES[3:], cursor="bmV4dA=="),
        ],
        "response": {"status": 200, "json": envelope([five_legacy(i) for i in range(1, 6)], 0, 0, 4, 5)},
    },
    {
        # Statuses, send strategies, 12 audiences -> two batches of 10 per lookup, deleted audience dropped.
        "id": "B1-statuses-and-batched-audiences",
        "request": {
            "method": "GET",
            "path": PATH,
            "query": [("api_key", KEY)],
            "json": {"api_key": KEY, "page": 0, "count": 3},
        },  # Ruby: key in query and JSON body
        "upstream": [
            campaigns_call(
                [
                    campaign(
                        "S1",
                        "Scheduled",
                        "Scheduled",
                        "2022-10-06T12:43:17.3+00:00",
                        included=tuple(f"L{i:05d}" for i in range(11)),
                        strategy={
                            "method": "static",
                            "datetime": "2022-11-01T09:00:00+00:00",
                            "options": {"is_local": False},
                        },
                    ),
                    campaign(
                        "S2",
                        "Throttled",
                        "Sending",
                        "2022-10-06T12:43:17.2+00:00",
                        included=("SEG001",),
                        send_time="2022-11-02T10:00:00+00:00",
                        strategy={
                            "method": "throttled",
                            "datetime": "2022-11-02T10:00:00+00:00",
                            "throttle_percentage": 20,
                        },
                    ),
                    campaign(
                        "S3",
                        "Cancelled",
                        "Cancelled: No Recipients",
                        "2022-10-06T12:43:17.1+00:00",
                        excluded=("L00000",),
                    ),
                ],
                [message("S1", "One"), message("S2", "Two"), message("S3", "Three")],
            ),
            audience_call(
                "list",
                '["L00000","L00001","L00002","L00003","L00004","L00005","L00006","L00007","L00008","L00009"]',
                [audience("list", f"L{i:05d}", f"List {i}") for i in range(10)],
            ),
            audience_call("list", '["L00010","SEG001"]', []),
            audience_call(
                "segment",
                '["L00000","L00001","L00002","L00003","L00004","L00005","L00006","L00007","L00008","L00009"]',
                [],
            ),
            audience_call("segment", '["L00010","SEG001"]', [audience("segment", "SEG001", "Engaged")]),
        ],
        "response": {
            "status": 200,
            "json": envelope(
                [
                    legacy(
                        "S1",
                        "Scheduled",
                        "One",
                        status=("scheduled", None, "Scheduled"),
                        lists=[legacy_list(f"L{i:05d}", f"List {i}", "list") for i in range(10)],
                        send_time="2022-11-01 09:00:00",
                    ),
                    legacy(
                        "S2",
                        "Throttled",
                        "Two",
                        status=("sending", None, "Sending"),
                        lists=[legacy_list("SEG001", "Engaged", "segment")],
                        send_time="2022-11-02 10:00:00",
                        campaign_type="Batch",
                    ),
                    legacy(
                        "S3",
                        "Cancelled",
                        "Three",
                        status=("cancelled", None, "Cancelled"),
                        excluded=[legacy_list("L00000", "List 0", "list")],
                    ),
                ],
                page=0,
                start=0,
                end=2,
                total=3,
            ),
        },
    },
    {
        # Created within the same second (whole-second created_at): upstream answers a tie in
        # creation order (T1 first); legacy order is newest first, so the tie is reversed.
        "id": "B1-same-second-ties-newest-first",
        "request": request(),
        "upstream": [
            campaigns_call(
                [
                    campaign("T0", "Later second", created="2022-10-06T12:43:18+00:00"),
                    campaign("T1", "First", created="2022-10-06T12:43:17+00:00"),
                    campaign("T2", "Second", created="2022-10-06T12:43:17+00:00"),
                    campaign("T3", "Third", created="2022-10-06T12:43:17+00:00"),
                    campaign("T4", "Earlier second", created="2022-10-06T12:43:16+00:00"),
                ],
                [message(f"T{i}", f"S{i}") for i in range(5)],
            )
        ],
        "response": {
            "status": 200,
            "json": envelope(
                [
                    legacy("T0", "Later second", "S0", created="2022-10-06 12:43:18"),
                    legacy("T3", "Third", "S3"),
                    legacy("T2", "Second", "S2"),
                    legacy("T1", "First", "S1"),
                    legacy("T4", "Earlier second", "S4", created="2022-10-06 12:43:16"),
                ],
                page=0,
                start=0,
                end=4,
                total=5,
            ),
        },
    },
    *[bad_paging_case(*args) for args in BAD_PAGING],
    {
        # Throttled while walking the cursor pages: nothing is answered from the partial walk.
        "id": "B1-throttled-on-second-cursor-page",
        "request": request(),
        "upstream": [
            campaigns_call(FIVE[:3], FIVE_MESSAGES[:3], next_link=NEXT),
            {
                **campaigns_call([], [], cursor="bmV4dA=="),
                "reply": {"status": 429, "headers": {"Retry-After": "6"}, "json": THROTTLED_ERROR},
            },
        ],
        "response": {
            "status": 429,
            "headers": {"retry-after": "6"},
            "json": {"status": 429, "message": "Request was throttled. Expected available in 6 seconds."},
        },
    },
    {
        "id": "B1-upstream-401-becomes-403",
        "request": request(("page", "0")),
        "upstream": [campaigns_call([], [], status=401, json=AUTH_ERROR)],
        "response": {
            "status": 403,
            "json": {"status": 403, "message": "Incorrect authentication credentials."},
        },
    },
]
