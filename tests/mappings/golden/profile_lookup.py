"""Golden cases: E5 GET /api/v2/people/search and E6 POST /api/v2/people/exchange.

Identifiers arrive as each client sends them: Python k3 (JSON body on a GET, key inside),
the generated SDK (query string), PHP (form body, ``api-key`` header).
"""

from __future__ import annotations

from typing import Any

KEY = "pk_0123456789abcdef0123456789abcdef01"
PID = "01FQEQX4GBZAK4MZP6SKB0D941"
JSON = {"content-type": "application/json"}
NO_PROFILE = "There is no profile matching the given parameters"
KX = "Rz9dTQ.J4xyTk"


def error_body(status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": "e1", "status": status, "code": "x", "title": detail, "detail": detail}]}


def profiles_call(
    filter_: str, fields: str, found: bool = True, *, status: int = 200, **reply: Any
) -> dict[str, Any]:
    data = [{"type": "profile", "id": PID, "attributes": {}, "links": {"self": "x"}}] if found else []
    body = reply.pop("json", {"data": data, "links": {"self": "x", "next": None}})
    return {
        "method": "GET",
        "path": "/api/profiles",
        "query": {"filter": filter_, "fields[profile]": fields, "page[size]": "1"},
        "auth": KEY,
        "reply": {"status": status, "json": body, **reply},
    }


def v2(status: int, detail: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"status": status, "headers": {**JSON, **(headers or {})}, "json": {"detail": detail}}


FOUND = {"status": 200, "headers": JSON, "json": {"id": PID}}
SEARCH = "/api/v2/people/search"
EXCHANGE = "/api/v2/people/exchange"
BY_EMAIL = 'equals(email,"abe@example.com")'
ONE_OF = "One of email, phone_number or external_id is required."

CASES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ E5
    {
        "id": "E5-python-json-body-on-get",
        "request": {"method": "GET", "path": SEARCH, "json": {"email": "abe@example.com", "api_key": KEY}},
        "upstream": [profiles_call(BY_EMAIL, "email")],
        "response": FOUND,
    },
    {
        "id": "E5-generated-sdk-query-phone",
        "request": {
            "method": "GET",
            "path": SEARCH,
            "query": [("phone_number", "+13125550100"), ("api_key", KEY)],
        },
        "upstream": [profiles_call('equals(phone_number,"+13125550100")', "phone_number")],
        "response": FOUND,
    },
    {
        "id": "E5-php-form-body-external-id-quoted",
        "request": {
            "method": "GET",
            "path": SEARCH,
            "form": {"external_id": 'cust "42"'},
            "headers": {"api-key": KEY},
        },
        "upstream": [profiles_call('equals(external_id,"cust \\"42\\"")', "external_id")],
        "response": FOUND,
    },
    {
        "id": "E5-not-found",
        "request": {"method": "GET", "path": SEARCH, "json": {"email": "abe@example.com", "api_key": KEY}},
        "upstream": [profiles_call(BY_EMAIL, "email", found=False)],
        "response": v2(404, NO_PROFILE),
    },
    {
        "id": "E5-two-identifiers",
        "request": {
            "method": "GET",
            "path": SEARCH,
            "json": {"email": "abe@example.com", "phone_number": "+13125550100", "api_key": KEY},
        },
        "upstream": [],
        "response": v2(
            400, "Only one of email, phone_number or external_id may be given, got email, phone_number."
        ),
    },
    {
        "id": "E5-no-identifier-php-nulls",
        "request": {
            "method": "GET",
            "path": SEARCH,
            "json": {"email": None, "phone_number": "", "api_key": KEY},
        },
        "upstream": [],
        "response": v2(400, ONE_OF),
    },
    {
        "id": "E5-upstream-400-invalid-phone",
        "request": {"method": "GET", "path": SEARCH, "query": [("phone_number", "555"), ("api_key", KEY)]},
        "upstream": [
            profiles_call(
                'equals(phone_number,"555")',
                "phone_number",
                status=400,
                json=error_body(400, "Invalid phone number format."),
            )
        ],
        "response": v2(400, "Invalid phone number format."),
    },
    {
        "id": "E5-429-retry-after",
        "request": {"method": "GET", "path": SEARCH, "json": {"email": "abe@example.com", "api_key": KEY}},
        "upstream": [
            profiles_call(
                BY_EMAIL,
                "email",
                status=429,
                headers={"retry-after": "56"},
                json=error_body(429, "Request was throttled. Expected available in 56 seconds."),
            )
        ],
        "response": v2(
            429, "Request was throttled. Expected available in 56.0 seconds.", {"retry-after": "56"}
        ),
    },
    {
        "id": "E5-401-becomes-403",
        "request": {"method": "GET", "path": SEARCH, "json": {"email": "abe@example.com", "api_key": KEY}},
        "upstream": [
            profiles_call(
                BY_EMAIL, "email", status=401, json=error_body(401, "Incorrect authentication credentials.")
            )
        ],
        "response": v2(403, "Incorrect authentication credentials."),
    },
    # ------------------------------------------------------------------ E6
    {
        "id": "E6-exchange",
        "request": {"method": "POST", "path": EXCHANGE, "json": {"exchange_id": KX, "api_key": KEY}},
        "upstream": [profiles_call(f'equals(_kx,"{KX}")', "email")],
        "response": FOUND,
    },
    {
        "id": "E6-generated-sdk-header-key",
        "request": {
            "method": "POST",
            "path": EXCHANGE,
            "json": {"exchange_id": KX},
            "headers": {"api-key": KEY},
        },
        "upstream": [profiles_call(f'equals(_kx,"{KX}")', "email", found=False)],
        "response": v2(404, NO_PROFILE),
    },
    {
        "id": "E6-missing-exchange-id",
        "request": {"method": "POST", "path": EXCHANGE, "json": {"api_key": KEY}},
        "upstream": [],
        "response": v2(400, "exchange_id is required."),
    },
    {
        "id": "E6-429-retry-after",
        "request": {"method": "POST", "path": EXCHANGE, "json": {"exchange_id": KX, "api_key": KEY}},
        "upstream": [
            profiles_call(
                f'equals(_kx,"{KX}")',
                "email",
                status=429,
                headers={"retry-after": "8"},
                json=error_body(429, "Request was throttled. Expected available in 8 seconds."),
            )
        ],
        "response": v2(
            429, "Request was throttled. Expected available in 8.0 seconds.", {"retry-after": "8"}
        ),
    },
    {
        "id": "E6-401-becomes-403",
        "request": {"method": "POST", "path": EXCHANGE, "json": {"exchange_id": KX, "api_key": KEY}},
        "upstream": [
            profiles_call(
                f'equals(_kx,"{KX}")',
                "email",
                status=401,
                json=error_body(401, "Incorrect authentication credentials."),
            )
        ],
        "response": v2(403, "Incorrect authentication credentials."),
    },
]
