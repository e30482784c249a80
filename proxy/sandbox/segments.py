"""Segment operations (read-only here; seed segments with ``Store.add_segment``)."""

from __future__ import annotations

from starlette.responses import Response

from proxy.sandbox.errors import not_found
from proxy.sandbox.filters import compile_filter, rule, select
from proxy.sandbox.group_view import SEGMENT_FIELDS, members, render_group
from proxy.sandbox.jsonapi import Ctx, collection, page_size, respond, single
from proxy.sandbox.lists import group_value
from proxy.sandbox.models import Segment
from proxy.sandbox.operation import Op
from proxy.sandbox.params import additional_fields, apply_sort, fieldset, includes, sort_spec

FILTERS = {
    "name": rule("string", many="any equals"),
    "id": rule("string", single="equals", many="any equals"),
    "created": rule("datetime", single="greater-than"),
    "updated": rule("datetime", single="greater-than"),
    "is_active": rule("boolean", single="equals", many="any equals"),
    "is_starred": rule("boolean", single="equals"),
}
SORTS = ("created", "id", "name", "updated")


def _segment(ctx: Ctx, segment_id: str) -> Segment:
    segment = ctx.store.segments.get(segment_id)
    if segment is None:
        raise not_found("segment", segment_id)
    return segment


def get_segments(ctx: Ctx) -> Response:
    nodes = compile_filter(ctx.param("filter"), FILTERS)
    spec = sort_spec(ctx, SORTS)
    size = page_size(ctx, 10, 10)
    fields = fieldset(ctx, "segment", SEGMENT_FIELDS)
    includes(ctx, ("flow-triggers", "tags"))
    found = select(ctx.store.segments.values(), nodes, group_value)
    ordered = apply_sort(found, spec, group_value)
    return respond(collection(ctx, ordered, size, lambda s: render_group(ctx, s, fields=fields)))


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


OPERATIONS = [
    Op("get_segments", "GET", "/api/segments", get_segments),
    Op("get_segment", "GET", "/api/segments/{id}", get_segment),
    Op("get_profiles_for_segment", "GET", "/api/segments/{id}/profiles", get_profiles_for_segment),
    Op(
        "get_profile_ids_for_segment",
        "GET",
        "/api/segments/{id}/relationships/profiles",
        get_profile_ids_for_segment,
    ),
]
