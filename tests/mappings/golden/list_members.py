"""Golden cases: F7 unsubscribe, F9 add members, F10 remove members."""

from __future__ import annotations

from typing import Any

from tests.mappings.golden._audiences import (
    FORBIDDEN_V2,
    LIST_ID,
    NOT_FOUND,
    THROTTLED,
    THROTTLED_V2,
    UNAUTHORIZED,
    errors,
    exchange,
    generated,
    lookup,
    php_v2,
    profile,
    python_v2,
    v2_error,
)

GROUP = f"lists/{LIST_ID}"
F7 = f"/api/v2/list/{LIST_ID}/subscribe"
MEMBERS = f"/api/v2/list/{LIST_ID}/members"
ABE = profile("01FRTQ9XJE4WFWEG52Q5J8RY9Q", "abe@example.com", None, "2022-01-07T16:53:04+00:00")
MARY = profile("01FRTQC8TYHY5G3X0BA59NXTZZ", "mary@example.com", "+13125550100", "2022-02-01T08:00:00+00:00")
EMPTY_200 = {"status": 200, "text": ""}
UNSUBSCRIBED = {"marketing": {"consent": "UNSUBSCRIBED"}}
# F9 fan-out: profile-imports run 25 at a time (mappings.operations.lists.UPSERT_GROUP).
FANOUT = [f"p{i:02d}@example.com" for i in range(26)]


def fanout_id(i: int) -> str:
    return f"01FANOUT{i:018d}"


def job(
    profiles: list[dict[str, Any]], status: int = 202, reply: Any = None, headers: Any = None
) -> dict[str, Any]:
    body = {
        "data": {
            "type": "profile-subscription-bulk-delete-job",
            "attributes": {"profiles": {"data": [{"type": "profile", "attributes": a} for a in profiles]}},
            "relationships": {"list": {"data": {"type": "list", "id": LIST_ID}}},
        }
    }
    return exchange(
        "POST",
        "/api/profile-subscription-bulk-delete-jobs",
        body=body,
        status=status,
        reply=reply,
        headers=headers,
    )


def relationship(
    method: str, ids: list[str], status: int = 204, reply: Any = None, headers: Any = None
) -> dict[str, Any]:
    body = {"data": [{"type": "profile", "id": i} for i in ids]}
    return exchange(
        method,
        f"/api/lists/{LIST_ID}/relationships/profiles",
        body=body,
        status=status,
        reply=reply,
        headers=headers,
    )


def get_list(status: int = 200, reply: Any = None) -> dict[str, Any]:
    if reply is None and status == 200:
        reply = {"data": {"type": "list", "id": LIST_ID, "attributes": {"name": "Newsletter"}}}
    return exchange(
        "GET", f"/api/lists/{LIST_ID}", query={"fields[list]": "name"}, status=status, reply=reply
    )


def upsert(
    attributes: dict[str, Any], pid: str, status: int = 201, reply: Any = None, headers: Any = None
) -> dict[str, Any]:
    if reply is None:
        reply = {"data": {"type": "profile", "id": pid, "attributes": attributes}}
    body = {"data": {"type": "profile", "attributes": attributes}}
    return exchange("POST", "/api/profile-import", body=body, status=status, reply=reply, headers=headers)


CASES: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- F7 DELETE .../subscribe
    {
        # Only members are unsubscribed (the job would globally unsubscribe a non-member); the
        # job removes them from the list, so no removal call races it.
        "id": "F7-members-only",
        "request": python_v2("DELETE", F7, {"emails": ["abe@example.com", "nobody@example.com"]}),
        "upstream": [
            lookup(GROUP, "email", ["abe@example.com", "nobody@example.com"], [ABE]),
            job([{"email": "abe@example.com", "subscriptions": {"email": UNSUBSCRIBED}}]),
        ],
        "response": EMPTY_200,
    },
    {
        # Found by email and by phone: one job entry for both channels.
        "id": "F7-email-and-phone-same-profile",
        "request": generated(
            "DELETE",
            F7,
            body={"emails": ["mary@example.com"], "phone_numbers": ["+13125550100"], "push_tokens": []},
        ),
        "upstream": [
            lookup(GROUP, "email", ["mary@example.com"], [MARY]),
            lookup(GROUP, "phone_number", ["+13125550100"], [MARY]),
            job(
                [
                    {
                        "email": "mary@example.com",
                        "phone_number": "+13125550100",
                        "subscriptions": {"email": UNSUBSCRIBED, "sms": UNSUBSCRIBED},
                    }
                ]
            ),
        ],
        "response": EMPTY_200,
    },
    {
        "id": "F7-no-members-nothing-unsubscribed",
        "request": php_v2("DELETE", F7, {"emails": ["nobody@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["nobody@example.com"], [])],
        "response": EMPTY_200,
    },
    {
        # A push unsubscription needs platform and vendor: the member is only removed.
        "id": "F7-push-token-removed-only",
        "request": php_v2("DELETE", F7, {"push_tokens": ["tok-a", "tok-b"]}),
        "upstream": [
            lookup(GROUP, "push_token", ["tok-a", "tok-b"], [ABE]),
            relationship("DELETE", ["01FRTQ9XJE4WFWEG52Q5J8RY9Q"]),
        ],
        "response": EMPTY_200,
    },
    {
        "id": "F7-150-emails-two-lookups",
        "request": python_v2("DELETE", F7, {"emails": [f"p{i}@example.com" for i in range(150)]}),
        "upstream": [
            lookup(GROUP, "email", [f"p{i}@example.com" for i in range(100)], []),
            lookup(GROUP, "email", [f"p{i}@example.com" for i in range(100, 150)], []),
        ],
        "response": EMPTY_200,
    },
    {
        "id": "F7-unknown-list",
        "request": python_v2("DELETE", F7, {"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F7-job-throttled",
        "request": python_v2("DELETE", F7, {"emails": ["abe@example.com"]}),
        "upstream": [
            lookup(GROUP, "email", ["abe@example.com"], [ABE]),
            job(
                [{"email": "abe@example.com", "subscriptions": {"email": UNSUBSCRIBED}}],
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            ),
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "F7-no-identifiers",
        "request": python_v2("DELETE", F7, {"emails": []}),
        "upstream": [],
        "response": v2_error(400, "Provide at least one identifier (emails, phone_numbers, push_tokens)."),
    },
    {
        "id": "F7-more-than-1000-emails",
        "request": python_v2("DELETE", F7, {"emails": [f"p{i}@example.com" for i in range(1001)]}),
        "upstream": [],
        "response": v2_error(400, "At most 1000 values can be given in 'emails'."),
    },
    {
        "id": "F7-upstream-401-becomes-403",
        "request": generated("DELETE", F7, body={"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    # ---------------------------------------------------------------- F9 POST .../members
    {
        "id": "F9-add-with-properties",
        "request": python_v2(
            "POST",
            MEMBERS,
            {
                "profiles": [
                    {"email": "abe@example.com", "$first_name": "Abe", "Plan": "Gold"},
                    {"phone_number": "+13125550100", "sms_consent": True},
                ]
            },
        ),
        "upstream": [
            get_list(),
            upsert(
                {"email": "abe@example.com", "first_name": "Abe", "properties": {"Plan": "Gold"}},
                "01FRTQ9XJE4WFWEG52Q5J8RY9Q",
            ),
            upsert({"phone_number": "+13125550100"}, "01FRTQC8TYHY5G3X0BA59NXTZZ", status=200),
            relationship("POST", ["01FRTQ9XJE4WFWEG52Q5J8RY9Q", "01FRTQC8TYHY5G3X0BA59NXTZZ"]),
        ],
        "response": {
            "status": 200,
            "json": [
                {"id": "01FRTQ9XJE4WFWEG52Q5J8RY9Q", "email": "abe@example.com"},
                {"id": "01FRTQC8TYHY5G3X0BA59NXTZZ", "phone_number": "+13125550100"},
            ],
        },
    },
    {
        # The same person twice: written twice, added once, answered twice (as legacy echoed).
        "id": "F9-duplicate-profile-added-once",
        "request": php_v2(
            "POST",
            MEMBERS,
            {"profiles": [{"email": "abe@example.com"}, {"email": "abe@example.com", "$city": None}]},
        ),
        "upstream": [
            get_list(),
            upsert({"email": "abe@example.com"}, "01FRTQ9XJE4WFWEG52Q5J8RY9Q", status=200),
            upsert({"email": "abe@example.com"}, "01FRTQ9XJE4WFWEG52Q5J8RY9Q", status=200),
            relationship("POST", ["01FRTQ9XJE4WFWEG52Q5J8RY9Q"]),
        ],
        "response": {
            "status": 200,
            "json": [
                {"id": "01FRTQ9XJE4WFWEG52Q5J8RY9Q", "email": "abe@example.com"},
                {"id": "01FRTQ9XJE4WFWEG52Q5J8RY9Q", "email": "abe@example.com"},
            ],
        },
    },
    {
        "id": "F9-unknown-list-nothing-written",
        "request": generated("POST", MEMBERS, body={"profiles": [{"email": "abe@example.com"}]}),
        "upstream": [get_list(status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F9-identifier-conflict-409",
        "request": python_v2(
            "POST", MEMBERS, {"profiles": [{"email": "abe@example.com", "phone_number": "+13125550100"}]}
        ),
        "upstream": [
            get_list(),
            upsert(
                {"email": "abe@example.com", "phone_number": "+13125550100"},
                "",
                status=409,
                reply=errors(
                    409, "duplicate_profile", "A profile already exists with one of these identifiers."
                ),
            ),
        ],
        "response": v2_error(409, "A profile already exists with one of these identifiers."),
    },
    {
        # 429 midway through the fan-out: the first group of 25 profile-imports is done (those
        # profiles stay written), the second group's import is throttled, so nobody is added to
        # the list; the legacy 429 keeps Retry-After (retrying the same call is safe).
        "id": "F9-throttled-midway-through-fan-out",
        "request": python_v2("POST", MEMBERS, {"profiles": [{"email": e} for e in FANOUT]}),
        "upstream": [
            get_list(),
            *[upsert({"email": e}, fanout_id(i), status=200) for i, e in enumerate(FANOUT[:25])],
            upsert({"email": FANOUT[25]}, "", status=429, reply=THROTTLED, headers={"Retry-After": "7"}),
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "F9-upstream-401-becomes-403",
        "request": generated("POST", MEMBERS, body={"profiles": [{"email": "abe@example.com"}]}),
        "upstream": [get_list(status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    {
        "id": "F9-empty-profiles",
        "request": python_v2("POST", MEMBERS, {"profiles": []}),
        "upstream": [get_list()],
        "response": {"status": 200, "json": []},
    },
    {
        "id": "F9-profiles-missing",
        "request": python_v2("POST", MEMBERS, {}),
        "upstream": [],
        "response": v2_error(
            400, "The 'profiles' parameter is required and must be a list of profile objects."
        ),
    },
    {
        "id": "F9-profile-without-identifier",
        "request": php_v2("POST", MEMBERS, {"profiles": [{"$first_name": "Nobody"}]}),
        "upstream": [],
        "response": v2_error(400, "Profile at index 0 needs an email or a phone_number."),
    },
    {
        "id": "F9-more-than-1000-profiles",
        "request": generated(
            "POST", MEMBERS, body={"profiles": [{"email": f"p{i}@x.com"} for i in range(1001)]}
        ),
        "upstream": [],
        "response": v2_error(400, "At most 1000 profiles can be added in one request."),
    },
    # ---------------------------------------------------------------- F10 DELETE .../members
    {
        "id": "F10-remove-found-members",
        "request": php_v2(
            "DELETE",
            MEMBERS,
            {"emails": ["abe@example.com", "mary@example.com"], "phone_numbers": ["+13125550100"]},
        ),
        "upstream": [
            lookup(GROUP, "email", ["abe@example.com", "mary@example.com"], [ABE, MARY]),
            lookup(GROUP, "phone_number", ["+13125550100"], [MARY]),
            relationship("DELETE", ["01FRTQ9XJE4WFWEG52Q5J8RY9Q", "01FRTQC8TYHY5G3X0BA59NXTZZ"]),
        ],
        "response": EMPTY_200,
    },
    {
        "id": "F10-nobody-found",
        "request": python_v2("DELETE", MEMBERS, {"emails": ["nobody@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["nobody@example.com"], [])],
        "response": EMPTY_200,
    },
    {
        "id": "F10-unknown-list",
        "request": generated("DELETE", MEMBERS, body={"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F10-upstream-401-becomes-403",
        "request": python_v2("DELETE", MEMBERS, {"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    {
        # Members found; the removal itself is throttled.
        "id": "F10-removal-throttled",
        "request": python_v2("DELETE", MEMBERS, {"emails": ["abe@example.com"]}),
        "upstream": [
            lookup(GROUP, "email", ["abe@example.com"], [ABE]),
            relationship(
                "DELETE",
                ["01FRTQ9XJE4WFWEG52Q5J8RY9Q"],
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            ),
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "F10-more-than-1000-phone-numbers",
        "request": generated(
            "DELETE", MEMBERS, body={"phone_numbers": [f"+1312555{i:04d}" for i in range(1001)]}
        ),
        "upstream": [],
        "response": v2_error(400, "At most 1000 values can be given in 'phone_numbers'."),
    },
    {
        "id": "F10-no-identifiers",
        "request": php_v2("DELETE", MEMBERS, {"emails": [], "push_tokens": None}),
        "upstream": [],
        "response": v2_error(400, "Provide at least one identifier (emails, phone_numbers, push_tokens)."),
    },
]
