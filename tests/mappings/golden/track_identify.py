"""Golden cases for A1-A4 (track / identify). See tests/mappings/test_golden.py for the format."""

from __future__ import annotations

import base64
import json
from typing import Any

TOKEN = "AbC123"
PK = "pk_" + "1" * 34
SERVER = {"token_keys": {TOKEN: PK}}
HTML = {
    "content-type": "text/html; charset=utf-8",
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, GET, OPTIONS",
    "access-control-allow-credentials": "true",
}
OK = {"status": 200, "headers": HTML, "text": "1"}
ZERO = {"status": 200, "headers": {"content-type": "text/html; charset=utf-8"}, "text": "0"}
ACCEPTED = {"status": 202, "headers": {}, "json": None}

# The legacy doc example (legacy-endpoints.md A1).
TRACK = {
    "token": TOKEN,
    "event": "Ordered Product",
    "customer_properties": {"$email": "abe@example.com", "$first_name": "Abraham"},
    "properties": {"item_name": "Boots", "$value": 100, "$event_id": "order-1001"},
    "time": 1589983886,
}
TRACK_PROPERTIES: dict[str, Any] = {"item_name": "Boots", "$value": 100, "$event_id": "order-1001"}
# Track-once unique_id: "track-once:" + sha256(event name)[:32], the same for every profile.
ONCE_SIGNED_UP = "track-once:1b64747b32e838ab0f7704972d0c0983"
ONCE_ORDERED = "track-once:c60e0e2dd0a9fb42ff3ad8e845aac99c"
IDENTIFY = {
    "token": TOKEN,
    "properties": {
        "$email": "abe@example.com",
        "$first_name": "Abraham",
        "$last_name": "Lincoln",
        "$city": "Springfield",
        "$region": "Illinois",
        "Plan": "Premium",
    },
}


def b64(payload: Any) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def event(
    properties: dict[str, Any], profile: dict[str, Any], name: str = "Ordered Product", **top: Any
) -> dict[str, Any]:
    """Expected create_event / create_client_event body."""
    attributes = {
        "properties": properties,
        **top,
        "metric": {"data": {"type": "metric", "attributes": {"name": name}}},
        "profile": {"data": {"type": "profile", "attributes": profile}},
    }
    return {"data": {"type": "event", "attributes": attributes}}


TRACK_EVENT = event(
    {"item_name": "Boots"},
    {"email": "abe@example.com", "first_name": "Abraham"},
    time="2020-05-20T14:11:26+00:00",
    value=100,
    unique_id="order-1001",
)
IDENTIFY_PROFILE = {
    "data": {
        "type": "profile",
        "attributes": {
            "email": "abe@example.com",
            "first_name": "Abraham",
            "last_name": "Lincoln",
            "location": {"city": "Springfield", "region": "Illinois"},
            "properties": {"Plan": "Premium"},
        },
    }
}


def client_event(body: Any, reply: dict[str, Any] = ACCEPTED) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/client/events",
        "query": {"company_id": TOKEN},
        "json": body,
        "auth": None,
        "reply": reply,
    }


def server_event(body: Any, reply: dict[str, Any] = ACCEPTED) -> dict[str, Any]:
    return {"method": "POST", "path": "/api/events", "json": body, "auth": PK, "reply": reply}


def client_profile(body: Any, reply: dict[str, Any] = ACCEPTED) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/client/profiles",
        "query": {"company_id": TOKEN},
        "json": body,
        "auth": None,
        "reply": reply,
    }


def profile_import(body: Any, reply: dict[str, Any]) -> dict[str, Any]:
    return {"method": "POST", "path": "/api/profile-import", "json": body, "auth": PK, "reply": reply}


def get_track(
    payload: Any, upstream: list[dict[str, Any]], response: dict[str, Any] = OK, **extra: Any
) -> dict[str, Any]:
    return {
        "request": {"method": "GET", "path": "/api/track", "query": [("data", b64(payload))]},
        "upstream": upstream,
        "response": response,
        **extra,
    }


def throttle(seconds: str) -> dict[str, Any]:
    return {
        "status": 429,
        "headers": {"retry-after": seconds},
        "json": {
            "errors": [
                {
                    "id": "x",
                    "status": 429,
                    "code": "throttled",
                    "title": "Request was throttled.",
                    "detail": f"Request was throttled. Expected available in {seconds} seconds.",
                }
            ]
        },
    }


def bad_request(detail: str) -> dict[str, Any]:
    return {
        "status": 400,
        "headers": {},
        "json": {
            "errors": [
                {"id": "x", "status": 400, "code": "invalid", "title": "Invalid input.", "detail": detail}
            ]
        },
    }


NUMBERS = {"id": 1234, "$consent": ["email", "sms"], "$zip": 62701, "$latitude": 39.78, "$source": 7}
URLSAFE = {
    "token": TOKEN,
    "event": "Viewed Product",
    "customer_properties": {"$email": "abe@example.com"},
    "properties": {"q": ">>>???~~~"},
}  # its base64 contains + and /
URLSAFE_B64 = base64.urlsafe_b64encode(json.dumps(URLSAFE).encode()).decode()
assert "-" in URLSAFE_B64 and "_" in URLSAFE_B64
URLSAFE_EVENT = event({"q": ">>>???~~~"}, {"email": "abe@example.com"}, name="Viewed Product")

CASES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ A1 GET /api/track
    {"id": "A1-get-client-event", **get_track(TRACK, [client_event(TRACK_EVENT)])},
    {"id": "A1-get-server-side-event", "settings": SERVER, **get_track(TRACK, [server_event(TRACK_EVENT)])},
    {
        "id": "A1-get-urlsafe-base64-padded",
        "request": {"method": "GET", "path": "/api/track", "query": [("data", URLSAFE_B64)]},
        "upstream": [client_event(URLSAFE_EVENT)],
        "response": OK,
    },
    {
        "id": "A1-get-urlsafe-base64-no-padding",
        "request": {"method": "GET", "path": "/api/track", "query": [("data", URLSAFE_B64.rstrip("="))]},
        "upstream": [client_event(URLSAFE_EVENT)],
        "response": OK,
    },
    {
        "id": "A1-get-standard-base64-no-padding-and-test-flag",
        "request": {
            "method": "GET",
            "path": "/api/track",
            "query": [("data", b64(URLSAFE).rstrip("=")), ("test", "1")],
        },
        "upstream": [client_event(URLSAFE_EVENT)],
        "response": OK,
    },
    {
        "id": "A1-get-unprefixed-aliases-email-id",  # Python/Node/Ruby SDKs since 2019
        **get_track(
            {
                "token": TOKEN,
                "event": "Ordered Product",
                "time": None,
                "customer_properties": {"email": "abe@example.com", "id": "cust-42"},
                "properties": {},
            },
            [client_event(event({}, {"email": "abe@example.com", "external_id": "cust-42"}))],
        ),
    },
    {
        "id": "A1-get-dollar-key-wins-over-alias",  # grouparoo sends both
        **get_track(
            {
                "token": TOKEN,
                "event": "Ordered Product",
                "customer_properties": {
                    "email": "old@example.com",
                    "$email": "abe@example.com",
                    "$id": 42,
                    "id": "ignored",
                },
            },
            [client_event(event({}, {"email": "abe@example.com", "external_id": "42"}))],
        ),
    },
    {
        "id": "A1-get-php-nulls-dropped",
        **get_track(
            {
                "token": TOKEN,
                "event": "Ordered Product",
                "time": None,
                "ip": None,
                "customer_properties": {
                    "$email": "abe@example.com",
                    "$first_name": None,
                    "$id": None,
                    "$phone_number": None,
                    "$city": None,
                    "Plan": None,
                },
                "properties": {"$value": None, "$event_id": None, "note": None},
            },
            [client_event(event({"note": None}, {"email": "abe@example.com"}))],
        ),
    },
    {
        "id": "A1-get-value-string-event-id-number-time-string",
        **get_track(
            {
                "token": TOKEN,
                "event": "Placed Order",
                "time": "1589983886",
                "customer_properties": {"$phone_number": "+13125550100"},
                "properties": {"$value": "99.95", "$event_id": 1001, "$value_currency": "EUR"},
            },
            [
                client_event(
                    event(
                        {},
                        {"phone_number": "+13125550100"},
                        name="Placed Order",
                        time="2020-05-20T14:11:26+00:00",
                        value=99.95,
                        unique_id="1001",
                        value_currency="EUR",
                    )
                )
            ],
        ),
    },
    {
        "id": "A1-get-track-once-unique-id-ip-to-location",
        **get_track(
            {
                "token": TOKEN,
                "event": "Signed Up",
                "ip": "203.0.113.9",
                "customer_properties": {
                    "$email": "abe@example.com",
                    "$city": "Springfield",
                    "$source": "Pop Up",
                    "Plan": "Premium",
                },
                "properties": {"__track_once__": True, "Form": "footer"},
            },
            [
                client_event(
                    event(
                        {"Form": "footer"},
                        {
                            "email": "abe@example.com",
                            "location": {"city": "Springfield", "ip": "203.0.113.9"},
                            "properties": {"$source": "Pop Up", "Plan": "Premium"},
                        },
                        name="Signed Up",
                        unique_id=ONCE_SIGNED_UP,
                    )
                )
            ],
        ),
    },
    {
        "id": "A1-get-upstream-400-answers-0",
        **get_track(TRACK, [client_event(TRACK_EVENT, bad_request("Invalid email address"))], ZERO),
    },
    {
        "id": "A1-get-upstream-429-answers-0-beacon",
        **get_track(TRACK, [client_event(TRACK_EVENT, throttle("3"))], ZERO),
    },
    {
        "id": "A1-get-upstream-500-answers-0",
        **get_track(TRACK, [client_event(TRACK_EVENT, {"status": 500, "headers": {}, "json": None})], ZERO),
    },
    {
        "id": "A1-get-malformed-base64",
        "request": {"method": "GET", "path": "/api/track", "query": [("data", "e30!!not*base64")]},
        "upstream": [],
        "response": ZERO,
    },
    {
        "id": "A1-get-base64-of-invalid-json",
        "request": {
            "method": "GET",
            "path": "/api/track",
            "query": [("data", base64.b64encode(b'{"token": "AbC123",').decode())],
        },
        "upstream": [],
        "response": ZERO,
    },
    {
        "id": "A1-get-no-data",
        "request": {"method": "GET", "path": "/api/track"},
        "upstream": [],
        "response": ZERO,
    },
    {"id": "A1-get-missing-token", **get_track({k: v for k, v in TRACK.items() if k != "token"}, [], ZERO)},
    {"id": "A1-get-missing-event", **get_track({k: v for k, v in TRACK.items() if k != "event"}, [], ZERO)},
    {
        "id": "A1-get-missing-identifier",
        **get_track({**TRACK, "customer_properties": {"$first_name": "Abraham"}}, [], ZERO),
    },
    {"id": "A1-get-bad-time", **get_track({**TRACK, "time": "yesterday"}, [], ZERO)},
    # ------------------------------------------------------------------ A2 POST /api/track
    {
        "id": "A2-post-form-json",  # Python/Node/Ruby/generated SDK
        "request": {
            "method": "POST",
            "path": "/api/track",
            "headers": {"accept": "text/html"},
            "form": [("data", json.dumps(TRACK))],
        },
        "upstream": [client_event(TRACK_EVENT)],
        "response": OK,
    },
    {
        "id": "A2-post-form-base64",
        "request": {"method": "POST", "path": "/api/track", "form": [("data", b64(TRACK))]},
        "upstream": [client_event(TRACK_EVENT)],
        "response": OK,
    },
    {
        "id": "A2-post-raw-json-server-side",  # PHP SDK 2.x track($event, true)
        "settings": SERVER,
        "request": {"method": "POST", "path": "/api/track", "json": TRACK},
        "upstream": [server_event(TRACK_EVENT)],
        "response": OK,
    },
    {
        "id": "A2-post-track-once-server-side-keeps-event-id-as-property",
        "settings": SERVER,
        "request": {
            "method": "POST",
            "path": "/api/track",
            "form": [
                (
                    "data",
                    json.dumps({**TRACK, "properties": {**TRACK_PROPERTIES, "__track_once__": True}}),
                )
            ],
        },
        "upstream": [
            server_event(
                event(
                    {"item_name": "Boots", "$event_id": "order-1001"},
                    {"email": "abe@example.com", "first_name": "Abraham"},
                    time="2020-05-20T14:11:26+00:00",
                    value=100,
                    unique_id=ONCE_ORDERED,
                )
            )
        ],
        "response": OK,
    },
    {
        "id": "A2-post-track-once-false-is-a-plain-track",
        "request": {
            "method": "POST",
            "path": "/api/track",
            "form": [
                (
                    "data",
                    json.dumps({**TRACK, "properties": {**TRACK_PROPERTIES, "__track_once__": False}}),
                )
            ],
        },
        "upstream": [client_event(TRACK_EVENT)],
        "response": OK,
    },
    {
        "id": "A2-post-429-passed-through",
        "request": {"method": "POST", "path": "/api/track", "form": [("data", json.dumps(TRACK))]},
        "upstream": [client_event(TRACK_EVENT, throttle("7"))],
        "response": {
            "status": 429,
            "headers": {"retry-after": "7", "access-control-allow-origin": "*"},
            "json": {"detail": "Request was throttled. Expected available in 7.0 seconds."},
        },
    },
    {
        "id": "A2-post-invalid-json-body",
        "request": {
            "method": "POST",
            "path": "/api/track",
            "headers": {"content-type": "application/json"},
            "content": b'{"token": "AbC123", "event": ',
        },
        "upstream": [],
        "response": ZERO,
    },
    {
        "id": "A2-post-form-data-garbage",
        "request": {"method": "POST", "path": "/api/track", "form": [("data", "{not json")]},
        "upstream": [],
        "response": ZERO,
    },
    # ------------------------------------------------------------------ A3 GET /api/identify
    {
        "id": "A3-get-client-profile",
        "request": {"method": "GET", "path": "/api/identify", "query": [("data", b64(IDENTIFY))]},
        "upstream": [client_profile(IDENTIFY_PROFILE)],
        "response": OK,
    },
    {
        "id": "A3-get-server-side-profile-import",
        "settings": SERVER,
        "request": {"method": "GET", "path": "/api/identify", "query": [("data", b64(IDENTIFY))]},
        "upstream": [
            profile_import(
                IDENTIFY_PROFILE,
                {
                    "status": 201,
                    "headers": {},
                    "json": {
                        "data": {
                            "type": "profile",
                            "id": "01GDDKASAP8TKDDA2GRZDSVP4H",
                            "attributes": {"email": "abe@example.com"},
                        }
                    },
                },
            )
        ],
        "response": OK,
    },
    {
        "id": "A3-get-id-alias-consent-and-numbers",
        "request": {
            "method": "GET",
            "path": "/api/identify",
            "query": [("data", b64({"token": TOKEN, "properties": NUMBERS}))],
        },
        "upstream": [
            client_profile(
                {
                    "data": {
                        "type": "profile",
                        "attributes": {
                            "external_id": "1234",
                            "location": {"zip": "62701", "latitude": 39.78},
                            "properties": {"$consent": ["email", "sms"], "$source": 7},
                        },
                    }
                }
            )
        ],
        "response": OK,
    },
    {
        "id": "A3-get-missing-identifier",
        "request": {
            "method": "GET",
            "path": "/api/identify",
            "query": [("data", b64({"token": TOKEN, "properties": {"$first_name": "Abe", "$email": ""}}))],
        },
        "upstream": [],
        "response": ZERO,
    },
    {
        "id": "A3-get-properties-not-object",
        "request": {
            "method": "GET",
            "path": "/api/identify",
            "query": [("data", b64({"token": TOKEN, "properties": ["abe@example.com"]}))],
        },
        "upstream": [],
        "response": ZERO,
    },
    {
        "id": "A3-get-upstream-400-answers-0",
        "request": {"method": "GET", "path": "/api/identify", "query": [("data", b64(IDENTIFY))]},
        "upstream": [client_profile(IDENTIFY_PROFILE, bad_request("Invalid email address"))],
        "response": ZERO,
    },
    # ------------------------------------------------------------------ A4 POST /api/identify
    {
        "id": "A4-post-form-urlencoded-bytes",  # byte shape as recorded from grouparoo (Node querystring)
        "request": {
            "method": "POST",
            "path": "/api/identify",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
            "content": b"data=%7B%22properties%22%3A%7B%22%24first_name%22%3A%22John%22%2C%22"
            b"%24email%22%3A%22john%40example.com%22%7D%2C%22token%22%3A%22AbC123%22%7D",
        },
        "upstream": [
            client_profile(
                {
                    "data": {
                        "type": "profile",
                        "attributes": {"first_name": "John", "email": "john@example.com"},
                    }
                }
            )
        ],
        "response": OK,
    },
    {
        "id": "A4-post-raw-json-php-nulls",  # PHP ProfileModel sends every special, null when unset
        "request": {
            "method": "POST",
            "path": "/api/identify",
            "json": {
                "token": TOKEN,
                "properties": {
                    "$email": "abe@example.com",
                    "$first_name": "Abraham",
                    "$last_name": None,
                    "$phone_number": None,
                    "$id": None,
                    "$title": None,
                    "$organization": None,
                    "$city": None,
                    "$region": None,
                    "$zip": None,
                    "$country": None,
                    "$image": None,
                    "$consent": None,
                    "Plan": None,
                },
            },
        },
        "upstream": [
            client_profile(
                {
                    "data": {
                        "type": "profile",
                        "attributes": {"email": "abe@example.com", "first_name": "Abraham"},
                    }
                }
            )
        ],
        "response": OK,
    },
    {
        "id": "A4-post-form-base64-server-side",
        "settings": SERVER,
        "request": {"method": "POST", "path": "/api/identify", "form": [("data", b64(IDENTIFY))]},
        "upstream": [
            profile_import(
                IDENTIFY_PROFILE,
                {
                    "status": 200,
                    "headers": {},
                    "json": {
                        "data": {"type": "profile", "id": "01GDDKASAP8TKDDA2GRZDSVP4H", "attributes": {}}
                    },
                },
            )
        ],
        "response": OK,
    },
    {
        "id": "A4-post-409-duplicate-answers-0",
        "settings": SERVER,
        "request": {"method": "POST", "path": "/api/identify", "form": [("data", json.dumps(IDENTIFY))]},
        "upstream": [
            profile_import(
                IDENTIFY_PROFILE,
                {
                    "status": 409,
                    "headers": {},
                    "json": {
                        "errors": [
                            {
                                "id": "x",
                                "status": 409,
                                "code": "duplicate_profile",
                                "title": "Conflict.",
                                "detail": "A profile already exists with one of these identifiers.",
                                "meta": {"duplicate_profile_id": "01GDDKASAP8TKDDA2GRZDSVP4H"},
                            }
                        ]
                    },
                },
            )
        ],
        "response": ZERO,
    },
    {
        "id": "A4-post-429-passed-through",
        "request": {"method": "POST", "path": "/api/identify", "form": [("data", json.dumps(IDENTIFY))]},
        "upstream": [client_profile(IDENTIFY_PROFILE, throttle("12"))],
        "response": {
            "status": 429,
            "headers": {"retry-after": "12"},
            "json": {"detail": "Request was throttled. Expected available in 12.0 seconds."},
        },
    },
    {
        "id": "A4-post-missing-token",
        "request": {
            "method": "POST",
            "path": "/api/identify",
            "form": [("data", json.dumps({"properties": {"$email": "abe@example.com"}}))],
        },
        "upstream": [],
        "response": ZERO,
    },
]
