"""Golden cases: F12 list exclusions (v2 marker pages), F15 / F16 global exclusions (v1)."""

from __future__ import annotations

from typing import Any

from tests.mappings.golden._audiences import (
    FORBIDDEN_V1,
    FORBIDDEN_V2,
    KEY,
    LIST_ID,
    NOT_FOUND,
    THROTTLED,
    THROTTLED_V1,
    THROTTLED_V2,
    UNAUTHORIZED,
    collection,
    exchange,
    generated,
    generated_form,
    php_form_v2,
    profile,
    python_v2,
    subscriptions,
    v1_error,
    v2_error,
)

F12 = f"/api/v2/list/{LIST_ID}/exclusions/all"
F15 = "/api/v1/people/exclusions"
FIELDS = {
    "additional-fields[profile]": "subscriptions",
    "fields[profile]": "email,subscriptions",
    "page[size]": "100",
}
LIST_QUERY = {
    **FIELDS,
    "filter": f'equals(subscriptions.email.marketing.list_suppressions.list_id,"{LIST_ID}")',
}
ANY_QUERY = {
    **FIELDS,
    "filter": "greater-than(subscriptions.email.marketing.suppression.timestamp,1970-01-01T00:00:00Z)",
    "sort": "subscriptions.email.marketing.suppression.timestamp",
}
UNKNOWN_MARKER = (
    "The marker 103623538132 is unknown or has expired. Start again from the first page (no marker)."
)


def listed(pid: str, email: str, reason: str, when: str) -> dict[str, Any]:
    entry = {"list_id": LIST_ID, "reason": reason, "timestamp": when}
    return profile(pid, email, None, None, subscriptions(list_suppressions=[entry]))


def suppressed(pid: str, email: str, reason: str, when: str) -> dict[str, Any]:
    return profile(pid, email, None, None, subscriptions(suppression=[{"reason": reason, "timestamp": when}]))


def profiles_page(
    query: dict[str, str],
    data: list[dict[str, Any]],
    cursor: str | None = None,
    next_cursor: str | None = None,
) -> dict[str, Any]:
    full = dict(query) if cursor is None else {**query, "page[cursor]": cursor}
    return exchange("GET", "/api/profiles", query=full, reply=collection(data, "/api/profiles", next_cursor))


def get_list(status: int = 200, reply: Any = None) -> dict[str, Any]:
    if reply is None and status == 200:
        reply = {"data": {"type": "list", "id": LIST_ID, "attributes": {"name": "Newsletter"}}}
    return exchange(
        "GET", f"/api/lists/{LIST_ID}", query={"fields[list]": "name"}, status=status, reply=reply
    )


def suppress(
    email: str, status: int = 202, reply: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    body = {
        "data": {
            "type": "profile-suppression-bulk-create-job",
            "attributes": {"profiles": {"data": [{"type": "profile", "attributes": {"email": email}}]}},
        }
    }
    if reply is None and status == 202:
        reply = {
            "data": {
                "type": "profile-suppression-bulk-create-job",
                "id": "job1",
                "attributes": {
                    "status": "queued",
                    "created_at": "2022-01-07T16:52:45+00:00",
                    "total_count": 1,
                },
            }
        }
    return exchange(
        "POST",
        "/api/profile-suppression-bulk-create-jobs",
        body=body,
        status=status,
        reply=reply,
        headers=headers,
    )


ABE = suppressed("01A", "abe@example.com", "UNSUBSCRIBE", "2021-12-21T14:56:39.123+00:00")
BOB = suppressed("01B", "bob@example.com", "HARD_BOUNCE", "2022-01-02T03:04:05+00:00")
CAT = suppressed("01C", "cat@example.com", "USER_SUPPRESSED", "2022-02-03T04:05:06+00:00")


def exclusion(email: str, reason: str, when: str) -> dict[str, Any]:
    return {"object": "exclusion", "email": email, "reason": reason, "timestamp": when}


CASES: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- F12 list exclusions
    {
        # Fewer than 1000 records: every upstream page in one legacy page, no marker key.
        "id": "F12-last-page-has-no-marker",
        "request": python_v2("GET", F12),
        "upstream": [
            get_list(),
            profiles_page(
                LIST_QUERY,
                [listed("01A", "abe@example.com", "UNSUBSCRIBE", "2021-12-21T14:56:39+00:00")],
                next_cursor="c2",
            ),
            profiles_page(
                LIST_QUERY,
                [listed("01B", "bob@example.com", "USER_SUPPRESSED", "2022-01-02T03:04:05+00:00")],
                cursor="c2",
            ),
        ],
        "response": {
            "status": 200,
            "json": {
                "records": [
                    {
                        "id": "01A",
                        "email": "abe@example.com",
                        "reason": "unsubscribed",
                        "timestamp": "2021-12-21 14:56:39",
                    },
                    {
                        "id": "01B",
                        "email": "bob@example.com",
                        "reason": "manually_excluded",
                        "timestamp": "2022-01-02 03:04:05",
                    },
                ]
            },
        },
    },
    {
        "id": "F12-no-exclusions",
        "request": generated("GET", F12),
        "upstream": [get_list(), profiles_page(LIST_QUERY, [])],
        "response": {"status": 200, "json": {"records": []}},
    },
    {
        # PHP sends the marker in a form body; one the proxy never issued is refused.
        "id": "F12-unknown-marker",
        "request": php_form_v2("GET", F12, [("marker", "103623538132")]),
        "upstream": [],
        "response": v2_error(400, UNKNOWN_MARKER),
    },
    {
        "id": "F12-marker-not-an-integer",
        "request": generated("GET", F12, query=[("marker", "abc")]),
        "upstream": [],
        "response": v2_error(
            400, "Invalid marker 'abc': it must be the integer returned by the previous page."
        ),
    },
    {
        "id": "F12-unknown-list",
        "request": python_v2("GET", F12),
        "upstream": [get_list(status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F12-throttled",
        "request": python_v2("GET", F12),
        "upstream": [
            get_list(),
            exchange(
                "GET",
                "/api/profiles",
                query=LIST_QUERY,
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            ),
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "F12-upstream-401-becomes-403",
        "request": generated("GET", F12),
        "upstream": [get_list(status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    # ---------------------------------------------------------------- F15 global exclusions
    {
        "id": "F15-all-reasons-default-page",
        "request": generated("GET", F15),
        "upstream": [
            profiles_page(ANY_QUERY, [ABE, BOB], next_cursor="c2"),
            profiles_page(ANY_QUERY, [CAT], cursor="c2"),
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": [
                    exclusion("abe@example.com", "unsubscribed", "2021-12-21 14:56:39"),
                    exclusion("bob@example.com", "bounced", "2022-01-02 03:04:05"),
                    exclusion("cat@example.com", "manually_excluded", "2022-02-03 04:05:06"),
                ],
                "page": 0,
                "start": 0,
                "end": 2,
                "total": 3,
                "page_size": 3,
            },
        },
    },
    {
        "id": "F15-one-reason-descending-second-page",
        "request": generated(
            "GET", F15, query=[("reason", "unsubscribed"), ("sort", "desc"), ("count", "1"), ("page", "1")]
        ),
        "upstream": [
            profiles_page(
                {
                    **FIELDS,
                    "filter": 'equals(subscriptions.email.marketing.suppression.reason,"UNSUBSCRIBE")',
                    "sort": "-subscriptions.email.marketing.suppression.timestamp",
                },
                [
                    suppressed("01D", "dan@example.com", "UNSUBSCRIBE", "2022-03-01T00:00:00+00:00"),
                    ABE,
                ],
            )
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": [exclusion("abe@example.com", "unsubscribed", "2021-12-21 14:56:39")],
                "page": 1,
                "start": 1,
                "end": 1,
                "total": 2,
                "page_size": 1,
            },
        },
    },
    {
        "id": "F15-empty",
        "request": generated("GET", F15, query=[("reason", "reported_spam")]),
        "upstream": [
            profiles_page(
                {
                    **FIELDS,
                    "filter": 'equals(subscriptions.email.marketing.suppression.reason,"SPAM_COMPLAINT")',
                    "sort": "subscriptions.email.marketing.suppression.timestamp",
                },
                [],
            )
        ],
        "response": {
            "status": 200,
            "json": {
                "object": "$list",
                "data": [],
                "page": 0,
                "start": 0,
                "end": 0,
                "total": 0,
                "page_size": 0,
            },
        },
    },
    {
        "id": "F15-invalid-reason",
        "request": generated("GET", F15, query=[("reason", "spam")]),
        "upstream": [],
        "response": v1_error(
            400,
            "Invalid reason 'spam': use one of unsubscribed, bounced, invalid_email, reported_spam, "
            "manually_excluded.",
        ),
    },
    {
        "id": "F15-invalid-sort",
        "request": generated("GET", F15, query=[("sort", "newest")]),
        "upstream": [],
        "response": v1_error(400, "Invalid sort 'newest': use one of asc, desc."),
    },
    {
        "id": "F15-throttled",
        "request": generated("GET", F15),
        "upstream": [
            exchange(
                "GET",
                "/api/profiles",
                query=ANY_QUERY,
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            )
        ],
        "response": THROTTLED_V1,
    },
    {
        "id": "F15-upstream-401-becomes-403",
        "request": generated("GET", F15),
        "upstream": [exchange("GET", "/api/profiles", query=ANY_QUERY, status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V1,
    },
    # ---------------------------------------------------------------- F16 exclude globally
    {
        "id": "F16-form-email",
        "request": generated_form("POST", F15, [("email", "abe@example.com")]),
        "upstream": [suppress("abe@example.com")],
        "response": {"status": 200, "json": {"object": "exclusion", "email": "abe@example.com"}},
    },
    {
        "id": "F16-query-email",
        "request": {"method": "POST", "path": F15, "query": [("api_key", KEY), ("email", "abe@example.com")]},
        "upstream": [suppress("abe@example.com")],
        "response": {"status": 200, "json": {"object": "exclusion", "email": "abe@example.com"}},
    },
    {
        "id": "F16-missing-email",
        "request": generated_form("POST", F15, [("email", "")]),
        "upstream": [],
        "response": v1_error(400, "The 'email' parameter is required."),
    },
    {
        "id": "F16-upstream-401-becomes-403",
        "request": generated_form("POST", F15, [("email", "abe@example.com")]),
        "upstream": [suppress("abe@example.com", status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V1,
    },
    {
        "id": "F16-throttled",
        "request": generated_form("POST", F15, [("email", "abe@example.com")]),
        "upstream": [suppress("abe@example.com", status=429, reply=THROTTLED, headers={"Retry-After": "7"})],
        "response": THROTTLED_V1,
    },
]
