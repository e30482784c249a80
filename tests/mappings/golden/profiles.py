"""Golden cases for E1/E2 (GET / PUT /api/v1/person/{id}). Format: tests/mappings/test_golden.py."""

from __future__ import annotations

from typing import Any

PK = "pk_" + "a1" * 17
PID = "01FRTQ9XJE4WFWEG52Q5J8RY9Q"
PATH = f"/api/v1/person/{PID}"
UP_PATH = f"/api/profiles/{PID}"
KEY = [("api_key", PK)]
JSON = {"content-type": "application/json"}
DUPLICATE = "A profile already exists with one of these identifiers."

# New-API profile behind the legacy E1 example (legacy-endpoints.md E1).
ATTRIBUTES: dict[str, Any] = {
    "email": "abe@example.com",
    "phone_number": "+13125550100",
    "external_id": None,
    "anonymous_id": None,
    "first_name": "Abraham",
    "last_name": "Lincoln",
    "organization": None,
    "locale": "en-US",
    "title": None,
    "image": None,
    "created": "2022-01-07T16:52:45+00:00",
    "updated": "2022-01-07T16:52:56.481000+00:00",
    "last_event_date": "2022-01-07T16:52:56+00:00",
    "location": {
        "address1": None,
        "address2": None,
        "city": "Springfield",
        "country": "United States",
        "latitude": None,
        "longitude": None,
        "region": "Illinois",
        "zip": "62701",
        "timezone": "America/Chicago",
        "ip": "203.0.113.9",
    },
    "properties": {"Plan": "Premium", "$source": "Newsletter Pop Up", "$consent": ["email"]},
}
PERSON: dict[str, Any] = {
    "object": "person",
    "id": PID,
    "$address1": "",
    "$address2": "",
    "$city": "Springfield",
    "$country": "United States",
    "$latitude": "",
    "$longitude": "",
    "$region": "Illinois",
    "$zip": "62701",
    "$email": "abe@example.com",
    "$first_name": "Abraham",
    "$last_name": "Lincoln",
    "$phone_number": "+13125550100",
    "$title": "",
    "$organization": "",
    "$timezone": "America/Chicago",
    "$id": "",
    "Plan": "Premium",
    "$source": "Newsletter Pop Up",
    "$consent": ["email"],
    "email": "abe@example.com",
    "first_name": "Abraham",
    "last_name": "Lincoln",
    "created": "2022-01-07 16:52:45",
    "updated": "2022-01-07 16:52:56",
}


def resource(**changes: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "profile",
            "id": PID,
            "attributes": {**ATTRIBUTES, **changes},
            "links": {"self": f"https://a.klaviyo.com{UP_PATH}/"},
        },
        "links": {"self": f"https://a.klaviyo.com{UP_PATH}/"},
    }


def ok(body: Any) -> dict[str, Any]:
    return {"status": 200, "headers": {"content-type": "application/vnd.api+json"}, "json": body}


def error(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "headers": headers or {},
        "json": {"errors": [{"id": "e7c1", "status": status, "code": code, "title": code, "detail": detail}]},
    }


def get(reply: dict[str, Any]) -> dict[str, Any]:
    return {"method": "GET", "path": UP_PATH, "auth": PK, "reply": reply}


def patch(attributes: dict[str, Any], reply: dict[str, Any], meta: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "profile", "id": PID, "attributes": attributes}
    if meta is not None:
        data["meta"] = meta
    return {"method": "PATCH", "path": UP_PATH, "json": {"data": data}, "auth": PK, "reply": reply}


def put(query: list[tuple[str, str]], **body: Any) -> dict[str, Any]:
    return {"method": "PUT", "path": PATH, "query": [*query, *KEY], **body}


def v1(status: int, message: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body = {"status": status, "message": message}
    return {"status": status, "headers": {**JSON, **(headers or {})}, "json": body}


UPDATED = {
    **ATTRIBUTES,
    "first_name": "John",
    "updated": "2022-01-08T09:00:00+00:00",
    "location": {**ATTRIBUTES["location"], "city": "Boston", "zip": "02118"},
    "properties": {
        "Plan": "Premium",
        "$source": "Newsletter Pop Up",
        "$consent": ["email"],
        "phone": "1234567890",
    },
}
UPDATED_PERSON = {
    **PERSON,
    "$city": "Boston",
    "$zip": "02118",
    "$first_name": "John",
    "first_name": "John",
    "phone": "1234567890",
    "updated": "2022-01-08 09:00:00",
}
BASE_PERSON = {k: v for k, v in PERSON.items() if k not in ("Plan", "$source", "$consent")}
UNSET_PERSON = {k: v for k, v in PERSON.items() if k != "Plan"}
UNSET_ATTRS = {**ATTRIBUTES, "properties": {"$source": "Newsletter Pop Up", "$consent": ["email"]}}

CASES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ E1 GET person
    {
        "id": "E1-get-person",
        "request": {"method": "GET", "path": PATH, "query": KEY},
        "upstream": [get(ok(resource()))],
        "response": {"status": 200, "headers": JSON, "json": PERSON},
    },
    {
        "id": "E1-get-person-image-numbers-offsets-and-collisions",
        "request": {"method": "GET", "path": PATH, "headers": {"api-key": PK}},
        "upstream": [
            get(
                ok(
                    resource(
                        image="https://img.example/abe.png",
                        external_id="cust-42",
                        created="2022-01-07T17:52:45.123+01:00",
                        updated="2022-01-07T16:52:56Z",
                        location={"city": None, "latitude": 39.78, "longitude": "-89.65"},
                        properties={"email": "spoof@example.com", "$id": "spoof", "Score": 7, "Empty": None},
                    )
                )
            )
        ],
        "response": {
            "status": 200,
            "headers": JSON,
            "json": {
                **BASE_PERSON,
                "$city": "",
                "$country": "",
                "$region": "",
                "$zip": "",
                "$timezone": "",
                "$latitude": 39.78,
                "$longitude": "-89.65",
                "$id": "cust-42",
                "$image": "https://img.example/abe.png",
                "Score": 7,
                "Empty": None,
                "created": "2022-01-07 16:52:45",
                "updated": "2022-01-07 16:52:56",
            },
        },
    },
    {
        "id": "E1-get-person-404",
        "request": {"method": "GET", "path": PATH, "query": KEY},
        "upstream": [get(error(404, "not_found", f"A profile with id {PID} does not exist."))],
        "response": v1(404, "The requested resource does not exist."),
    },
    {
        "id": "E1-get-person-401-becomes-403",
        "request": {"method": "GET", "path": PATH, "query": KEY},
        "upstream": [get(error(401, "not_authenticated", "Incorrect authentication credentials."))],
        "response": v1(403, "Incorrect authentication credentials."),
    },
    {
        "id": "E1-get-person-without-private-key",
        "request": {"method": "GET", "path": PATH},
        "upstream": [],
        "response": v1(
            403, "Invalid API Key. A private API key is required (api_key parameter or api-key header)."
        ),
    },
    # ------------------------------------------------------------------ E2 PUT person
    {
        "id": "E2-put-specials-and-custom",
        "request": put(
            [("$first_name", "John"), ("phone", "1234567890"), ("$city", "Boston"), ("$zip", "02118")]
        ),
        "upstream": [
            patch(
                {
                    "first_name": "John",
                    "location": {"city": "Boston", "zip": "02118"},
                    "properties": {"phone": "1234567890"},
                },
                ok(resource(**UPDATED)),
            )
        ],
        "response": {"status": 200, "headers": JSON, "json": UPDATED_PERSON},
    },
    {
        "id": "E2-put-change-email-and-ids",  # unprefixed `id` is a custom property outside track/identify
        "request": put(
            [
                ("$email", "new@example.com"),
                ("$id", "cust-9"),
                ("id", "x1"),
                ("$phone_number", "+13125550199"),
            ]
        ),
        "upstream": [
            patch(
                {
                    "email": "new@example.com",
                    "external_id": "cust-9",
                    "phone_number": "+13125550199",
                    "properties": {"id": "x1"},
                },
                ok(resource(email="new@example.com", external_id="cust-9", phone_number="+13125550199")),
            )
        ],
        "response": {
            "status": 200,
            "headers": JSON,
            "json": {
                **PERSON,
                "$email": "new@example.com",
                "email": "new@example.com",
                "$id": "cust-9",
                "$phone_number": "+13125550199",
            },
        },
    },
    {
        "id": "E2-put-json-body-values-stringified-nulls-dropped",
        "request": put(
            [],
            json={
                "numerical_field": 10.32,
                "flag": True,
                "tags": ["a", "b"],
                "nested": {"k": 1},
                "date_field": "2020-08-30T05:49:48.000Z",
                "$title": None,
                "gone": None,
            },
        ),
        "upstream": [
            patch(
                {
                    "properties": {
                        "numerical_field": "10.32",
                        "flag": "true",
                        "tags": '["a", "b"]',
                        "nested": '{"k": 1}',
                        "date_field": "2020-08-30T05:49:48.000Z",
                    }
                },
                ok(resource()),
            )
        ],
        "response": {"status": 200, "headers": JSON, "json": PERSON},
    },
    {
        "id": "E2-put-unset-json-list",  # Python/Node unset_profile_properties
        "request": put([("$unset", '["Plan", "old_field"]')]),
        "upstream": [
            patch(
                {}, ok(resource(**UNSET_ATTRS)), meta={"patch_properties": {"unset": ["Plan", "old_field"]}}
            )
        ],
        "response": {"status": 200, "headers": JSON, "json": UNSET_PERSON},
    },
    {
        "id": "E2-put-unset-repeated-params",  # grouparoo via Node querystring
        "request": put([("$unset", "Plan"), ("$unset", "old_field"), ("$first_name", "Abraham")]),
        "upstream": [
            patch(
                {"first_name": "Abraham"},
                ok(resource(**UNSET_ATTRS)),
                meta={"patch_properties": {"unset": ["Plan", "old_field"]}},
            )
        ],
        "response": {"status": 200, "headers": JSON, "json": UNSET_PERSON},
    },
    {
        "id": "E2-put-409-duplicate",
        "request": put([("$email", "taken@example.com")]),
        "upstream": [patch({"email": "taken@example.com"}, error(409, "duplicate_profile", DUPLICATE))],
        "response": v1(409, DUPLICATE),
    },
    {
        "id": "E2-put-429-retry-after",
        "request": put([("$first_name", "John")]),
        "upstream": [
            patch(
                {"first_name": "John"},
                error(
                    429,
                    "throttled",
                    "Request was throttled. Expected available in 30 seconds.",
                    {"retry-after": "30"},
                ),
            )
        ],
        "response": v1(
            429, "Request was throttled. Expected available in 30 seconds.", {"retry-after": "30"}
        ),
    },
    {
        "id": "E2-put-404",
        "request": put([("$first_name", "John")]),
        "upstream": [patch({"first_name": "John"}, error(404, "not_found", "Not found."))],
        "response": v1(404, "The requested resource does not exist."),
    },
]
