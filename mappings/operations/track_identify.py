"""A1-A4: the public-key track and identify endpoints (legacy-endpoints.md §A).

Legacy answered ``200 text/html`` with ``1`` (accepted) or ``0`` (rejected) and never
checked the public key synchronously. Upstream, a token the operator mapped to a private
key (``token_keys``) uses the server-side endpoints; any other token the client-side ones,
which carry the token as ``company_id`` and no Authorization header (like legacy, they cannot
change an existing profile's identifiers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mappings import protocol
from mappings.core import (
    HTML,
    JSON_TYPE,
    Call,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Plan,
    Reply,
    UpstreamError,
)
from mappings.core.declarer import Declarer
from mappings.protocol import THROTTLED, retry_after_seconds
from mappings.translate.fields import (
    CLIENT_PROFILE_ATTRIBUTES,
    UPSERT_PROFILE_ATTRIBUTES,
    has_identifier,
    legacy_to_profile_attributes,
    track_payload_to_event,
)
from mappings.translate.payload import InvalidPayload, decode_payload

# Legacy returned these on track/identify (browsers used GET as a beacon).
CORS_HEADERS: Mapping[str, str] = protocol.PUBLIC_CORS
ACCEPTED = LegacyReply(status=200, text="1", media_type=HTML, headers=CORS_HEADERS)
REJECTED = LegacyReply(status=200, text="0", media_type=HTML, headers=CORS_HEADERS)
# Why a call answered 0 (``LegacyReply.reason``: logged and counted by the engine, never sent).
UNDECODABLE = REJECTED.because("undecodable_payload")
NO_TOKEN = REJECTED.because("no_token")
NO_EVENT = REJECTED.because("no_event")
NO_IDENTIFIER = REJECTED.because("no_identifier")
NO_PROPERTIES = REJECTED.because("no_properties")

TRACK_OPS = ("create_event", "create_client_event")
IDENTIFY_OPS = ("create_or_update_profile", "create_client_profile")
TRACK_LOST = (
    "`__track_once__` becomes a unique_id derived from the event name, so the new API records the "
    "event once per profile and metric (a repeat answers 1 but is not recorded; an event name used "
    "both with and without the flag is deduplicated only among its track-once calls); `test` is "
    "ignored; a non-numeric `$value` stays an event property instead of the event value."
)
IDENTIFY_LOST = (
    "`$consent` is stored as a property, not a subscription (as legacy); identifiers that "
    "belong to two different profiles answer 0 where legacy merged or ignored them."
)


def _token(payload: Mapping[str, Any]) -> str | None:
    token = payload.get("token")
    return token if isinstance(token, str) and token.strip() else None


def payload_token(req: LegacyRequest) -> str | None:
    """The caller's public key (``token`` in the payload), for the engine's traffic record."""
    try:
        return _token(decode_payload(req))
    except ValueError:
        return None


# Keyed by the payload's public token, not a private key; GET track/identify are writes too
# (browser beacons).
ops = Declarer(Family.PUBLIC, requires_private_key=False, writes=True, caller=payload_token)


def _throttled(reply: Reply) -> LegacyReply:
    """POST callers can retry: pass 429 through with ``Retry-After`` and the legacy text."""
    n = retry_after_seconds(reply)
    return LegacyReply(
        status=429,
        body={"detail": THROTTLED.format(n=f"{n}.0")},
        media_type=JSON_TYPE,
        headers={**CORS_HEADERS, "Retry-After": str(n)},
    )


def _send(req: LegacyRequest, call: Call) -> Plan:
    """Yield the call: 2xx -> ``1``; 429 on POST -> 429; anything else -> ``0``."""
    try:
        yield call
    except UpstreamError as exc:
        if exc.reply.status == 429 and req.method == "POST":
            return _throttled(exc.reply)
        return REJECTED.because(f"upstream_{exc.reply.status}")
    return ACCEPTED


def _track(req: LegacyRequest) -> Plan:
    try:
        payload = decode_payload(req)
        token, event = _token(payload), payload.get("event")
        data = track_payload_to_event(payload)
    except ValueError:  # InvalidPayload included
        return UNDECODABLE
    profile = data["attributes"]["profile"]["data"]["attributes"]
    if token is None:
        return NO_TOKEN
    if not isinstance(event, str) or not event:
        return NO_EVENT
    if not has_identifier(profile):
        return NO_IDENTIFIER
    if token in req.server_side_tokens:
        call = Call("create_event", body={"data": data}, auth="private", token=token)
    else:
        call = Call("create_client_event", query={"company_id": token}, body={"data": data}, auth="public")
    return (yield from _send(req, call))


def _identify(req: LegacyRequest) -> Plan:
    try:
        payload = decode_payload(req)
    except InvalidPayload:
        return UNDECODABLE
    token, props = _token(payload), payload.get("properties")
    if token is None:
        return NO_TOKEN
    if not isinstance(props, Mapping):
        return NO_PROPERTIES
    server = token in req.server_side_tokens
    accepts = UPSERT_PROFILE_ATTRIBUTES if server else CLIENT_PROFILE_ATTRIBUTES
    attributes = legacy_to_profile_attributes(props, accepts=accepts)
    if not has_identifier(attributes):
        return NO_IDENTIFIER
    body = {"data": {"type": "profile", "attributes": attributes}}
    if server:
        call = Call("create_or_update_profile", body=body, auth="private", token=token)
    else:
        call = Call("create_client_profile", query={"company_id": token}, body=body, auth="public")
    return (yield from _send(req, call))


@ops.declare(
    "A1",
    "track_get",
    "GET",
    "/api/track",
    upstream=TRACK_OPS,
    fidelity=Fidelity.LOSSY,
    successor="create_event",
    lost=TRACK_LOST,
    spoolable=True,
)
def track_get(req: LegacyRequest) -> Plan:
    """Track an event from `data` (base64 JSON, standard or URL-safe, padding optional).
    Creates the event and updates the profile from `customer_properties`: POST /api/events
    when the operator mapped the token to a private key, else POST /client/events?company_id=<token>.
    `$event_id` becomes unique_id (`__track_once__: true` replaces it with "track-once:" and a hash
    of the event name, so the event is recorded once per profile), `$value` value, `time` an ISO
    datetime, `ip` the profile's location.ip. Answers 1 on acceptance; 0 for an undecodable
    payload, a missing token, event or identifier (no upstream call), or any upstream error
    (429 included: GET is a beacon)."""
    return _track(req)


@ops.declare(
    "A2",
    "track_post",
    "POST",
    "/api/track",
    upstream=TRACK_OPS,
    fidelity=Fidelity.LOSSY,
    successor="create_event",
    lost=TRACK_LOST,
    spoolable=True,
)
def track_post(req: LegacyRequest) -> Plan:
    """Track an event posted as form field `data` (JSON or base64) or as a raw JSON body.
    Same translation as A1 (POST /api/events or /client/events). Answers 1 or 0; an upstream
    429 is passed through as HTTP 429 with Retry-After and `{"detail": "Request was throttled..."}`."""
    return _track(req)


@ops.declare(
    "A3",
    "identify_get",
    "GET",
    "/api/identify",
    upstream=IDENTIFY_OPS,
    fidelity=Fidelity.LOSSY,
    successor="create_or_update_profile",
    lost=IDENTIFY_LOST,
    spoolable=True,
)
def identify_get(req: LegacyRequest) -> Plan:
    """Create or update a profile from `data` (base64 JSON with `token` and `properties`).
    Specials map to profile attributes, other keys to custom properties; nulls are dropped
    (legacy never cleared fields). POST /api/profile-import with a mapped private key, else
    POST /client/profiles?company_id=<token>. Answers 1, or 0 for an invalid payload, a
    missing token or identifier, or any upstream error."""
    return _identify(req)


@ops.declare(
    "A4",
    "identify_post",
    "POST",
    "/api/identify",
    upstream=IDENTIFY_OPS,
    fidelity=Fidelity.LOSSY,
    successor="create_or_update_profile",
    lost=IDENTIFY_LOST,
    spoolable=True,
)
def identify_post(req: LegacyRequest) -> Plan:
    """Create or update a profile posted as form field `data` (JSON or base64) or a raw JSON
    body. Same translation as A3: POST /api/profile-import with a mapped private key, else
    POST /client/profiles?company_id=<token>. Answers 1 or 0; an upstream 409 (identifiers
    belonging to different profiles) answers 0; an upstream 429 is passed through as HTTP 429
    with Retry-After."""
    return _identify(req)
