"""Segment operations: CRUD with definitions (membership computed by ``segment_rules``), members.

``Store.add_segment`` still seeds a segment with fixed members (no definition).
"""

from __future__ import annotations

from starlette.responses import Response

from proxy.sandbox import body, segment_rules
from proxy.sandbox.errors import invalid, not_found
from proxy.sandbox.filters import rule
from proxy.sandbox.group_view import SEGMENT_FIELDS, list_groups, members, render_group
from proxy.sandbox.jsonapi import Ctx, empty, respond, single
from proxy.sandbox.models import Segment
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import additional_fields, fieldset, includes

ATTRIBUTES = "/data/attributes"

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


def _one(ctx: Ctx, segment: Segment, status: int = 200) -> Response:
    # The spec lets a single segment name profile_count in its sparse fieldset (not a listing).
    fields = fieldset(ctx, "segment", (*SEGMENT_FIELDS, "profile_count"))
    additional = (
        additional_fields(ctx, "segment", ("profile_count",)) if ctx.request.method == "GET" else set()
    )
    return respond(single(ctx, render_group(ctx, segment, fields=fields, additional=additional)), status)


def get_segment(ctx: Ctx) -> Response:
    segment = _segment(ctx, ctx.path("id"))
    includes(ctx, ("flow-triggers", "tags"))
    return _one(ctx, segment)


def _name(attrs: dict[str, object], needed: bool) -> str | None:
    name = body.string(attrs, "name", ATTRIBUTES, needed=needed)
    if name is not None and not name.strip():
        raise invalid("'name' may not be blank.", pointer=f"{ATTRIBUTES}/name")
    return name


def create_segment(ctx: Ctx) -> Response:
    attrs = body.attributes(body.data_object(ctx.body, "segment"))
    name = _name(attrs, needed=True)
    if attrs.get("definition") is None:
        raise invalid("'definition' is required.", pointer=f"{ATTRIBUTES}/definition")
    definition = segment_rules.check_definition(attrs["definition"])
    starred = body.boolean(attrs, "is_starred", ATTRIBUTES)
    assert name is not None
    stamp = ctx.store.now()
    segment = Segment(
        ctx.store.ids.short(), name, stamp, stamp, definition=definition, is_starred=bool(starred)
    )
    ctx.store.segments[segment.id] = segment
    segment_rules.refresh(ctx.store)
    return _one(ctx, segment, 201)


def update_segment(ctx: Ctx) -> Response:
    segment = _segment(ctx, ctx.path("id"))
    attrs = body.attributes(body.data_object(ctx.body, "segment", need_id=True, path_id=segment.id))
    active = body.boolean(attrs, "is_active", ATTRIBUTES)
    if active is False and any(attrs.get(key) is not None for key in attrs if key != "is_active"):
        raise invalid(
            "When deactivating a segment, 'is_active' must be the only attribute.",
            pointer=f"{ATTRIBUTES}/is_active",
        )
    name = _name(attrs, needed=False)
    starred = body.boolean(attrs, "is_starred", ATTRIBUTES)
    if attrs.get("definition") is not None:
        segment.definition = segment_rules.check_definition(attrs["definition"])
    if name is not None:
        segment.name = name
    if starred is not None:
        segment.is_starred = starred
    if active is not None:
        segment.is_active = active
    segment.updated = ctx.store.now()
    segment_rules.refresh(ctx.store)
    return _one(ctx, segment)


def delete_segment(ctx: Ctx) -> Response:
    segment = _segment(ctx, ctx.path("id"))
    del ctx.store.segments[segment.id]
    return empty(204)


def get_profiles_for_segment(ctx: Ctx) -> Response:
    return members(ctx, _segment(ctx, ctx.path("id")), ids_only=False)


def get_profile_ids_for_segment(ctx: Ctx) -> Response:
    return members(ctx, _segment(ctx, ctx.path("id")), ids_only=True)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_segments": get_segments,
    "create_segment": create_segment,
    "get_segment": get_segment,
    "update_segment": update_segment,
    "delete_segment": delete_segment,
    "get_profiles_for_segment": get_profiles_for_segment,
    "get_profile_ids_for_segment": get_profile_ids_for_segment,
}
