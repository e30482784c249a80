"""Legacy lists (legacy-endpoints.md §F1-F6, S4) on the new lists / subscriptions API (§2 F)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from mappings import protocol
from mappings.core import (
    Call,
    CollectAll,
    Collected,
    Family,
    Fidelity,
    Gather,
    LegacyReply,
    LegacyRequest,
    Plan,
    Reply,
    UpstreamBound,
    UpstreamError,
)
from mappings.core.declarer import Declarer
from mappings.translate.campaign_objects import legacy_list
from mappings.translate.counts import AUDIENCE_COUNT_UPSTREAM, MAX_AUDIENCE_LOOKUPS, with_person_counts
from mappings.translate.list_objects import (
    LIST_NOT_FOUND,
    legacy_list_info,
    legacy_list_names,
    list_body,
    newest_first,
)
from mappings.translate.offset_pages import BadPaging, parse_offset_page
from mappings.translate.subscribers import (
    MAX_PROFILES,
    UPSERT_GROUP,
    BadSubscribers,
    parse_subscribers,
    subscribe_job,
    upsert_body,
)

ops = Declarer(Family.V2)
v1_ops = ops.also(Family.V1)
# Every list, 10 per page (the spec's ceiling), by ID.
MAX_LIST_PAGES: Final = 1000  # 10 000 lists (or segments, for S4)
LISTS_QUERY: Final[Mapping[str, str]] = MappingProxyType(
    {"sort": "id", "fields[list]": "name", "page[size]": "10"}
)
LIST_INFO_FIELDS: Final = "name,opt_in_process,created,updated"
NAME_REQUIRED: Final = "The 'list_name' parameter is required and must be a non-empty string."
AUDIENCE_FIELDS: Final = "name,created,updated"  # S4: lists and segments as legacy list objects


def _not_found(err: UpstreamError) -> LegacyReply:
    return protocol.translate_error(Family.V2, err.reply, not_found=LIST_NOT_FOUND)


def _list_name(req: LegacyRequest) -> str | None:
    name = req.get("list_name")
    return name if isinstance(name, str) and name.strip() else None


def _list_call(list_id: str, fields: str) -> Call:
    return Call("get_list", path_params={"id": list_id}, query={"fields[list]": fields}, expect=(200,))


def _opt_in_process(reply: Reply) -> str:
    """``single_opt_in`` / ``double_opt_in`` of a get_list reply; unknown means double (legacy default)."""
    node: Any = reply.body
    for key in ("data", "attributes", "opt_in_process"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return "single_opt_in" if node == "single_opt_in" else "double_opt_in"


def _resource_id(reply: Reply) -> str | None:
    body: Any = reply.body
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
        ident = body["data"].get("id")
        return ident if isinstance(ident, str) else None
    return None


@ops.declare(
    "F6",
    "subscribe",
    "POST",
    "/api/v2/list/{list_id}/subscribe",
    upstream=("get_list", "create_or_update_profile", "bulk_subscribe_profiles"),
    fidelity=Fidelity.LOSSY,
    successor="bulk_subscribe_profiles",
    lost="The subscription runs as an asynchronous job: double opt-in confirmations, and list "
    "membership on single opt-in lists, may appear shortly after the answer. A phone number "
    "without sms_consent (or $consent containing 'sms') is saved on the profile but neither "
    "subscribed nor added to the list, and is left out of the single opt-in answer. Every "
    "profile gets a confirmation message, not only the first 10. 'id' in a profile is a custom "
    "property; other profile properties are written as by identify. Not atomic: when the new API "
    "throttles (429) midway through the per-profile upserts, the profiles already upserted stay "
    "written but nobody is added to the list or subscribed (the job is not started); the legacy "
    "429 keeps Retry-After, and retrying the same legacy call is safe (the upsert is idempotent).",
    max_upstream_calls=UpstreamBound(
        2,
        MAX_PROFILES,
        "2 + N: get_list, one profile-import per profile (N <= 1000, 25 at a time; on double opt-in "
        "lists skipped for profiles that carry only identifiers), one subscription job",
    ),
)
def subscribe(req: LegacyRequest) -> Plan:
    """Subscribe profiles to a list, following the list's single or double opt-in setting.

    Reads the list's opt-in process (GET /api/lists/{id}), writes each profile's properties
    with POST /api/profile-import (which also yields its ID), then starts one
    POST /api/profile-subscription-bulk-create-jobs for the list: email marketing consent
    for every email, SMS marketing consent for phone numbers sent with sms_consent true or
    "sms" in $consent. Answers [] for double opt-in lists (nobody is added until they
    confirm) and [{"id", "email"|"phone_number"}] for single opt-in lists. Rejects with 400,
    before any upstream call, a body without a profiles list, more than 1000 profiles, or a
    profile with neither email nor phone_number.
    """
    list_id = req.path_params["list_id"]
    try:
        subscribers = parse_subscribers(req.get("profiles"))
    except BadSubscribers as exc:
        return protocol.bad_request(Family.V2, str(exc))
    try:
        found: Reply = yield _list_call(list_id, "opt_in_process")
    except UpstreamError as err:
        return protocol.translate_error(Family.V2, err.reply, not_found=LIST_NOT_FOUND)
    single = _opt_in_process(found) == "single_opt_in"

    upserted = [i for i, s in enumerate(subscribers) if s.needs_upsert(want_id=single)]
    ids: dict[int, str | None] = {}
    for at in range(0, len(upserted), UPSERT_GROUP):
        group = upserted[at : at + UPSERT_GROUP]
        calls = tuple(
            Call("create_or_update_profile", body=upsert_body(subscribers[i]), expect=(200, 201))
            for i in group
        )
        replies: list[Reply] = yield Gather(calls)
        ids.update((i, _resource_id(r)) for i, r in zip(group, replies, strict=True))

    job = subscribe_job(list_id, subscribers)
    if job is not None:
        yield Call("bulk_subscribe_profiles", body=job)

    if not single:
        return LegacyReply.json_body([])
    return LegacyReply.json_body(
        [s.legacy_echo(ids.get(i)) for i, s in enumerate(subscribers) if s.subscribes]
    )


@ops.declare(
    "F1",
    "get_lists",
    "GET",
    "/api/v2/lists",
    upstream=("get_lists",),
    fidelity=Fidelity.LOSSY,
    successor="get_lists",
    lost="At most the first 10,000 lists by ID (1,000 pages of 10); every call walks all pages "
    "uncached, so large accounts answer slowly and spend up to 1,000 get_lists calls.",
    max_upstream_calls=UpstreamBound(
        0, MAX_LIST_PAGES, "ceil(L/10): every page of 10 lists (at most 1000 pages)"
    ),
)
def get_lists(req: LegacyRequest) -> Plan:
    """List every list (not segments) as a bare array [{"list_id", "list_name"}], ordered by ID
    in byte order as legacy did. Walks every page of GET /api/lists (10 per page, sort=id,
    fields[list]=name; not cached, so a list created a moment ago is shown). Accounts with more
    than 10,000 lists get the first 10,000."""
    collected: Collected = yield CollectAll(
        "get_lists", query=LISTS_QUERY, max_pages=MAX_LIST_PAGES, cache=False
    )
    return LegacyReply.json_body(legacy_list_names(collected.data))


@ops.declare(
    "F2",
    "create_list",
    "POST",
    "/api/v2/lists",
    upstream=("create_list",),
    fidelity=Fidelity.EXACT,
    successor="create_list",
)
def create_list(req: LegacyRequest) -> Plan:
    """Create a list named `list_name` (JSON or form body) with the account's default opt-in
    process: POST /api/lists (limited upstream to 150 a day), answering {"list_id"}. A missing
    or empty list_name answers 400 before any upstream call."""
    name = _list_name(req)
    if name is None:
        return protocol.bad_request(Family.V2, NAME_REQUIRED)
    reply: Reply = yield Call("create_list", body=list_body(name), expect=(200, 201))
    return LegacyReply.json_body({"list_id": _resource_id(reply)})


@ops.declare(
    "F3",
    "get_list_info",
    "GET",
    "/api/v2/list/{list_id}",
    upstream=("get_list",),
    fidelity=Fidelity.LOSSY,
    successor="get_list",
    lost="folder_id is always null (the new API has no list folders).",
)
def get_list_info(req: LegacyRequest) -> Plan:
    """Read one list: GET /api/lists/{id}, answering {"list_name", "folder_id": null,
    "opt_in_process", "created", "updated"} with times as YYYY-MM-DD HH:MM:SS (UTC). A segment
    ID or an unknown ID answers 404 "List not found.", as legacy did."""
    try:
        reply: Reply = yield _list_call(req.path_params["list_id"], LIST_INFO_FIELDS)
    except UpstreamError as err:
        return _not_found(err)
    return LegacyReply.json_body(legacy_list_info(reply.body))


@ops.declare(
    "F4",
    "update_list_name",
    "PUT",
    "/api/v2/list/{list_id}",
    upstream=("update_list",),
    fidelity=Fidelity.EXACT,
    successor="update_list",
)
def update_list_name(req: LegacyRequest) -> Plan:
    """Rename a list to `list_name` (JSON or form body): PATCH /api/lists/{id}, answering HTTP 200
    with an empty body as legacy did. A missing list_name answers 400 before any upstream call;
    an unknown list 404."""
    name = _list_name(req)
    if name is None:
        return protocol.bad_request(Family.V2, NAME_REQUIRED)
    list_id = req.path_params["list_id"]
    try:
        yield Call("update_list", path_params={"id": list_id}, body=list_body(name, list_id), expect=(200,))
    except UpstreamError as err:
        return _not_found(err)
    return LegacyReply.empty()


@ops.declare(
    "F5",
    "delete_list",
    "DELETE",
    "/api/v2/list/{list_id}",
    upstream=("delete_list",),
    fidelity=Fidelity.EXACT,
    successor="delete_list",
)
def delete_list(req: LegacyRequest) -> Plan:
    """Delete a list: DELETE /api/lists/{id}, answering HTTP 200 with an empty body as legacy
    did. An unknown list answers 404 "List not found."."""
    try:
        yield Call("delete_list", path_params={"id": req.path_params["list_id"]}, expect=(200, 204))
    except UpstreamError as err:
        return _not_found(err)
    return LegacyReply.empty()


@v1_ops.declare(
    "S4",
    "get_lists_v1",
    "GET",
    "/api/v1/lists",
    upstream=("get_lists", "get_segments", *AUDIENCE_COUNT_UPSTREAM),
    fidelity=Fidelity.LOSSY,
    successor="get_lists",
    lost="person_count comes from a per-account count cache (profile_count is limited to 1/s and "
    "15/min): it may be up to count_max_age old, or older (0 before the first read) while that "
    "budget is spent; folder is null; lists and segments are ordered newest first (legacy order "
    "unknown); at most 10,000 of each; pages may be up to the collection-cache TTL stale for "
    "changes not made through klaviyo-compat.",
    max_upstream_calls=UpstreamBound(
        0,
        2 * MAX_LIST_PAGES + MAX_AUDIENCE_LOOKUPS,
        "ceil(L/10) + ceil(S/10) cursor pages of lists and segments (0 while cached) + at most 10 "
        "profile_count reads (GET /api/lists/{id} or /api/segments/{id}) for stale counts of the page",
    ),
)
def get_lists_v1(req: LegacyRequest) -> Plan:
    """Deprecated v1 listing of lists and segments in page/count pages with totals (count default
    50). Walks every page of GET /api/lists and GET /api/segments (10 per page; cached briefly for
    later pages), merges them newest first and answers legacy list objects {"object": "list",
    "id", "name", "list_type": "list"|"segment", "folder": null, "created", "updated",
    "person_count"}, person_count being the list's or segment's profile_count from the count cache
    (re-read when stale, within the profile_count budget)."""
    try:
        paging = parse_offset_page(req)
    except BadPaging as exc:
        return protocol.bad_request(Family.V1, str(exc))
    lists: Collected = yield CollectAll(
        "get_lists", query={"fields[list]": AUDIENCE_FIELDS, "page[size]": "10"}, max_pages=MAX_LIST_PAGES
    )
    segments: Collected = yield CollectAll(
        "get_segments",
        query={"fields[segment]": AUDIENCE_FIELDS, "page[size]": "10"},
        max_pages=MAX_LIST_PAGES,
    )
    merged = newest_first([*lists.data, *segments.data])
    data = [legacy_list(r) for r in paging.slice(merged)]
    yield from with_person_counts(data)
    return LegacyReply.json_body(paging.envelope(len(merged), data))
