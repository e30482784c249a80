"""List membership (legacy-endpoints.md §F7-F11, S1, S2) on list profiles and relationships."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from mappings import protocol
from mappings.core import (
    Call,
    Family,
    Fidelity,
    Gather,
    LegacyReply,
    LegacyRequest,
    Operation,
    Plan,
    PlanFn,
    Reply,
    UpstreamBound,
    UpstreamError,
)
from mappings.core.declarer import Declarer
from mappings.translate.list_objects import LIST_NOT_FOUND
from mappings.translate.member_checks import CHECK_CALLS, check_members
from mappings.translate.member_lookup import (
    BATCH,
    EMAILS,
    GATHER_GROUP,
    KINDS,
    PUSH_TOKENS,
    WRITE_LIMIT,
    BadIdentifiers,
    Match,
    lookups,
    member_ids,
    parse_identifiers,
    relationship_bodies,
    run_lookups,
)
from mappings.translate.subscribers import (
    MAX_PROFILES,
    UPSERT_GROUP,
    BadSubscribers,
    Subscriber,
    parse_subscriber,
    upsert_body,
)

ops = Declarer(Family.V2)
LIST_PROFILES: Final = "get_profiles_for_list"
UNSUBSCRIBE_JOB: Final = "profile-subscription-bulk-delete-job"
JOB_PROFILES: Final = 100  # bulk_unsubscribe_profiles ceiling
UNSUBSCRIBE: Final = "UNSUBSCRIBED"
WRITE_CALLS: Final = (
    "ceil(E/100) + ceil(P/100) + ceil(T/100) lookups (E, P, T <= 1000 emails, phones, tokens)"
)
LOOKUP_CALLS: Final = 3 * WRITE_LIMIT // BATCH  # the lookups of WRITE_CALLS, at most


def _not_found(err: UpstreamError) -> LegacyReply:
    return protocol.translate_error(Family.V2, err.reply, not_found=LIST_NOT_FOUND)


def unsubscribe_jobs(list_id: str, found: Sequence[Match]) -> list[dict[str, Any]]:
    """bulk_unsubscribe_profiles bodies (<= 100 profiles each) for members found by email or phone.

    A profile found both ways is one entry unsubscribed from both channels. Push-token matches
    are left out: a push unsubscription needs the token's platform and vendor.
    """
    entries: dict[str, dict[str, Any]] = {}
    for match in found:
        value = match.attributes.get(match.kind.field) or match.value
        if match.kind is PUSH_TOKENS or match.profile_id is None or not isinstance(value, str):
            continue
        entry = entries.setdefault(match.profile_id, {"subscriptions": {}})
        entry[match.kind.field] = value
        entry["subscriptions"]["email" if match.kind is EMAILS else "sms"] = {
            "marketing": {"consent": UNSUBSCRIBE}
        }
    profiles = [{"type": "profile", "attributes": attrs} for attrs in entries.values()]
    return [
        {
            "data": {
                "type": UNSUBSCRIBE_JOB,
                "attributes": {"profiles": {"data": profiles[at : at + JOB_PROFILES]}},
                "relationships": {"list": {"data": {"type": "list", "id": list_id}}},
            }
        }
        for at in range(0, len(profiles), JOB_PROFILES)
    ]


def _remove(list_id: str, body: dict[str, Any]) -> Call:
    return Call("remove_profiles_from_list", path_params={"id": list_id}, body=body, expect=(200, 204))


@ops.declare(
    "F7",
    "unsubscribe",
    "DELETE",
    "/api/v2/list/{list_id}/subscribe",
    upstream=(LIST_PROFILES, "bulk_unsubscribe_profiles", "remove_profiles_from_list"),
    fidelity=Fidelity.LOSSY,
    successor="bulk_unsubscribe_profiles",
    lost="Only current members are unsubscribed (the new job would unsubscribe anybody else "
    "globally), so a non-member gets no list exclusion. The unsubscription runs as an "
    "asynchronous job, so membership ends shortly after the answer. Profiles found by push "
    "token are removed from the list but keep their push consent.",
    max_upstream_calls=UpstreamBound(
        0,
        LOOKUP_CALLS + 2 * WRITE_LIMIT // JOB_PROFILES + 1,
        WRITE_CALLS + " + ceil(M/100) unsubscribe jobs + ceil(M/1000) removals (M members)",
    ),
)
def unsubscribe(req: LegacyRequest) -> Plan:
    """Unsubscribe profiles from a list and remove them from it. Finds which of the given emails,
    phone_numbers and push_tokens are members with GET /api/lists/{id}/profiles (one any(...)
    filter per kind and 100 values), starts POST /api/profile-subscription-bulk-delete-jobs for
    the list (email marketing for emails, SMS marketing for phone numbers; 100 profiles per job),
    which also removes them from the list (members found only by push token are removed with
    DELETE /api/lists/{id}/relationships/profiles and keep their push consent). Answers
    HTTP 200 with an empty body; an unknown list answers 404 "List not found."."""
    list_id = req.path_params["list_id"]
    try:
        identifiers = parse_identifiers(req.params, KINDS, WRITE_LIMIT)
    except BadIdentifiers as exc:
        return protocol.bad_request(Family.V2, str(exc))
    try:
        found = yield from run_lookups(lookups(LIST_PROFILES, list_id, identifiers))
        jobs = [Call("bulk_unsubscribe_profiles", body=b) for b in unsubscribe_jobs(list_id, found)]
        for at in range(0, len(jobs), GATHER_GROUP):
            yield Gather(tuple(jobs[at : at + GATHER_GROUP]))
        # The job removes the profiles it unsubscribes from the list itself. Removing them here
        # too would race the asynchronous job: a profile no longer in the list when the job
        # runs is unsubscribed globally. Only push-token matches (not in a job) are removed.
        in_jobs = {m.profile_id for m in found if m.kind is not PUSH_TOKENS}
        push_only = [pid for pid in member_ids(found) if pid not in in_jobs]
        for body in relationship_bodies(push_only):
            yield _remove(list_id, body)
    except UpstreamError as err:
        return _not_found(err)
    return LegacyReply.empty()


@ops.declare(
    "F10",
    "remove_members",
    "DELETE",
    "/api/v2/list/{list_id}/members",
    upstream=(LIST_PROFILES, "remove_profiles_from_list"),
    fidelity=Fidelity.EXACT,
    successor="remove_profiles_from_list",
    max_upstream_calls=UpstreamBound(
        0, LOOKUP_CALLS + 3, WRITE_CALLS + " + ceil(M/1000) removals (M members found)"
    ),
)
def remove_members(req: LegacyRequest) -> Plan:
    """Remove profiles from a list without changing their consent. Resolves the given emails,
    phone_numbers and push_tokens to member profile IDs with GET /api/lists/{id}/profiles (one
    any(...) filter per kind and 100 values), then DELETE /api/lists/{id}/relationships/profiles.
    Answers HTTP 200 with an empty body; an unknown list answers 404 "List not found."."""
    list_id = req.path_params["list_id"]
    try:
        identifiers = parse_identifiers(req.params, KINDS, WRITE_LIMIT)
    except BadIdentifiers as exc:
        return protocol.bad_request(Family.V2, str(exc))
    try:
        found = yield from run_lookups(lookups(LIST_PROFILES, list_id, identifiers))
        for body in relationship_bodies(member_ids(found)):
            yield _remove(list_id, body)
    except UpstreamError as err:
        return _not_found(err)
    return LegacyReply.empty()


def parse_members(profiles: Any) -> list[Subscriber]:
    """F9 ``profiles`` -> profiles to write; raises ``BadSubscribers``."""
    if not isinstance(profiles, list):
        raise BadSubscribers("The 'profiles' parameter is required and must be a list of profile objects.")
    if len(profiles) > MAX_PROFILES:
        raise BadSubscribers(f"At most {MAX_PROFILES} profiles can be added in one request.")
    return [parse_subscriber(p, i) for i, p in enumerate(profiles)]


def _resource_id(reply: Reply) -> str | None:
    data = reply.body.get("data") if isinstance(reply.body, Mapping) else None
    ident = data.get("id") if isinstance(data, Mapping) else None
    return ident if isinstance(ident, str) else None


@ops.declare(
    "F9",
    "add_members",
    "POST",
    "/api/v2/list/{list_id}/members",
    upstream=("get_list", "create_or_update_profile", "add_profiles_to_list"),
    fidelity=Fidelity.LOSSY,
    successor="add_profiles_to_list",
    lost="'id' in a profile is a custom property; sms_consent is ignored (membership never changes "
    "consent). Not atomic: when the new API throttles (429) midway through the per-profile "
    "upserts, the profiles already upserted stay written but nobody is added to the list; the "
    "legacy 429 keeps Retry-After, and retrying the same legacy call is safe (the upsert is "
    "idempotent).",
    max_upstream_calls=UpstreamBound(
        2, MAX_PROFILES, "2 + N: get_list, one profile-import per profile (N <= 1000, 25 at a time), one add"
    ),
)
def add_members(req: LegacyRequest) -> Plan:
    """Add profiles to a list regardless of its opt-in setting, writing their properties. Checks
    the list (GET /api/lists/{id}; unknown: 404 before anything is written), upserts each
    profile with POST /api/profile-import (which yields its ID), then adds them all with POST
    /api/lists/{id}/relationships/profiles. Answers [{"id", "email"}] (plus "phone_number" when
    given). Rejects with 400, before any upstream call, a body without a profiles list, more than
    1000 profiles, or a profile with neither email nor phone_number."""
    list_id = req.path_params["list_id"]
    try:
        members = parse_members(req.get("profiles"))
    except BadSubscribers as exc:
        return protocol.bad_request(Family.V2, str(exc))
    ids: list[str | None] = []
    try:
        yield Call("get_list", path_params={"id": list_id}, query={"fields[list]": "name"}, expect=(200,))
        for at in range(0, len(members), UPSERT_GROUP):
            group = members[at : at + UPSERT_GROUP]
            calls = tuple(
                Call("create_or_update_profile", body=upsert_body(m), expect=(200, 201)) for m in group
            )
            replies: list[Reply] = yield Gather(calls)
            ids.extend(_resource_id(r) for r in replies)
        distinct = list(dict.fromkeys(i for i in ids if i is not None))
        for body in relationship_bodies(distinct):
            yield Call("add_profiles_to_list", path_params={"id": list_id}, body=body, expect=(200, 204))
    except UpstreamError as err:
        return _not_found(err)
    return LegacyReply.json_body([m.legacy_echo(i) for m, i in zip(members, ids, strict=True)])


SUBSCRIPTIONS_LOST: Final = (
    "'Not suppressed' is computed from the profile's subscriptions: an email counts when it has no "
    "global suppression and no suppression from this list, a phone number when it can receive SMS "
    "marketing, a push token when it can receive push marketing."
)


def _subscriptions(req: LegacyRequest) -> Plan:
    list_id = req.path_params["list_id"]
    return check_members(
        req,
        op=LIST_PROFILES,
        group_id=list_id,
        family=Family.V2,
        not_found=LIST_NOT_FOUND,
        subscribed_only=True,
    )


def _members(req: LegacyRequest) -> Plan:
    list_id = req.path_params["list_id"]
    return check_members(req, op=LIST_PROFILES, group_id=list_id, family=Family.V2, not_found=LIST_NOT_FOUND)


def _check(id: str, name: str, method: str, path: str, subscribed: bool) -> Callable[[PlanFn], Operation]:
    """``ops.declare`` for the four list checks (one plan each for subscriptions and members)."""
    return ops.declare(
        id,
        name,
        method,
        path,
        upstream=(LIST_PROFILES,),
        fidelity=Fidelity.LOSSY if subscribed else Fidelity.EXACT,
        successor=LIST_PROFILES,
        lost=SUBSCRIPTIONS_LOST if subscribed else "",
        max_upstream_calls=CHECK_CALLS,
        writes=False,  # POST forms are lookups too
    )


@_check("F8", "get_list_subscriptions", "POST", "/api/v2/list/{list_id}/get-list-subscriptions", True)
def get_list_subscriptions(req: LegacyRequest) -> Plan:
    """Return which of the given emails, phone_numbers and push_tokens (at most 100 each) are in
    the list and not suppressed: GET /api/lists/{id}/profiles with an any(...) filter per kind and
    additional-fields[profile]=subscriptions. Answers [{"id", "email"|"phone_number"|"push_token",
    "created"}], created being when the profile joined the list (YYYY-MM-DDTHH:MM:SSZ); an unknown
    list answers 404 "List not found."."""
    return _subscriptions(req)


@_check("S1", "check_list_subscriptions", "GET", "/api/v2/list/{list_id}/subscribe", True)
def check_list_subscriptions(req: LegacyRequest) -> Plan:
    """GET form of F8 used by the hand-written SDKs (identifiers in a JSON body or the query
    string): which of the given emails, phone_numbers and push_tokens (at most 100 each) are in
    the list and not suppressed, from GET /api/lists/{id}/profiles with subscriptions. Answers
    [{"id", "email"|"phone_number"|"push_token", "created"}]."""
    return _subscriptions(req)


@_check("F11", "get_list_members", "POST", "/api/v2/list/{list_id}/get-members", False)
def get_list_members(req: LegacyRequest) -> Plan:
    """Return which of the given emails, phone_numbers and push_tokens (at most 100 each) are in
    the list: GET /api/lists/{id}/profiles with an any(...) filter per kind. Answers [{"id",
    "email"|"phone_number"|"push_token", "created"}], created being when the profile joined the
    list (YYYY-MM-DDTHH:MM:SSZ), or []; an unknown list answers 404 "List not found."."""
    return _members(req)


@_check("S2", "check_list_memberships", "GET", "/api/v2/list/{list_id}/members", False)
def check_list_memberships(req: LegacyRequest) -> Plan:
    """GET form of F11 used by the hand-written SDKs (identifiers in a JSON body or the query
    string): which of the given emails, phone_numbers and push_tokens (at most 100 each) are in
    the list, from GET /api/lists/{id}/profiles. Answers [{"id", "email"|"phone_number"|
    "push_token", "created"}] or []."""
    return _members(req)
