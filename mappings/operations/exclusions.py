"""Exclusions: F12 list exclusions (v2 marker pages), F15/F16 global exclusions (v1).

The new API has no exclusion resources: they are approximated by the email suppressions of
profiles (``GET /api/profiles`` with subscription filters, §6 item 7).
"""

from __future__ import annotations

import json
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
    LegacyReply,
    LegacyRequest,
    Plan,
    UpstreamBound,
    UpstreamError,
)
from mappings.core.declarer import Declarer
from mappings.translate.exclusion_objects import REASONS, global_exclusion, list_exclusion
from mappings.translate.list_objects import LIST_NOT_FOUND
from mappings.translate.marker_pages import PAGE_SIZE, UPSTREAM_PAGES, page_body, read_page, resume
from mappings.translate.offset_pages import BadPaging, parse_offset_page

ops = Declarer(Family.V1)
v2_ops = ops.also(Family.V2)
SUPPRESSION: Final = "subscriptions.email.marketing.suppression"
LIST_SUPPRESSION: Final = "subscriptions.email.marketing.list_suppressions"
# Any global suppression: every suppression has a timestamp after the epoch.
ANY_SUPPRESSION: Final = f"greater-than({SUPPRESSION}.timestamp,1970-01-01T00:00:00Z)"
EXCLUSION_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "additional-fields[profile]": "subscriptions",
        "fields[profile]": "email,subscriptions",
        "page[size]": PAGE_SIZE,
    }
)
MAX_EXCLUSION_PAGES: Final = 500  # 50 000 globally suppressed profiles
DEFAULT_EXCLUSION_COUNT: Final = 500  # legacy default page size
MAX_EXCLUSION_COUNT: Final = 5000


def list_exclusions_query(list_id: str) -> dict[str, str]:
    return {**EXCLUSION_FIELDS, "filter": f"equals({LIST_SUPPRESSION}.list_id,{json.dumps(list_id)})"}


def global_exclusions_query(reason: str | None, descending: bool) -> dict[str, str]:
    """``get_profiles`` query: suppressed profiles (of one new reason), by suppression time."""
    condition = ANY_SUPPRESSION if reason is None else f"equals({SUPPRESSION}.reason,{json.dumps(reason)})"
    sort = f"{SUPPRESSION}.timestamp"
    return {**EXCLUSION_FIELDS, "filter": condition, "sort": f"-{sort}" if descending else sort}


@v2_ops.declare(
    "F12",
    "get_list_exclusions",
    "GET",
    "/api/v2/list/{list_id}/exclusions/all",
    upstream=("get_list", "get_profiles"),
    fidelity=Fidelity.LOSSY,
    successor="get_profiles",
    lost="Exclusions are read from the profiles' email list suppressions for this list: SMS "
    "exclusions (phone_number / phone_reason) are not listed; reason is mapped from the "
    "suppression reason (UNSUBSCRIBE -> unsubscribed, USER_SUPPRESSED -> manually_excluded, "
    "...); markers expire (token store TTL) and cannot come from the retired API.",
    max_upstream_calls=UpstreamBound(
        1, UPSTREAM_PAGES, "11: get_list (first page only) + 10 pages of 100 profiles"
    ),
)
def get_list_exclusions(req: LegacyRequest) -> Plan:
    """List the profiles excluded (unsubscribed or suppressed) from a list, 1000 per page with an
    integer marker. The first page checks the list with GET /api/lists/{id} (unknown list: 404),
    then GET /api/profiles?filter=equals(subscriptions.email.marketing.list_suppressions.list_id,
    "<id>") with additional-fields[profile]=subscriptions is read 10 pages of 100 at a time.
    Records are {"id", "email", "reason", "timestamp"}; "marker" is absent on the last page. An
    unknown or expired marker answers 400."""
    list_id = req.path_params["list_id"]
    scope = f"F12:{list_id}"
    start = yield from resume(req, scope, "get_profiles")
    if isinstance(start, LegacyReply):
        return start
    try:
        if start.cursor is None:
            yield Call("get_list", path_params={"id": list_id}, query={"fields[list]": "name"}, expect=(200,))
        collected: Collected = yield read_page(start, {}, list_exclusions_query(list_id))
    except UpstreamError as err:
        return protocol.translate_error(Family.V2, err.reply, not_found=LIST_NOT_FOUND)
    records = [list_exclusion(p, list_id) for p in collected.data if isinstance(p, Mapping)]
    body = yield from page_body(records, collected, scope, start.op)
    return LegacyReply.json_body(body)


class BadChoice(ValueError):
    """A parameter outside its allowed values; the message is client-facing."""


def _choice(req: LegacyRequest, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = req.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.strip().lower() in allowed:
        return raw.strip().lower()
    raise BadChoice(f"Invalid {name} {raw!r}: use one of {', '.join(allowed)}.")


@ops.declare(
    "F15",
    "get_global_exclusions",
    "GET",
    "/api/v1/people/exclusions",
    upstream=("get_profiles",),
    fidelity=Fidelity.LOSSY,
    successor="get_profiles",
    lost="Exclusions are the profiles' global email suppressions (UNSUBSCRIBE -> unsubscribed, "
    "HARD_BOUNCE -> bounced, INVALID_EMAIL -> invalid_email, SPAM_COMPLAINT -> reported_spam, "
    "USER_SUPPRESSED -> manually_excluded); email addresses without a profile are not listed; "
    "at most the first 50,000; pages may be up to the collection-cache TTL stale for changes "
    "not made through klaviyo-compat.",
    max_upstream_calls=UpstreamBound(
        0, MAX_EXCLUSION_PAGES, "P: cursor pages of 100 suppressed profiles (0 while cached, at most 500)"
    ),
)
def get_global_exclusions(req: LegacyRequest) -> Plan:
    """List globally excluded email addresses in legacy v1 page/count pages with totals (count
    default 500). Walks every page of GET /api/profiles filtered on
    subscriptions.email.marketing.suppression (one reason when `reason` is given, else any
    suppression), sorted by suppression time (`sort` asc or desc), with
    additional-fields[profile]=subscriptions; the enumeration is cached briefly for later pages.
    Items are {"object": "exclusion", "email", "reason", "timestamp"}. An invalid reason, sort,
    page or count answers 400 before any upstream call."""
    try:
        paging = parse_offset_page(req, default_count=DEFAULT_EXCLUSION_COUNT, max_count=MAX_EXCLUSION_COUNT)
        reason = _choice(req, "reason", tuple(REASONS))
        sort = _choice(req, "sort", ("asc", "desc"))
    except (BadPaging, BadChoice) as exc:
        return protocol.bad_request(Family.V1, str(exc))
    new_reason = REASONS[reason] if reason is not None else None
    query = global_exclusions_query(new_reason, descending=sort == "desc")
    collected: Collected = yield CollectAll("get_profiles", query=query, max_pages=MAX_EXCLUSION_PAGES)
    profiles = [p for p in collected.data if isinstance(p, Mapping)]
    data = [global_exclusion(p, new_reason) for p in paging.slice(profiles)]
    return LegacyReply.json_body(paging.envelope(len(profiles), data))


def suppress_body(email: str) -> dict[str, Any]:
    profile = {"type": "profile", "attributes": {"email": email}}
    return {
        "data": {
            "type": "profile-suppression-bulk-create-job",
            "attributes": {"profiles": {"data": [profile]}},
        }
    }


@ops.declare(
    "F16",
    "exclude_globally",
    "POST",
    "/api/v1/people/exclusions",
    upstream=("bulk_suppress_profiles",),
    fidelity=Fidelity.LOSSY,
    successor="bulk_suppress_profiles",
    lost="The suppression runs as an asynchronous job: it may show in GET /api/v1/people/exclusions "
    "shortly after the answer (as reason manually_excluded).",
)
def exclude_globally(req: LegacyRequest) -> Plan:
    """Exclude an email address from all email (manual suppression): POST
    /api/profile-suppression-bulk-create-jobs with the address, then answer
    {"object": "exclusion", "email"}. A missing email answers 400 before any upstream call."""
    email = req.get("email")
    if not isinstance(email, str) or not email.strip():
        return protocol.bad_request(Family.V1, "The 'email' parameter is required.")
    email = email.strip()
    yield Call("bulk_suppress_profiles", body=suppress_body(email), expect=(200, 201, 202))
    return LegacyReply.json_body({"object": "exclusion", "email": email})
