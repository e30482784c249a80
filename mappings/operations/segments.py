"""Segments and groups (legacy-endpoints.md §F13, F14, S3) on list/segment profiles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mappings import protocol
from mappings.core import (
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
from mappings.translate.marker_pages import PAGE_SIZE, UPSTREAM_PAGES, Position, page_body, read_page, resume
from mappings.translate.member_checks import CHECK_CALLS, check_members
from mappings.translate.member_lookup import V1_EMAIL

ops = Declarer(Family.V2)
v1_ops = ops.also(Family.V1)
LIST_PROFILES: Final = "get_profiles_for_list"
SEGMENT_PROFILES: Final = "get_profiles_for_segment"
GROUP_NOT_FOUND: Final = "List or segment not found."
SEGMENT_NOT_FOUND: Final = "Segment not found."
GROUP_QUERY: Final = {"fields[profile]": "email,phone_number", "page[size]": PAGE_SIZE}


def member_record(profile: Mapping[str, Any]) -> dict[str, Any]:
    """F13 record: ``id``, then ``email`` / ``phone_number`` when the profile has them."""
    attrs = profile.get("attributes")
    attrs = attrs if isinstance(attrs, Mapping) else {}
    record: dict[str, Any] = {"id": profile.get("id")}
    for key in ("email", "phone_number"):
        if attrs.get(key):
            record[key] = attrs[key]
    return record


@ops.declare(
    "F13",
    "get_members",
    "GET",
    "/api/v2/group/{group_id}/members/all",
    upstream=(LIST_PROFILES, SEGMENT_PROFILES),
    fidelity=Fidelity.LOSSY,
    successor=LIST_PROFILES,
    lost="Records carry id, email and phone_number; push_token is never shown (list and segment "
    "profiles have no push token field). Markers expire (token store TTL) and cannot come from "
    "the retired API.",
    max_upstream_calls=UpstreamBound(
        1,
        UPSTREAM_PAGES,
        "11: 10 pages of 100 profiles, plus one failed list lookup for a segment's first page",
    ),
)
def get_members(req: LegacyRequest) -> Plan:
    """List every member of a list or segment, 1000 records per page with an integer marker. Reads
    GET /api/lists/{id}/profiles (fields email, phone_number), or GET /api/segments/{id}/profiles
    when no list has that ID, 10 upstream pages of 100 per legacy page. Records are {"id",
    "email", "phone_number"} (keys only when set); "marker" is absent on the last page. An unknown
    or expired marker answers 400, an unknown ID 404."""
    group_id = req.path_params["group_id"]
    scope = f"F13:{group_id}"
    start = yield from resume(req, scope, LIST_PROFILES)
    if isinstance(start, LegacyReply):
        return start
    path_params = {"id": group_id}
    try:
        try:
            collected: Collected = yield read_page(start, path_params, GROUP_QUERY)
        except UpstreamError as err:
            if err.reply.status != 404 or start.cursor is not None:
                raise
            start = Position(SEGMENT_PROFILES, None)
            collected = yield read_page(start, path_params, GROUP_QUERY)
    except UpstreamError as err:
        return protocol.translate_error(Family.V2, err.reply, not_found=GROUP_NOT_FOUND)
    records = [member_record(p) for p in collected.data if isinstance(p, Mapping)]
    body = yield from page_body(records, collected, scope, start.op)
    return LegacyReply.json_body(body)


@ops.declare(
    "F14",
    "get_segment_members",
    "POST",
    "/api/v2/segment/{segment_id}/get-members",
    upstream=(SEGMENT_PROFILES,),
    fidelity=Fidelity.EXACT,
    successor=SEGMENT_PROFILES,
    max_upstream_calls=CHECK_CALLS,
    writes=False,
)
def get_segment_members(req: LegacyRequest) -> Plan:
    """Return which of the given emails, phone_numbers and push_tokens (at most 100 each) are in
    the segment: GET /api/segments/{id}/profiles with an any(...) filter per kind. Answers [{"id",
    "email"|"phone_number"|"push_token", "created"}], created being when the profile joined the
    segment (YYYY-MM-DDTHH:MM:SSZ), or []; an unknown segment answers 404 "Segment not found."."""
    return check_members(
        req,
        op=SEGMENT_PROFILES,
        group_id=req.path_params["segment_id"],
        family=Family.V2,
        not_found=SEGMENT_NOT_FOUND,
    )


@v1_ops.declare(
    "S3",
    "get_members_from_segment",
    "GET",
    "/api/v1/segment/{segment_id}/members",
    upstream=(SEGMENT_PROFILES,),
    fidelity=Fidelity.EXACT,
    successor=SEGMENT_PROFILES,
    max_upstream_calls=1,
)
def get_members_from_segment(req: LegacyRequest) -> Plan:
    """v1 segment membership check (Python SDK get_members_from_segment): `email` is a
    comma-joined list of at most 100 addresses. One GET /api/segments/{id}/profiles with an
    any(email,[...]) filter; answers [{"id", "email", "created"}] for the members found. An
    unknown segment answers the v1 404."""
    return check_members(
        req,
        op=SEGMENT_PROFILES,
        group_id=req.path_params["segment_id"],
        family=Family.V1,
        not_found=None,
        kinds=(V1_EMAIL,),
    )
