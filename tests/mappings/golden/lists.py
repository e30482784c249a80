"""Golden cases: F6 POST /api/v2/list/{list_id}/subscribe.

The private key arrives as the Python k3 SDK sends it (``api_key`` in the JSON body), as
PHP sends it (``api-key`` header) and as the generated SDK sends it (``api_key`` query).
"""

from __future__ import annotations

from typing import Any

KEY = "pk_0123456789abcdef0123456789abcdef01"
LIST_ID = "Xy12Ab"
PATH = f"/api/v2/list/{LIST_ID}/subscribe"

EMAIL_SUB = {"email": {"marketing": {"consent": "SUBSCRIBED"}}}
SMS_SUB = {"sms": {"marketing": {"consent": "SUBSCRIBED"}}}


def get_list(
    opt_in: str, status: int = 200, json: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    if json is None and status == 200:
        json = {
            "data": {
                "type": "list",
                "id": LIST_ID,
                "attributes": {"opt_in_process": opt_in},
                "links": {"self": f"https://a.klaviyo.com/api/lists/{LIST_ID}/"},
            },
            "links": {"self": f"https://a.klaviyo.com/api/lists/{LIST_ID}/"},
        }
    return {
        "method": "GET",
        "path": f"/api/lists/{LIST_ID}",
        "query": {"fields[list]": "opt_in_process"},
        "auth": KEY,
        "reply": {"status": status, "headers": headers or {}, "json": json},
    }


def upsert(
    attributes: dict[str, Any],
    profile_id: str,
    status: int = 201,
    reply_json: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    if reply_json is None:
        reply_json = {"data": {"type": "profile", "id": profile_id, "attributes": attributes}}
    return {
        "method": "POST",
        "path": "/api/profile-import",
        "json": {"data": {"type": "profile", "attributes": attributes}},
        "auth": KEY,
        "reply": {"status": status, "headers": headers or {}, "json": reply_json},
    }


def upstream_error(status: int, code: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": "x", "status": status, "code": code, "title": detail, "detail": detail}]}


DUPLICATE = "A profile already exists with one of these identifiers."
THROTTLED_7 = "Request was throttled. Expected available in 7 seconds."


def job(
    profiles: list[dict[str, Any]],
    status: int = 202,
    reply_json: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/api/profile-subscription-bulk-create-jobs",
        "json": {
            "data": {
                "type": "profile-subscription-bulk-create-job",
                "attributes": {"profiles": {"data": profiles}, "historical_import": False},
                "relationships": {"list": {"data": {"type": "list", "id": LIST_ID}}},
            }
        },
        "auth": KEY,
        "reply": {"status": status, "headers": headers or {}, "json": reply_json},
    }


def entry(**attributes: Any) -> dict[str, Any]:
    return {"type": "profile", "attributes": attributes}


def python_request(profiles: Any) -> dict[str, Any]:
    """Python k3 SDK: key inside the JSON body."""
    return {"method": "POST", "path": PATH, "json": {"profiles": profiles, "api_key": KEY}}


def php_request(profiles: Any) -> dict[str, Any]:
    """PHP SDK: key in the api-key header."""
    return {"method": "POST", "path": PATH, "headers": {"api-key": KEY}, "json": {"profiles": profiles}}


def generated_request(profiles: Any) -> dict[str, Any]:
    """Generated SDK (klaviyo-sdk): key as a query parameter."""
    return {"method": "POST", "path": PATH, "query": [("api_key", KEY)], "json": {"profiles": profiles}}


CASES: list[dict[str, Any]] = [
    {
        "id": "F6-single-opt-in",
        "request": python_request(
            [
                {"email": "abe@example.com", "$first_name": "Abe", "Plan": "Gold"},
                {"phone_number": "+13125550100", "sms_consent": True},
            ]
        ),
        "upstream": [
            get_list("single_opt_in"),
            upsert(
                {"email": "abe@example.com", "first_name": "Abe", "properties": {"Plan": "Gold"}},
                "01FRTQ9XJE4WFWEG52Q5J8RY9Q",
            ),
            upsert({"phone_number": "+13125550100"}, "01FRTQC8TYHY5G3X0BA59NXTZZ", status=200),
            job(
                [
                    entry(email="abe@example.com", subscriptions=EMAIL_SUB),
                    entry(phone_number="+13125550100", subscriptions=SMS_SUB),
                ]
            ),
        ],
        "response": {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "json": [
                {"id": "01FRTQ9XJE4WFWEG52Q5J8RY9Q", "email": "abe@example.com"},
                {"id": "01FRTQC8TYHY5G3X0BA59NXTZZ", "phone_number": "+13125550100"},
            ],
        },
    },
    {
        # Only identifiers on a double opt-in list: no upsert needed, the job does it all.
        "id": "F6-double-opt-in-identifiers-only",
        "request": generated_request([{"email": "abe@example.com"}, {"email": "mary@example.com"}]),
        "upstream": [
            get_list("double_opt_in"),
            job(
                [
                    entry(email="abe@example.com", subscriptions=EMAIL_SUB),
                    entry(email="mary@example.com", subscriptions=EMAIL_SUB),
                ]
            ),
        ],
        "response": {"status": 200, "json": []},
    },
    {
        # PHP sends the unprefixed email plus every $-key, nulls meaning "not supplied".
        "id": "F6-php-nulls-double-opt-in",
        "request": php_request(
            [
                {
                    "email": "abe@example.com",
                    "$email": None,
                    "$first_name": "Abe",
                    "$last_name": None,
                    "$phone_number": None,
                    "$city": "Springfield",
                    "$consent": None,
                    "sms_consent": None,
                }
            ]
        ),
        "upstream": [
            get_list("double_opt_in"),
            upsert(
                {"email": "abe@example.com", "first_name": "Abe", "location": {"city": "Springfield"}},
                "01FRTQ9XJE4WFWEG52Q5J8RY9Q",
                status=200,
            ),
            job([entry(email="abe@example.com", subscriptions=EMAIL_SUB)]),
        ],
        "response": {"status": 200, "json": []},
    },
    {
        # Custom properties, non-profile $-keys and an 'id' (a custom property in v2 list
        # bodies) are written by profile-import; $zip numbers become strings.
        "id": "F6-custom-properties-written",
        "request": generated_request(
            [
                {
                    "$email": "abe@example.com",
                    "id": "cust-42",
                    "$zip": 62701,
                    "$source": "Checkout",
                    "Plan": "Gold",
                    "Visits": 3,
                    "Tags": ["a", "b"],
                }
            ]
        ),
        "upstream": [
            get_list("single_opt_in"),
            upsert(
                {
                    "email": "abe@example.com",
                    "location": {"zip": "62701"},
                    "properties": {
                        "id": "cust-42",
                        "$source": "Checkout",
                        "Plan": "Gold",
                        "Visits": 3,
                        "Tags": ["a", "b"],
                    },
                },
                "01GDDKASAP8TKDDA2GRZDSVP4H",
            ),
            job([entry(email="abe@example.com", subscriptions=EMAIL_SUB)]),
        ],
        "response": {
            "status": 200,
            "json": [{"id": "01GDDKASAP8TKDDA2GRZDSVP4H", "email": "abe@example.com"}],
        },
    },
    {
        # A phone without SMS consent is stored on the profile only; $consent with "sms"
        # counts as SMS consent.
        "id": "F6-phone-with-and-without-sms-consent",
        "request": python_request(
            [
                {"phone_number": "+13125550100"},
                {"email": "mary@example.com", "phone_number": "+13125550199", "$consent": ["email", "sms"]},
                {"email": "joe@example.com", "phone_number": "+13125550111", "sms_consent": False},
            ]
        ),
        "upstream": [
            get_list("single_opt_in"),
            upsert({"phone_number": "+13125550100"}, "01AAAAAAAAAAAAAAAAAAAAAAAA", status=200),
            upsert(
                {
                    "email": "mary@example.com",
                    "phone_number": "+13125550199",
                    "properties": {"$consent": ["email", "sms"]},
                },
                "01BBBBBBBBBBBBBBBBBBBBBBBB",
            ),
            upsert(
                {"email": "joe@example.com", "phone_number": "+13125550111"},
                "01CCCCCCCCCCCCCCCCCCCCCCCC",
            ),
            job(
                [
                    entry(
                        email="mary@example.com",
                        phone_number="+13125550199",
                        subscriptions={**EMAIL_SUB, **SMS_SUB},
                    ),
                    entry(email="joe@example.com", subscriptions=EMAIL_SUB),
                ]
            ),
        ],
        "response": {
            "status": 200,
            "json": [
                {
                    "id": "01BBBBBBBBBBBBBBBBBBBBBBBB",
                    "email": "mary@example.com",
                    "phone_number": "+13125550199",
                },
                {
                    "id": "01CCCCCCCCCCCCCCCCCCCCCCCC",
                    "email": "joe@example.com",
                    "phone_number": "+13125550111",
                },
            ],
        },
    },
    {
        # Phone-only without consent on a double opt-in list: saved, nothing to subscribe.
        "id": "F6-phone-only-no-consent-no-job",
        "request": php_request([{"phone_number": "+13125550100", "sms_consent": False}]),
        "upstream": [
            get_list("double_opt_in"),
            upsert({"phone_number": "+13125550100"}, "01AAAAAAAAAAAAAAAAAAAAAAAA", status=200),
        ],
        "response": {"status": 200, "json": []},
    },
    {
        "id": "F6-list-not-found",
        "request": python_request([{"email": "abe@example.com"}]),
        "upstream": [
            get_list(
                "",
                status=404,
                json={
                    "errors": [
                        {
                            "id": "x",
                            "status": 404,
                            "code": "not_found",
                            "title": "Not found.",
                            "detail": "A list with id Xy12Ab does not exist.",
                        }
                    ]
                },
            )
        ],
        "response": {"status": 404, "json": {"detail": "List not found."}},
    },
    {
        "id": "F6-job-throttled-keeps-retry-after",
        "request": generated_request([{"email": "abe@example.com"}]),
        "upstream": [
            get_list("double_opt_in"),
            job(
                [entry(email="abe@example.com", subscriptions=EMAIL_SUB)],
                status=429,
                headers={"Retry-After": "7"},
                reply_json={
                    "errors": [
                        {
                            "id": "x",
                            "status": 429,
                            "code": "throttled",
                            "title": "Request was throttled.",
                            "detail": "Request was throttled. Expected available in 7 seconds.",
                        }
                    ]
                },
            ),
        ],
        "response": {
            "status": 429,
            "headers": {"retry-after": "7"},
            "json": {"detail": "Request was throttled. Expected available in 7.0 seconds."},
        },
    },
    {
        "id": "F6-upstream-401-becomes-403",
        "request": php_request([{"email": "abe@example.com"}]),
        "upstream": [
            get_list(
                "",
                status=401,
                json={
                    "errors": [
                        {
                            "id": "x",
                            "status": 401,
                            "code": "not_authenticated",
                            "title": "Authentication credentials were not provided.",
                            "detail": "Incorrect authentication credentials.",
                        }
                    ]
                },
            )
        ],
        "response": {"status": 403, "json": {"detail": "Incorrect authentication credentials."}},
    },
    {
        # Identifiers that belong to two different profiles: nobody is subscribed.
        "id": "F6-identifier-conflict-409",
        "request": python_request([{"email": "abe@example.com", "phone_number": "+13125550100"}]),
        "upstream": [
            get_list("single_opt_in"),
            upsert(
                {"email": "abe@example.com", "phone_number": "+13125550100"},
                "",
                status=409,
                reply_json=upstream_error(409, "duplicate_profile", DUPLICATE),
            ),
        ],
        "response": {"status": 409, "json": {"detail": DUPLICATE}},
    },
    {
        # A 429 in the middle of the upserts: the group's other upserts were sent and stay
        # written, no job starts (nobody subscribed), the legacy 429 keeps Retry-After; a
        # retry of the same call upserts them again (idempotent) and subscribes everybody.
        "id": "F6-upsert-throttled-midway-no-job",
        "request": generated_request(
            [{"email": "abe@example.com"}, {"email": "mary@example.com"}, {"email": "joe@example.com"}]
        ),
        "upstream": [
            get_list("single_opt_in"),
            upsert({"email": "abe@example.com"}, "01AAAAAAAAAAAAAAAAAAAAAAAA", status=200),
            upsert(
                {"email": "mary@example.com"},
                "",
                status=429,
                reply_json=upstream_error(429, "throttled", THROTTLED_7),
                headers={"Retry-After": "7"},
            ),
            upsert({"email": "joe@example.com"}, "01CCCCCCCCCCCCCCCCCCCCCCCC"),
        ],
        "response": {
            "status": 429,
            "headers": {"retry-after": "7"},
            "json": {"detail": "Request was throttled. Expected available in 7.0 seconds."},
        },
    },
    {
        "id": "F6-profile-without-email-or-phone",
        "request": python_request([{"email": "abe@example.com"}, {"$first_name": "Nobody", "email": None}]),
        "upstream": [],
        "response": {
            "status": 400,
            "json": {"detail": "Profile at index 1 needs an email or a phone_number."},
        },
    },
    {
        "id": "F6-profiles-missing",
        "request": php_request(None),
        "upstream": [],
        "response": {
            "status": 400,
            "json": {"detail": "The 'profiles' parameter is required and must be a list of profile objects."},
        },
    },
    {
        "id": "F6-more-than-1000-profiles",
        "request": generated_request([{"email": f"p{i}@example.com"} for i in range(1001)]),
        "upstream": [],
        "response": {
            "status": 400,
            "json": {"detail": "At most 1000 profiles can be subscribed in one request."},
        },
    },
    {
        # Nothing to subscribe, but the list ID is still checked (404 for an unknown list).
        "id": "F6-empty-profiles",
        "request": python_request([]),
        "upstream": [get_list("single_opt_in")],
        "response": {"status": 200, "json": []},
    },
]
