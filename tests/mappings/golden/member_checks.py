"""Golden cases: F8 / S1 (in the list and not suppressed) and F11 / S2 (in the list)."""

from __future__ import annotations

from typing import Any

from tests.mappings.golden._audiences import (
    FORBIDDEN_V2,
    LIST_ID,
    NOT_FOUND,
    THROTTLED,
    THROTTLED_V2,
    UNAUTHORIZED,
    generated,
    lookup,
    php_v2,
    profile,
    python_v2,
    subscriptions,
    v2_error,
)

GROUP = f"lists/{LIST_ID}"
F8 = f"/api/v2/list/{LIST_ID}/get-list-subscriptions"
F11 = f"/api/v2/list/{LIST_ID}/get-members"
S1 = f"/api/v2/list/{LIST_ID}/subscribe"
S2 = f"/api/v2/list/{LIST_ID}/members"
JOINED = "2022-01-07T16:53:04.512345+00:00"
ABE = profile("01FRTQ9XJE4WFWEG52Q5J8RY9Q", "abe@example.com", None, JOINED)
MARY = profile("01FRTQC8TYHY5G3X0BA59NXTZZ", "mary@example.com", "+13125550100", "2022-02-01T08:00:00+00:00")
NONE_GIVEN = "Provide at least one identifier (emails, phone_numbers, push_tokens)."


def suppressed(pid: str, email: str, subs: dict[str, Any]) -> dict[str, Any]:
    return profile(pid, email, None, JOINED, subs)


CASES: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- F11 / S2: membership
    {
        # Emails and phone numbers are AND-ed filters upstream: one lookup per kind.
        "id": "F11-emails-and-phones",
        "request": generated(
            "POST",
            F11,
            body={
                "emails": ["abe@example.com", "nobody@example.com"],
                "phone_numbers": ["+13125550100"],
                "push_tokens": [],
            },
        ),
        "upstream": [
            lookup(GROUP, "email", ["abe@example.com", "nobody@example.com"], [ABE]),
            lookup(GROUP, "phone_number", ["+13125550100"], [MARY]),
        ],
        "response": {
            "status": 200,
            "json": [
                {
                    "id": "01FRTQ9XJE4WFWEG52Q5J8RY9Q",
                    "email": "abe@example.com",
                    "created": "2022-01-07T16:53:04Z",
                },
                {
                    "id": "01FRTQC8TYHY5G3X0BA59NXTZZ",
                    "phone_number": "+13125550100",
                    "created": "2022-02-01T08:00:00Z",
                },
            ],
        },
    },
    {
        # The recorded S2 request (grouparoo): empty kinds are skipped; nobody found -> [].
        "id": "S2-recorded-body-none-found",
        "request": python_v2(
            "GET", S2, {"emails": ["a@example.com"], "phone_numbers": [], "push_tokens": []}
        ),
        "upstream": [lookup(GROUP, "email", ["a@example.com"], [])],
        "response": {"status": 200, "json": []},
    },
    {
        # Query-string form: repeated and comma-joined values, each once.
        "id": "S2-query-string-values",
        "request": generated(
            "GET", S2, query=[("emails", "abe@example.com,mary@example.com"), ("emails", "abe@example.com")]
        ),
        "upstream": [lookup(GROUP, "email", ["abe@example.com", "mary@example.com"], [ABE, MARY])],
        "response": {
            "status": 200,
            "json": [
                {
                    "id": "01FRTQ9XJE4WFWEG52Q5J8RY9Q",
                    "email": "abe@example.com",
                    "created": "2022-01-07T16:53:04Z",
                },
                {
                    "id": "01FRTQC8TYHY5G3X0BA59NXTZZ",
                    "email": "mary@example.com",
                    "created": "2022-02-01T08:00:00Z",
                },
            ],
        },
    },
    {
        # Profiles have no push token field: one lookup per token, so the answer can echo it.
        "id": "F11-push-tokens-one-call-each",
        "request": php_v2("POST", F11, {"push_tokens": ["tok-a", "tok-b"]}),
        "upstream": [
            lookup(GROUP, "push_token", ["tok-a"], []),
            lookup(GROUP, "push_token", ["tok-b"], [ABE]),
        ],
        "response": {
            "status": 200,
            "json": [
                {"id": "01FRTQ9XJE4WFWEG52Q5J8RY9Q", "push_token": "tok-b", "created": "2022-01-07T16:53:04Z"}
            ],
        },
    },
    {
        "id": "F11-unknown-list",
        "request": python_v2("POST", F11, {"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "S2-unknown-list",
        "request": python_v2("GET", S2, {"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=404, reply=NOT_FOUND)],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "F11-throttled",
        "request": generated("POST", F11, body={"emails": ["abe@example.com"]}),
        "upstream": [
            lookup(
                GROUP,
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
        "id": "F11-upstream-401-becomes-403",
        "request": php_v2("POST", F11, {"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    {
        "id": "S2-throttled",
        "request": php_v2("GET", S2, {"emails": ["abe@example.com"]}),
        "upstream": [
            lookup(
                GROUP,
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
        "id": "S2-upstream-401-becomes-403",
        "request": python_v2("GET", S2, {"emails": ["abe@example.com"]}),
        "upstream": [lookup(GROUP, "email", ["abe@example.com"], [], status=401, reply=UNAUTHORIZED)],
        "response": FORBIDDEN_V2,
    },
    {
        "id": "F11-more-than-100-emails",
        "request": generated("POST", F11, body={"emails": [f"p{i}@example.com" for i in range(101)]}),
        "upstream": [],
        "response": v2_error(400, "At most 100 values can be given in 'emails'."),
    },
    {
        "id": "F11-no-identifiers",
        "request": python_v2("POST", F11, {"emails": [], "phone_numbers": []}),
        "upstream": [],
        "response": v2_error(400, NONE_GIVEN),
    },
    {
        "id": "S2-identifier-not-a-string",
        "request": php_v2("GET", S2, {"phone_numbers": [13125550100]}),
        "upstream": [],
        "response": v2_error(400, "'phone_numbers' must be a list of strings."),
    },
    # ---------------------------------------------------------------- F8 / S1: not suppressed
    {
        # Kept: no suppression, or a suppression from another list. Dropped: a global
        # suppression, a suppression from this list, a phone that cannot receive SMS.
        "id": "F8-suppressed-profiles-left-out",
        "request": generated(
            "POST",
            F8,
            body={
                "emails": ["a@example.com", "b@example.com", "c@example.com", "d@example.com"],
                "phone_numbers": ["+13125550100"],
            },
        ),
        "upstream": [
            lookup(
                GROUP,
                "email",
                ["a@example.com", "b@example.com", "c@example.com", "d@example.com"],
                [
                    suppressed("01A", "a@example.com", subscriptions()),
                    suppressed(
                        "01B",
                        "b@example.com",
                        subscriptions(suppression=[{"reason": "HARD_BOUNCE", "timestamp": JOINED}]),
                    ),
                    suppressed(
                        "01C",
                        "c@example.com",
                        subscriptions(
                            list_suppressions=[
                                {"list_id": LIST_ID, "reason": "UNSUBSCRIBE", "timestamp": JOINED}
                            ]
                        ),
                    ),
                    suppressed(
                        "01D",
                        "d@example.com",
                        subscriptions(
                            list_suppressions=[
                                {"list_id": "Other1", "reason": "UNSUBSCRIBE", "timestamp": JOINED}
                            ]
                        ),
                    ),
                ],
                subscriptions=True,
            ),
            lookup(
                GROUP,
                "phone_number",
                ["+13125550100"],
                [profile("01E", None, "+13125550100", JOINED, subscriptions(sms=False))],
                subscriptions=True,
            ),
        ],
        "response": {
            "status": 200,
            "json": [
                {"id": "01A", "email": "a@example.com", "created": "2022-01-07T16:53:04Z"},
                {"id": "01D", "email": "d@example.com", "created": "2022-01-07T16:53:04Z"},
            ],
        },
    },
    {
        "id": "S1-python-emails-in-body",
        "request": python_v2("GET", S1, {"emails": ["a@example.com"]}),
        "upstream": [
            lookup(
                GROUP,
                "email",
                ["a@example.com"],
                [suppressed("01A", "a@example.com", subscriptions())],
                subscriptions=True,
            )
        ],
        "response": {
            "status": 200,
            "json": [{"id": "01A", "email": "a@example.com", "created": "2022-01-07T16:53:04Z"}],
        },
    },
    {
        "id": "S1-phone-that-can-receive-sms",
        "request": php_v2("GET", S1, {"emails": [], "phone_numbers": ["+13125550100"], "push_tokens": []}),
        "upstream": [
            lookup(
                GROUP,
                "phone_number",
                ["+13125550100"],
                [profile("01E", None, "+13125550100", JOINED, subscriptions(sms=True))],
                subscriptions=True,
            )
        ],
        "response": {
            "status": 200,
            "json": [{"id": "01E", "phone_number": "+13125550100", "created": "2022-01-07T16:53:04Z"}],
        },
    },
    {
        "id": "F8-unknown-list",
        "request": generated("POST", F8, body={"emails": ["a@example.com"]}),
        "upstream": [
            lookup(GROUP, "email", ["a@example.com"], [], subscriptions=True, status=404, reply=NOT_FOUND)
        ],
        "response": v2_error(404, "List not found."),
    },
    {
        "id": "S1-no-identifiers",
        "request": python_v2("GET", S1, {}),
        "upstream": [],
        "response": v2_error(400, NONE_GIVEN),
    },
    {
        "id": "F8-throttled",
        "request": php_v2("POST", F8, {"emails": ["a@example.com"]}),
        "upstream": [
            lookup(
                GROUP,
                "email",
                ["a@example.com"],
                [],
                subscriptions=True,
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            )
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "F8-upstream-401-becomes-403",
        "request": python_v2("POST", F8, {"emails": ["a@example.com"]}),
        "upstream": [
            lookup(GROUP, "email", ["a@example.com"], [], subscriptions=True, status=401, reply=UNAUTHORIZED)
        ],
        "response": FORBIDDEN_V2,
    },
    {
        "id": "F8-more-than-100-push-tokens",
        "request": generated("POST", F8, body={"push_tokens": [f"tok-{i}" for i in range(101)]}),
        "upstream": [],
        "response": v2_error(400, "At most 100 values can be given in 'push_tokens'."),
    },
    {
        "id": "S1-unknown-list",
        "request": php_v2("GET", S1, {"emails": ["a@example.com"]}),
        "upstream": [
            lookup(GROUP, "email", ["a@example.com"], [], subscriptions=True, status=404, reply=NOT_FOUND)
        ],
        "response": v2_error(404, "List not found."),
    },
    {
        # A phone lookup after a successful email lookup is throttled: no partial answer.
        "id": "S1-throttled-on-second-lookup",
        "request": python_v2("GET", S1, {"emails": ["a@example.com"], "phone_numbers": ["+13125550100"]}),
        "upstream": [
            lookup(
                GROUP,
                "email",
                ["a@example.com"],
                [suppressed("01A", "a@example.com", subscriptions())],
                subscriptions=True,
            ),
            lookup(
                GROUP,
                "phone_number",
                ["+13125550100"],
                [],
                subscriptions=True,
                status=429,
                reply=THROTTLED,
                headers={"Retry-After": "7"},
            ),
        ],
        "response": THROTTLED_V2,
    },
    {
        "id": "S1-upstream-401-becomes-403",
        "request": generated("GET", S1, query=[("emails", "a@example.com")]),
        "upstream": [
            lookup(GROUP, "email", ["a@example.com"], [], subscriptions=True, status=401, reply=UNAUTHORIZED)
        ],
        "response": FORBIDDEN_V2,
    },
]
