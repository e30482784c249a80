"""Legacy profiles (legacy-endpoints.md §E, new-api-mapping.md §2 E).

Declares the whole family: E1-E2 (read and update one person by ID), E3/E4 (a person's
timelines, whose shared plan is ``mappings.translate.timelines``) and E5/E6 (ID lookups, on
``mappings.translate.profile_lookup``). Profile IDs are the same in both APIs, so no ID translation
is needed.
"""

from __future__ import annotations

from typing import Any

from mappings import protocol
from mappings.core import (
    Call,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Plan,
    Reply,
    UpstreamBound,
)
from mappings.core.declarer import Declarer
from mappings.translate.fields import (
    META_KEYS,
    PATCH_PROFILE_ATTRIBUTES,
    legacy_patch_meta,
    legacy_to_profile_attributes,
    profile_to_legacy_person,
)
from mappings.translate.profile_lookup import SEARCH_IDENTIFIERS, BadIdentifier, lookup_plan, one_identifier
from mappings.translate.timelines import LOST, ONE_CHECK_CALLS, SUCCESSOR, Scope, timeline_plan

ops = Declarer(Family.V1)
v2_ops = ops.also(Family.V2)
# Parameters that patch rather than set (``$unset[]`` is the PHP spelling of repeats).
_PATCH_PARAMS = frozenset(META_KEYS) | {"$unset[]"}


def _person(reply: Reply) -> LegacyReply:
    data = reply.body.get("data") if isinstance(reply.body, dict) else None
    return LegacyReply.json_body(profile_to_legacy_person(data if isinstance(data, dict) else {}))


def update_body(person_id: str, req: LegacyRequest) -> dict[str, Any]:
    """PATCH /api/profiles/{id} body from PUT person parameters (all values as received)."""
    props = {name: req.get(name) for name in req.names() if name not in _PATCH_PARAMS}
    attributes = legacy_to_profile_attributes(
        props, id_alias=False, stringify=True, accepts=PATCH_PROFILE_ATTRIBUTES
    )
    data: dict[str, Any] = {"type": "profile", "id": person_id, "attributes": attributes}
    meta = legacy_patch_meta({name: req.get_all(name) for name in _PATCH_PARAMS})
    if meta:
        data["meta"] = meta
    return {"data": data}


@ops.declare(
    "E1",
    "get_profile",
    "GET",
    "/api/v1/person/{person_id}",
    upstream=("get_profile",),
    fidelity=Fidelity.EXACT,
    successor="get_profile",
)
def get_person(req: LegacyRequest) -> Plan:
    """Return one person in the legacy v1 shape: GET /api/profiles/{id}. The 16 fixed `$` keys are
    always present ("" when unset), custom properties are top-level keys, `email`, `first_name` and
    `last_name` are duplicated and `created`/`updated` read `YYYY-MM-DD HH:MM:SS` (UTC). Fields that
    exist only in the new API (locale, location.ip, subscriptions, predictive analytics) are not
    shown. An unknown ID answers 404 "The requested resource does not exist."."""
    reply = yield Call("get_profile", path_params={"id": req.path_params["person_id"]})
    return _person(reply)


@ops.declare(
    "E2",
    "update_profile",
    "PUT",
    "/api/v1/person/{person_id}",
    upstream=("update_profile",),
    fidelity=Fidelity.EXACT,
    successor="update_profile",
)
def update_person(req: LegacyRequest) -> Plan:
    """Update one person from query/form parameters and return the updated person (E1 shape):
    PATCH /api/profiles/{id}. `$` specials (and `email`, `phone_number`) set profile attributes,
    any other key a custom property stored as a string, as legacy did; `$unset` (a JSON list or
    repeated parameters) removes custom properties. A PHP-style null leaves a field alone. Changing
    the email or phone to one another profile already uses answers 409 with the upstream detail."""
    person_id = req.path_params["person_id"]
    reply = yield Call("update_profile", path_params={"id": person_id}, body=update_body(person_id, req))
    return _person(reply)


@ops.declare(
    "E3",
    "profile_metrics_timeline",
    "GET",
    "/api/v1/person/{person_id}/metrics/timeline",
    upstream=("get_events", "get_profile"),
    fidelity=Fidelity.LOSSY,
    successor=SUCCESSOR,
    lost=LOST,
    max_upstream_calls=ONE_CHECK_CALLS,
)
def profile_metrics_timeline(req: LegacyRequest) -> Plan:
    """Events of one person across all metrics, as D2 (GET /api/events filtered on profile_id). An
    empty first page is checked with GET /api/profiles/{id}, so an unknown person answers 404."""
    return (yield from timeline_plan(req, Scope(profile_id=req.path_params["person_id"])))


@ops.declare(
    "E4",
    "profile_metric_timeline",
    "GET",
    "/api/v1/person/{person_id}/metric/{metric_id}/timeline",
    upstream=("get_events", "get_profile", "get_metric"),
    fidelity=Fidelity.LOSSY,
    successor=SUCCESSOR,
    lost=LOST,
    max_upstream_calls=UpstreamBound(1, 2, "1 (+2 existence checks, concurrent, when a first page is empty)"),
)
def profile_metric_timeline(req: LegacyRequest) -> Plan:
    """Events of one person for one metric, as D2 (GET /api/events filtered on metric_id and
    profile_id). An empty first page is checked with GET /api/profiles/{id} and
    GET /api/metrics/{id}, so an unknown person or metric answers 404."""
    scope = Scope(metric_id=req.path_params["metric_id"], profile_id=req.path_params["person_id"])
    return (yield from timeline_plan(req, scope))


@v2_ops.declare(
    "E5",
    "get_profile_id",
    "GET",
    "/api/v2/people/search",
    upstream=("get_profiles",),
    fidelity=Fidelity.EXACT,
    successor="get_profiles",
)
def search_people(req: LegacyRequest) -> Plan:
    """Find a profile ID by exactly one of email, phone_number or external_id (query, JSON or form
    body): GET /api/profiles?filter=equals(<identifier>,"<value>")&page[size]=1. Answers {"id": ...},
    or 404 {"detail": "There is no profile matching the given parameters"}; none or several
    identifiers answer 400 before any upstream call."""
    try:
        field, value = one_identifier(req, SEARCH_IDENTIFIERS)
    except BadIdentifier as exc:
        return protocol.bad_request(Family.V2, str(exc))
    return (yield from lookup_plan(field, value))


@v2_ops.declare(
    "E6",
    "exchange",
    "POST",
    "/api/v2/people/exchange",
    upstream=("get_profiles",),
    fidelity=Fidelity.EXACT,
    successor="get_profiles",
)
def exchange(req: LegacyRequest) -> Plan:
    """Exchange the `_kx` identifier of an email link (`exchange_id`, "<IDENTIFIER>.<COMPANY_ID>")
    for a profile ID: GET /api/profiles?filter=equals(_kx,"<exchange_id>")&page[size]=1. Answers
    {"id": ...}, or 404 {"detail": "There is no profile matching the given parameters"}; a missing
    exchange_id answers 400 before any upstream call."""
    try:
        _, value = one_identifier(req, ("exchange_id",))
    except BadIdentifier:
        return protocol.bad_request(Family.V2, "exchange_id is required.")
    return (yield from lookup_plan("_kx", value))
