"""Segment operations (read-only here; seed segments with ``Store.add_segment``)."""

from __future__ import annotations

from starlette.responses import Response

from proxy.sandbox.errors import not_found
from proxy.sandbox.filters import rule
from proxy.sandbox.group_view import SEGMENT_FIELDS, list_groups, members, render_group
from proxy.sandbox.jsonapi import Ctx, respond, single
from proxy.sandbox.models import Segment
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import additional_fields, fieldset, includes

FILTERS = {
    "name": rule("string", many="any equals"),
    "id": rule("string", single="equals", many="any equals"),
    "created": rule("datetime", single="greater-than"),
    "updated": rule("datetime", single="greater-than"),
    "is_active": rule("boolean", single="equals", many="any equals"),
    "is_starred": rule("boolean", single="equals"),
}


def _segment(ctx: Ctx, segment_id: str) -> Segment:
    segment = ctx.store.segments.get(segment_id)
    if segment is None:
        raise not_found("segment", segment_id)
    return segment


def get_segments(ctx: Ctx) -> Response:
    segments = ctx.store.segments.values()
    return list_groups(ctx, segments, kind="segment", field_names=SEGMENT_FIELDS, filters=FILTERS)


def get_segment(ctx: Ctx) -> Response:
    segment = _segment(ctx, ctx.path("id"))
    includes(ctx, ("flow-triggers", "tags"))
    fields = fieldset(ctx, "segment", SEGMENT_FIELDS)
    additional = additional_fields(ctx, "segment", ("profile_count",))
    return respond(single(ctx, render_group(ctx, segment, fields=fields, additional=additional)))


def get_profiles_for_segment(ctx: Ctx) -> Response:
    return members(ctx, _segment(ctx, ctx.path("id")), ids_only=False)


def get_profile_ids_for_segment(ctx: Ctx) -> Response:
    return members(ctx, _segment(ctx, ctx.path("id")), ids_only=True)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_segments": get_segments,
    "get_segment": get_segment,
    "get_profiles_for_segment": get_profiles_for_segment,
    "get_profile_ids_for_segment": get_profile_ids_for_segment,
}
