"""The legacy wire protocol: where keys arrive, which paths are legacy, how errors look.

The engine (``proxy/``) knows no Klaviyo specifics; it asks this module. Error shapes
follow legacy-endpoints.md §0.4 and the translation table of new-api-mapping.md §8.
"""

from __future__ import annotations

import re
from typing import Any

from mappings.core import Family, LegacyReply, Reply

# Where a legacy private key may arrive (§0.1), checked in this order:
# header, query parameter, JSON body key, form body key.
KEY_HEADER = "api-key"
KEY_PARAM = "api_key"
# ASCII only and anchored with \Z (``$`` accepts a trailing newline): a key that matches is safe
# in an HTTP header, so a near-miss is a legacy 403, never a 500 (issue 8, finding 7).
PRIVATE_KEY_RE = re.compile(r"\Apk_[A-Za-z0-9_]{20,64}\Z")
# A public key (legacy ``token``, the new API's ``company_id``): six letters or digits.
PUBLIC_KEY_RE = re.compile(r"\A[A-Za-z0-9]{6}\Z")

# Field names whose values never reach a log in clear, at any depth, on top of the engine's
# generic credential names (``proxy.observe.redact``): where keys and public tokens arrive, and the
# personal identifiers of legacy payloads (``data`` is track/identify's encoded payload).
SENSITIVE_FIELDS: frozenset[str] = frozenset(
    {
        KEY_PARAM,
        KEY_HEADER,
        "token",
        "company_id",
        "email",
        "$email",
        "phone_number",
        "$phone_number",
        "data",
    }
)

# Legacy paths: anything under these prefixes is a legacy call, known or not.
LEGACY_PREFIXES: tuple[tuple[str, Family], ...] = (
    ("/api/v1/", Family.V1),
    ("/api/v2/", Family.V2),
)
LEGACY_EXACT: dict[str, Family] = {
    "/api/track": Family.PUBLIC,
    "/api/identify": Family.PUBLIC,
    "/api/track/": Family.PUBLIC,
    "/api/identify/": Family.PUBLIC,
}

# Legacy track/identify served browsers (the JS snippet's GET beacon), so they answered CORS.
PUBLIC_CORS: dict[str, str] = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Credentials": "true",
}

# Sunset date Klaviyo retired v1/v2 (shown in docs and headers).
RETIRED_ON = "2024-06-30"
MIGRATION_GUIDE = "https://developers.klaviyo.com/en/docs/migrating_from_v1v2_to_the_new_klaviyo_apis"

# The new API's reference pages: DOCS + "<operation id>" is each mapping's successor link.
DOCS = "https://developers.klaviyo.com/en/reference/"

V1_NOT_FOUND = "The requested resource does not exist."
THROTTLED = "Request was throttled. Expected available in {n} seconds."


def legacy_family(path: str) -> Family | None:
    """The legacy family a request path belongs to, or None for a new-API path."""
    fam = LEGACY_EXACT.get(path)
    if fam is not None:
        return fam
    for prefix, family in LEGACY_PREFIXES:
        if path.startswith(prefix):
            return family
    return None


def error(
    family: Family,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    reason: str | None = None,
) -> LegacyReply:
    """A legacy-shaped error. Track/identify never fail with a status: they answer ``0``, and
    ``reason`` (default ``error_<status>``) says why in the access log and metrics."""
    hdrs = headers or {}
    if family is Family.PUBLIC:
        return LegacyReply(
            status=200,
            text="0",
            media_type="text/html; charset=utf-8",
            headers={**PUBLIC_CORS, **hdrs},
            reason=reason or f"error_{status}",
        )
    if family is Family.V1:
        return LegacyReply(status=status, body={"status": status, "message": message}, headers=hdrs)
    return LegacyReply(status=status, body={"detail": message}, headers=hdrs)


def missing_key(family: Family) -> LegacyReply:
    return error(
        family, 403, "Invalid API Key. A private API key is required (api_key parameter or api-key header)."
    )


def unmapped(family: Family, method: str, path: str) -> LegacyReply:
    return error(
        family,
        501,
        f"klaviyo-compat does not translate {method} {path} yet. "
        f"See {MIGRATION_GUIDE} for the new-API replacement.",
    )


def unsupported(family: Family, what: str, successor: str, doc_url: str) -> LegacyReply:
    """An operation the new API cannot honour: say so, and name what replaces it (never fake success)."""
    return error(
        family,
        501,
        f"{what} is not supported by the new Klaviyo API, so klaviyo-compat cannot translate it. "
        f"Successor: {successor} ({doc_url}).",
    )


def bad_request(family: Family, message: str) -> LegacyReply:
    return error(family, 400, message)


def upstream_unavailable(family: Family, retry_after: int | None = None) -> LegacyReply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error(
        family,
        503,
        "The upstream Klaviyo API could not be reached. Please retry.",
        headers,
        reason="upstream_unreachable",
    )


def throttled(family: Family, seconds: int, reason: str = "throttled") -> LegacyReply:
    """The legacy 429 (``Retry-After`` in seconds), as Klaviyo's legacy API worded it."""
    msg = THROTTLED.format(n=f"{seconds}.0" if family is Family.V2 else seconds)
    return error(family, 429, msg, {"Retry-After": str(seconds)}, reason=reason)


def _first_error_detail(body: Any) -> str:
    if isinstance(body, dict):
        errs = body.get("errors")
        if isinstance(errs, list) and errs and isinstance(errs[0], dict):
            detail = errs[0].get("detail") or errs[0].get("title")
            if isinstance(detail, str) and detail:
                return detail
    return ""


def retry_after_seconds(reply: Reply) -> int:
    raw = reply.headers.get("retry-after", "")
    try:
        return max(0, int(float(raw)))
    except ValueError:
        return 1


def translate_error(family: Family, reply: Reply, not_found: str | None = None) -> LegacyReply:
    """New-API error reply -> legacy error (new-api-mapping.md §8).

    ``not_found`` overrides the 404 text (v2 operations each had their own wording).
    """
    status = reply.status
    detail = _first_error_detail(reply.body)
    if family is Family.PUBLIC:
        return error(family, 200, "", reason=f"upstream_{status}")
    if status == 429:
        n = retry_after_seconds(reply)
        msg = THROTTLED.format(n=f"{n}.0" if family is Family.V2 else n)
        return error(family, 429, msg, {"Retry-After": str(n)})
    if status in (401, 403):
        return error(family, 403, detail or "Invalid API Key.")
    if status == 404:
        if not_found is not None:
            return error(family, 404, not_found)
        return error(family, 404, V1_NOT_FOUND if family is Family.V1 else (detail or "Not found."))
    if status in (400, 422):
        return error(family, 400, detail or "Invalid request.")
    if status == 409:
        return error(family, 409, detail or "Conflict.")
    if status >= 500:
        code = status if status in (500, 503) else 503
        wait = str(retry_after_seconds(reply) or 1) if "retry-after" in reply.headers else "1"
        return error(
            family, code, detail or "The upstream Klaviyo API failed. Please retry.", {"Retry-After": wait}
        )
    return error(family, status if status >= 400 else 502, detail or f"Unexpected upstream status {status}.")


# Settings (``proxy.settings.Settings`` booleans of the same name) that let a mapping answer
# more than the faithful translation when the operator opts in; ``LegacyRequest.opt_ins``
# holds those that are on.
APPROXIMATE_RECIPIENTS = "approximate_recipients"
TEMPLATE_SEND_BETA = "template_send_beta"  # C7 through the beta template preview-send job
OPT_INS = (APPROXIMATE_RECIPIENTS, TEMPLATE_SEND_BETA)
# Not a boolean setting: in ``opt_ins`` when the operator configured ``beta_revision`` (the
# revision header the engine sends with every beta operation, ``BETA_OPERATIONS``).
BETA_REVISION = "beta_revision"


# Read after write (see README "Offset pages"): which new-API requests change what a legacy
# collection enumerates. Every write does, except event and profile ingestion (high volume:
# dropping an account's enumerations on every tracked event would defeat the cache; the cost is
# that a metric created by a first event shows in D1 after the cache TTL) and the reads that
# use POST (reports, aggregates, template render).
_INGESTION_PATHS = frozenset(
    {"/api/events", "/api/event-bulk-create-jobs", "/api/profile-import", "/api/profile-bulk-import-jobs"}
)
_READ_POSTS = frozenset({"/api/template-render", "/api/metric-aggregates"})


def invalidates_enumerations(method: str, path: str, status: int) -> bool:
    """Whether a new-API request (method, path, answer status) may have changed a collection
    that legacy offset pages enumerate: a write that was not refused (4xx), other than ingestion
    and POST reads."""
    if method.upper() in ("GET", "HEAD", "OPTIONS") or 400 <= status < 500:
        return False
    path = "/" + path.strip("/")
    if path.startswith("/client/") or path in _INGESTION_PATHS or path in _READ_POSTS:
        return False
    return not path.endswith(("-reports", "-report"))
