"""Golden cases: G1 POST /api/v2/data-privacy/deletion-request (JSON body, key inside, as every SDK)."""

from __future__ import annotations

from typing import Any

KEY = "pk_0123456789abcdef0123456789abcdef01"
PID = "01GDDKASAP8TKDDA2GRZDSVP4H"
PATH = "/api/v2/data-privacy/deletion-request"
JSON = {"content-type": "application/json"}
NOT_FOUND = (
    "No Customer corresponding to the provided profile identifier found. "
    "It could be the case that the Customer has already been deleted."
)
SUBMITTED = {"status": 202, "headers": JSON, "json": {"results": "Submitted new deletion task for customer."}}


def error_body(status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": "e1", "status": status, "code": "x", "title": detail, "detail": detail}]}


def find(filter_: str, fields: str, found: bool = True) -> dict[str, Any]:
    data = [{"type": "profile", "id": PID, "attributes": {}, "links": {"self": "x"}}] if found else []
    return {
        "method": "GET",
        "path": "/api/profiles",
        "query": {"filter": filter_, "fields[profile]": fields, "page[size]": "1"},
        "auth": KEY,
        "reply": {"status": 200, "json": {"data": data, "links": {"self": "x", "next": None}}},
    }


def get_profile(status: int = 200) -> dict[str, Any]:
    body: Any = {
        "data": {"type": "profile", "id": PID, "attributes": {"email": "x@y.z"}, "links": {"self": "x"}}
    }
    if status != 200:
        body = error_body(status, f"A profile with id {PID} does not exist.")
    return {
        "method": "GET",
        "path": f"/api/profiles/{PID}",
        "query": {"fields[profile]": "email"},
        "auth": KEY,
        "reply": {"status": status, "json": body},
    }


def delete(status: int = 202, **reply: Any) -> dict[str, Any]:
    profile = {"type": "profile", "id": PID, "attributes": {}}
    return {
        "method": "POST",
        "path": "/api/data-privacy-deletion-jobs",
        "json": {"data": {"type": "data-privacy-deletion-job", "attributes": {"profile": {"data": profile}}}},
        "auth": KEY,
        "reply": {"status": status, "json": reply.pop("json", None), **reply},
    }


def v2(status: int, detail: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"status": status, "headers": {**JSON, **(headers or {})}, "json": {"detail": detail}}


def post(**body: Any) -> dict[str, Any]:
    return {"method": "POST", "path": PATH, "json": {**body, "api_key": KEY}}


BY_EMAIL = 'equals(email,"abe@example.com")'

CASES: list[dict[str, Any]] = [
    {
        "id": "G1-email-resolved-then-deleted-by-id",
        "request": post(email="abe@example.com"),
        "upstream": [find(BY_EMAIL, "email"), delete()],
        "response": SUBMITTED,
    },
    {
        "id": "G1-phone-number",
        "request": post(phone_number="+13239169023"),
        "upstream": [find('equals(phone_number,"+13239169023")', "phone_number"), delete()],
        "response": SUBMITTED,
    },
    {
        "id": "G1-person-id",
        "request": post(person_id=PID),
        "upstream": [get_profile(), delete()],
        "response": SUBMITTED,
    },
    {
        "id": "G1-email-not-found",
        "request": post(email="abe@example.com"),
        "upstream": [find(BY_EMAIL, "email", found=False)],
        "response": v2(404, NOT_FOUND),
    },
    {
        "id": "G1-person-id-not-found",
        "request": post(person_id=PID),
        "upstream": [get_profile(404)],
        "response": v2(404, NOT_FOUND),
    },
    {
        "id": "G1-two-identifiers",
        "request": post(email="abe@example.com", person_id=PID),
        "upstream": [],
        "response": v2(
            400, "Only one of email, phone_number or person_id may be given, got email, person_id."
        ),
    },
    {
        "id": "G1-no-identifier",
        "request": post(),
        "upstream": [],
        "response": v2(400, "One of email, phone_number or person_id is required."),
    },
    {
        "id": "G1-deletion-409-already-requested",
        "request": post(email="abe@example.com"),
        "upstream": [
            find(BY_EMAIL, "email"),
            delete(409, json=error_body(409, "A deletion request for this profile is already in progress.")),
        ],
        "response": v2(409, "A deletion request for this profile is already in progress."),
    },
    {
        "id": "G1-deletion-429-retry-after",
        "request": post(person_id=PID),
        "upstream": [
            get_profile(),
            delete(
                429,
                headers={"retry-after": "20"},
                json=error_body(429, "Request was throttled. Expected available in 20 seconds."),
            ),
        ],
        "response": v2(
            429, "Request was throttled. Expected available in 20.0 seconds.", {"retry-after": "20"}
        ),
    },
    {
        "id": "G1-401-becomes-403",
        "request": post(person_id=PID),
        "upstream": [
            {
                **get_profile(),
                "reply": {"status": 401, "json": error_body(401, "Incorrect authentication credentials.")},
            }
        ],
        "response": v2(403, "Incorrect authentication credentials."),
    },
]
