"""Shared fixtures of the list / segment / exclusion golden tables (no cases here).

Upstream fixtures are new-API JSON:API documents; helpers build one scripted upstream
exchange (request as the proxy must send it, reply as the fake upstream answers).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

KEY = "pk_0123456789abcdef0123456789abcdef01"
LIST_ID = "Xy12Ab"
SEGMENT_ID = "Sg34Cd"
API = "https://a.klaviyo.com"


def errors(status: int, code: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": "e1", "status": status, "code": code, "title": detail, "detail": detail}]}


NOT_FOUND = errors(404, "not_found", "Not found.")
UNAUTHORIZED = errors(401, "not_authenticated", "Incorrect authentication credentials.")
THROTTLED = errors(429, "throttled", "Request was throttled. Expected available in 7 seconds.")


def exchange(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: Any = None,
    status: int = 200,
    reply: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One expected upstream call (private key auth) and the fake upstream's reply."""
    return {
        "method": method,
        "path": path,
        "query": query or {},
        "json": body,
        "auth": KEY,
        "reply": {"status": status, "headers": headers or {}, "json": reply},
    }


def collection(data: list[dict[str, Any]], path: str, next_cursor: str | None = None) -> dict[str, Any]:
    """A collection page; ``links.next`` carries ``page[cursor]`` when more pages remain."""
    next_link = None if next_cursor is None else f"{API}{path}?page%5Bcursor%5D={quote(next_cursor)}"
    return {"data": data, "links": {"self": f"{API}{path}", "next": next_link, "prev": None}}


def profile(
    pid: str,
    email: str | None = None,
    phone: str | None = None,
    joined: str | None = None,
    subscriptions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {"email": email, "phone_number": phone}
    if joined is not None:
        attributes["joined_group_at"] = joined
    if subscriptions is not None:
        attributes["subscriptions"] = subscriptions
    return {
        "type": "profile",
        "id": pid,
        "attributes": attributes,
        "links": {"self": f"{API}/api/profiles/{pid}/"},
    }


def audience(kind: str, ident: str, name: str, created: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "id": ident,
        "attributes": {"name": name, "created": created, "updated": "2022-04-13T16:10:47+00:00", **extra},
        "links": {"self": f"{API}/api/{kind}s/{ident}/"},
    }


def python_v2(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Python k3 / Node / Ruby: the key inside the JSON body, even on GET and DELETE."""
    return {"method": method, "path": path, "json": {**(body or {}), "api_key": KEY}}


def php_v2(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """PHP: the key in the api-key header, parameters as JSON."""
    req: dict[str, Any] = {"method": method, "path": path, "headers": {"api-key": KEY}}
    if body is not None:
        req["json"] = body
    return req


def php_form_v2(method: str, path: str, form: list[tuple[str, str]]) -> dict[str, Any]:
    """PHP GET exclusions / members: api-key header, form-encoded body."""
    return {"method": method, "path": path, "headers": {"api-key": KEY}, "form": form}


def generated(
    method: str, path: str, query: list[tuple[str, str]] | None = None, body: Any = None
) -> dict[str, Any]:
    """Generated SDK (klaviyo-sdk): api_key query parameter, JSON body models."""
    req: dict[str, Any] = {"method": method, "path": path, "query": [("api_key", KEY), *(query or [])]}
    if body is not None:
        req["json"] = body
    return req


def generated_form(method: str, path: str, form: list[tuple[str, str]]) -> dict[str, Any]:
    """Generated SDK form parameters (create_list, update_list_name, exclude_globally)."""
    return {"method": method, "path": path, "query": [("api_key", KEY)], "form": form}


def v2_error(status: int, detail: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "json": {"detail": detail}}
    if headers:
        out["headers"] = headers
    return out


def v1_error(status: int, message: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "json": {"status": status, "message": message}}
    if headers:
        out["headers"] = headers
    return out


THROTTLED_V2 = v2_error(
    429, "Request was throttled. Expected available in 7.0 seconds.", {"retry-after": "7"}
)
THROTTLED_V1 = v1_error(429, "Request was throttled. Expected available in 7 seconds.", {"retry-after": "7"})
FORBIDDEN_V2 = v2_error(403, "Incorrect authentication credentials.")
FORBIDDEN_V1 = v1_error(403, "Incorrect authentication credentials.")


MEMBER_FIELDS = "email,phone_number,joined_group_at"


def lookup(
    group: str,
    field: str,
    values: list[str],
    found: list[dict[str, Any]],
    *,
    subscriptions: bool = False,
    status: int = 200,
    reply: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A membership lookup: ``group`` is ``lists/<id>`` or ``segments/<id>``."""
    query = {
        "filter": f"any({field},{json.dumps(values, separators=(',', ':'))})",
        "fields[profile]": MEMBER_FIELDS + (",subscriptions" if subscriptions else ""),
        "page[size]": "100",
    }
    if subscriptions:
        query["additional-fields[profile]"] = "subscriptions"
    path = f"/api/{group}/profiles"
    if reply is None and status == 200:
        reply = collection(found, path)
    return exchange("GET", path, query=query, status=status, reply=reply, headers=headers)


def subscriptions(
    suppression: list[dict[str, str]] | None = None,
    list_suppressions: list[dict[str, str]] | None = None,
    sms: bool = False,
) -> dict[str, Any]:
    """A profile's ``subscriptions`` additional field (revision 2026-07-15 shape)."""
    return {
        "email": {
            "marketing": {
                "can_receive_email_marketing": not suppression,
                "consent": "UNSUBSCRIBED" if suppression else "SUBSCRIBED",
                "suppression": suppression or [],
                "list_suppressions": list_suppressions or [],
            }
        },
        "sms": {
            "marketing": {
                "can_receive_sms_marketing": sms,
                "consent": "SUBSCRIBED" if sms else "NEVER_SUBSCRIBED",
            }
        },
    }
