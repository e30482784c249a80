"""Golden cases: F13 group members (marker pages), F14 / S3 segment checks, S4 v1 lists."""

from __future__ import annotations

from typing import Any

from tests.mappings.golden._audiences import (
    FORBIDDEN_V1,
    FORBIDDEN_V2,
    KEY,
    LIST_ID,
    NOT_FOUND,
    SEGMENT_ID,
    THROTTLED,
    THROTTLED_V1,
    THROTTLED_V2,
    UNAUTHORIZED,
    audience,
    collection,
    exchange,
    generated,
    lookup,
    php_form_v2,
    profile,
    python_v2,
    v1_error,
    v2_error,
)

GROUP_QUERY = {"fields[profile]": "email,phone_number", "page[size]": "100"}
JOINED = "2022-01-07T16:53:04+00:00"
ABE = profile("01FSYFMNVE1C326S73G4EB2JHX", "abe@example.com", None, JOINED)
GINO = profile("01FSYFMNJN03JRPH8MTWT33FE6", "gino@example.com", "+393466316445", JOINED)
PHONE_ONLY = profile("01FSYFMNZZ0000000000000000", None, "+13125550100", JOINED)
LISTS_QUERY = {"fields[list]": "name,created,updated", "page[size]": "10"}
SEGMENTS_QUERY = {"fields[segment]": "name,created,updated", "page[size]": "10"}


def members(kind: str, ident: str, data: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    path = f"/api/{kind}s/{ident}/profiles"
    cursor = kw.pop("cursor", None)
    query = dict(GROUP_QUERY) if cursor is None else {**GROUP_QUERY, "page[cursor]": cursor}
    if "status" in kw:
        return exchange("GET", path, query=query, **kw)
    return exchange("GET", path, query=query, reply=collection(data, path, kw.get("next_cursor")))


def audiences_page(
    op: str,
    query: dict[str, str],
    data: list[dict[str, Any]],
    cursor: str | None = None,
    next_cursor: str | None = None,
) -> dict[str, Any]:
    path = f"/api/{op}"
    full = dict(query) if cursor is None else {**query, "page[cursor]": cursor}
    return exchange("GET", path, query=full, reply=collection(data, path, next_cursor))


def v1_list(ident: str, name: str, kind: str, created: str) -> dict[str, Any]:
    return {
        "object": "list",
        "id": ident,
        "name": name,
        "list_type": kind,
        "folder": None,
        "created": created,
        "updated": "2022-04-13 16:10:47",
        "person_count": 0,
    }


NEWSLETTER = audience("list", "TYtwpp", "Newsletter", "2019-05-16T17:25:04+00:00")
VIP = audience("list", "SfTsRH", "VIP", "2021-10-15T11:30:59+00:00")
REPEAT = audience("segment", "QWsEek", "Repeat Buyers", "2021-10-15T11:30:59+00:00")
ENGAGED = audience("segment", "RrTtYy", "Engaged", "2022-06-01T00:00:00+00:00")
ALL_V1 = [
    v1_list("RrTtYy", "Engaged", "segment", "2022-06-01 00:00:00"),
    v1_list("QWsEek", "Repeat Buyers", "segment", "2021-10-15 11:30:59"),
    v1_list("SfTsRH", "VIP", "list", "2021-10-15 11:30:59"),
    v1_list("TYtwpp", "Newsletter", "list", "2019-05-16 17:25:04"),
]

CASES: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- F13 group members
    {
        "id": "F13-list-members-last-page",
        "request": python_v2("GET", f"/api/v2/group/{LIST_ID}/members/all"),
        "upstream": [
            members("list", LIST_ID, [GINO], next_cursor="c2"),
            members("list", LIST_ID, [ABE, PHONE_ONLY], cursor="c2"),
        ],
        "response": {
            "status": 200,
            "json": {
                "records": [
                    {
                        "id": "01FSYFMNJN03JRPH8MTWT33FE6",
                        "email": "gino@example.com",
                        "phone_number": "+393466316445",
                    },
                    {"id": "01FSYFMNVE1C326S73G4EB2JHX", "email": "abe@example.com"},
                    {"id": "01FSYFMNZZ0000000000000000", "phone_number": "+13125550100"},
                ]
            },
        },
    },
    {
        # No list with that ID: the same ID is read as a segment.
        "id": "F13-segment-members",
        "request": generated("GET", f"/api/v2/group/{SEGMENT_ID}/members/all"),
        "upstream": [
            members("list", SEGMENT_ID, [], status=404, reply=NOT_FOUND),
            members("segment", SEGMENT_ID, [ABE]),
        ],
        "response": {
            "status": 200,
            "json": {"records": [{"id": "01FSYFMNVE1C326S73G4EB2JHX", "email": "abe@example.com"}]},
        },
    },
    {
        "id": "F13-unknown-group",
        "request": python_v2("GET", "/api/v2/group/Nope99/members/all"),
        "upstream": [
            members("list", "Nope99", [], status=404, reply=NOT_FOUND),
            members("segment", "Nope99", [], status=404, reply=NOT_FOUND),
        ],
        "response": v2_error(404, "List or segment not found."),
    },
    {
        "id": "F13-unknown-marker",
        "request": php_form_v2("GET", f"/api/v2/group/{LIST_ID}/members/all", [("marker", "103623538132")]),
        "upstream": [],
        "response": v2_error(
            400,
            "The marker 103623538132 is unknown or has expired. Start again from the first page (no marker).",
        ),
    },
    {
        "id": "F13-throttled",
        "request": generated("GET", f"/api/v2/group/{LIST_ID}/members/all"),
        "upstream": [members("list", LIST_ID, [], status=429, reply=THROTTLED, headers={"Retry-After": "7"})],
        "response": THROTTLED_V2,
    },
    {
        # A 401 is no "not a list": the segment is not tried.
        "id": "F13-upstream-401-becomes-403",
        "request": python_v2("GET", f"/api/v2/group/{LIST_ID}/members/all"),
        "upstream": [members("list", LIST_ID, [], status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    # ---------------------------------------------------------------- F14 / S3 segment checks
    {
        "id": "F14-segment-check",
        "request": generated(
            "POST",
            f"/api/v2/segment/{SEGMENT_ID}/get-members",
            body={
                "emails": ["abe@example.com", "nobody@example.com"],
                "phone_numbers": [],
                "push_tokens": [],
            },
        ),
        "upstream": [
            lookup(f"segments/{SEGMENT_ID}", "email", ["abe@example.com", "nobody@example.com"], [ABE])
        ],
        "response": {
            "status": 200,
            "json": [
                {
                    "id": "01FSYFMNVE1C326S73G4EB2JHX",
                    "email": "abe@example.com",
                    "created": "2022-01-07T16:53:04Z",
                }
            ],
        },
    },
    {
        "id": "F14-unknown-segment",
        "request": python_v2(
            "POST", f"/api/v2/segment/{LIST_ID}/get-members", {"emails": ["abe@example.com"]}
        ),
        "upstream": [
            lookup(f"segments/{LIST_ID}", "email", ["abe@example.com"], [], status=404, reply=NOT_FOUND)
        ],
        "response": v2_error(404, "Segment not found."),
    },
    {
        "id": "F14-throttled",
        "request": generated(
            "POST", f"/api/v2/segment/{SEGMENT_ID}/get-members", body={"emails": ["abe@example.com"]}
        ),
        "upstream": [
            lookup(
                f"segments/{SEGMENT_ID}",
                "email",
                ["abe@example.com"],
                [],
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            )
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "F14-upstream-401-becomes-403",
        "request": python_v2(
            "POST", f"/api/v2/segment/{SEGMENT_ID}/get-members", {"emails": ["abe@example.com"]}
        ),
        "upstream": [
            lookup(f"segments/{SEGMENT_ID}", "email", ["abe@example.com"], [], status=401, reply=UNAUTHORIZED)
        ],
        "response": FORBIDDEN_V2,
    },
    {
        "id": "F14-more-than-100-emails",
        "request": python_v2(
            "POST",
            f"/api/v2/segment/{SEGMENT_ID}/get-members",
            {"emails": [f"p{i}@example.com" for i in range(101)]},
        ),
        "upstream": [],
        "response": v2_error(400, "At most 100 values can be given in 'emails'."),
    },
    {
        # Python k3 get_members_from_segment: one comma-joined `email` query parameter.
        "id": "S3-comma-joined-emails",
        "request": {
            "method": "GET",
            "path": f"/api/v1/segment/{SEGMENT_ID}/members",
            "query": [("email", "abe@example.com,gino@example.com"), ("api_key", KEY)],
        },
        "upstream": [
            lookup(f"segments/{SEGMENT_ID}", "email", ["abe@example.com", "gino@example.com"], [ABE, GINO])
        ],
        "response": {
            "status": 200,
            "json": [
                {
                    "id": "01FSYFMNVE1C326S73G4EB2JHX",
                    "email": "abe@example.com",
                    "created": "2022-01-07T16:53:04Z",
                },
                {
                    "id": "01FSYFMNJN03JRPH8MTWT33FE6",
                    "email": "gino@example.com",
                    "created": "2022-01-07T16:53:04Z",
                },
            ],
        },
    },
    {
        "id": "S3-unknown-segment-v1-404",
        "request": generated(
            "GET", f"/api/v1/segment/{SEGMENT_ID}/members", query=[("email", "abe@example.com")]
        ),
        "upstream": [
            lookup(f"segments/{SEGMENT_ID}", "email", ["abe@example.com"], [], status=404, reply=NOT_FOUND)
        ],
        "response": v1_error(404, "The requested resource does not exist."),
    },
    {
        "id": "S3-no-email",
        "request": generated("GET", f"/api/v1/segment/{SEGMENT_ID}/members"),
        "upstream": [],
        "response": v1_error(400, "Provide at least one identifier (email)."),
    },
    {
        "id": "S3-more-than-100",
        "request": generated(
            "GET",
            f"/api/v1/segment/{SEGMENT_ID}/members",
            query=[("email", ",".join(f"p{i}@example.com" for i in range(101)))],
        ),
        "upstream": [],
        "response": v1_error(400, "At most 100 values can be given in 'email'."),
    },
    {
        "id": "S3-throttled",
        "request": generated(
            "GET", f"/api/v1/segment/{SEGMENT_ID}/members", query=[("email", "abe@example.com")]
        ),
        "upstream": [
            lookup(
                f"segments/{SEGMENT_ID}",
                "email",
                ["abe@example.com"],
                [],
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            )
        ],
        "response": THROTTLED_V1,
    },
    {
        "id": "S3-upstream-401-becomes-403",
        "request": generated(
            "GET", f"/api/v1/segment/{SEGMENT_ID}/members", query=[("email", "abe@example.com")]
        ),
        "upstream": [
            lookup(f"segments/{SEGMENT_ID}", "email", ["abe@example.com"], [], status=401, reply=UNAUTHORIZED)
        ],
        "response": FORBIDDEN_V1,
    },
    # ---------------------------------------------------------------- S4 v1 lists and segments
    {
        # tap-klaviyo: every list and segment, merged newest first (ties by ID).
        "id": "S4-lists-and-segments",
        "request": generated("GET", "/api/v1/lists"),
        "upstream": [
            audiences_page("lists", LISTS_QUERY, [NEWSLETTER], next_cursor="c2"),
            audiences_page("lists", LISTS_QUERY, [VIP], cursor="c2"),
            audiences_page("segments", SEGMENTS_QUERY, [REPEAT, ENGAGED]),
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": ALL_V1,
                "page": 0,
                "start": 0,
                "end": 3,
                "total": 4,
                "page_size": 4,
            },
        },
    },
    {
        "id": "S4-second-page",
        "request": generated("GET", "/api/v1/lists", query=[("page", "1"), ("count", "3")]),
        "upstream": [
            audiences_page("lists", LISTS_QUERY, [NEWSLETTER, VIP]),
            audiences_page("segments", SEGMENTS_QUERY, [REPEAT, ENGAGED]),
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": ALL_V1[3:],
                "page": 1,
                "start": 3,
                "end": 3,
                "total": 4,
                "page_size": 1,
            },
        },
    },
    {
        "id": "S4-invalid-count",
        "request": generated("GET", "/api/v1/lists", query=[("count", "0")]),
        "upstream": [],
        "response": v1_error(400, "Invalid count '0': count must be an integer between 1 and 100."),
    },
    {
        "id": "S4-throttled",
        "request": generated("GET", "/api/v1/lists"),
        "upstream": [
            exchange(
                "GET",
                "/api/lists",
                query=LISTS_QUERY,
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            )
        ],
        "response": THROTTLED_V1,
    },
    {
        # Lists were read; the segment walk is refused.
        "id": "S4-upstream-401-on-segments-becomes-403",
        "request": generated("GET", "/api/v1/lists"),
        "upstream": [
            audiences_page("lists", LISTS_QUERY, [NEWSLETTER]),
            exchange("GET", "/api/segments", query=SEGMENTS_QUERY, status=401, reply=UNAUTHORIZED),
        ],
        "response": FORBIDDEN_V1,
    },
]
