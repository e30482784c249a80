"""Lists and segments as resources, and the member listings both share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.responses import Response

from proxy.sandbox import profile_view
from proxy.sandbox.errors import invalid
from proxy.sandbox.filters import FieldRule, compile_filter, rule, select
from proxy.sandbox.jsonapi import Ctx, collection, page_size, relationship_links, resource, respond, sparse
from proxy.sandbox.models import Group, ListRecord, Profile, Segment
from proxy.sandbox.params import additional_fields, apply_sort, fieldset, includes, sort_spec

LIST_FIELDS = ("created", "id", "name", "opt_in_process", "updated")
SEGMENT_FIELDS = (
    "created",
    "definition",
    "definition.condition_groups",
    "id",
    "is_active",
    "is_processing",
    "is_starred",
    "name",
    "updated",
)
_RANGE = "greater-or-equal greater-than less-or-equal less-than"
MEMBER_FILTERS = {
    "email": rule("email", many="any equals"),
    "phone_number": rule("string", many="any equals"),
    "push_token": rule("string", many="any equals"),
    "_kx": rule("string", single="equals"),
    "joined_group_at": rule("datetime", single=_RANGE),
}
SEGMENT_MEMBER_FILTERS = {**MEMBER_FILTERS, "profile_id": rule("string", many="any equals")}


GROUP_SORTS = ("created", "id", "name", "updated")


def group_value(group: Group, name: str) -> Any:
    return getattr(group, name, None)


def list_groups(
    ctx: Ctx,
    groups: Iterable[Group],
    *,
    kind: str,
    field_names: Iterable[str],
    filters: Mapping[str, FieldRule],
) -> Response:
    """``GET /api/lists`` and ``GET /api/segments``: filter, sort, sparse fields, 10 per page."""
    if ctx.param(f"additional-fields[{kind}]") is not None:
        # The spec offers profile_count on get_list / get_segment only (at 1/s, 15/m).
        raise invalid(
            f"additional-fields[{kind}] is not supported when listing; read one {kind} instead.",
            parameter=f"additional-fields[{kind}]",
        )
    nodes = compile_filter(ctx.param("filter"), filters)
    spec = sort_spec(ctx, GROUP_SORTS)
    size = page_size(ctx, 10, 10)
    fields = fieldset(ctx, kind, field_names)
    includes(ctx, ("flow-triggers", "tags"))
    ordered = apply_sort(select(groups, nodes, group_value), spec, group_value)
    return respond(collection(ctx, ordered, size, lambda g: render_group(ctx, g, fields=fields)))


def group_attributes(group: Group, additional: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    attrs: dict[str, Any] = {"name": group.name, "created": group.created, "updated": group.updated}
    if isinstance(group, ListRecord):
        attrs["opt_in_process"] = group.opt_in_process
    if isinstance(group, Segment):
        # seeded segments (fixed members) have no conditions
        attrs["definition"] = group.definition or {"condition_groups": []}
        attrs["is_active"] = group.is_active
        attrs["is_processing"] = group.is_processing
        attrs["is_starred"] = group.is_starred
    if "profile_count" in additional:
        attrs["profile_count"] = len(group.members)
    return attrs


def render_group(
    ctx: Ctx,
    group: Group,
    *,
    fields: set[str] | None = None,
    additional: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    kind, plural = ("list", "lists") if isinstance(group, ListRecord) else ("segment", "segments")
    base = f"/api/{plural}/{group.id}"
    relationships = {
        name: {"links": relationship_links(ctx, base, name)} for name in ("profiles", "tags", "flow-triggers")
    }
    return resource(
        ctx,
        kind,
        group.id,
        sparse(group_attributes(group, additional), fields),
        collection=plural,
        relationships=relationships,
    )


def _member_value(ctx: Ctx, group: Group, profile: Profile, name: str) -> Any:
    if name == "joined_group_at":
        return group.members.get(profile.id)
    if name == "profile_id":
        return profile.id
    return profile_view.field_value(ctx, profile, name)


def members(ctx: Ctx, group: Group, *, ids_only: bool) -> Response:
    """``/{lists|segments}/{id}/profiles`` and ``.../relationships/profiles``."""
    rules = SEGMENT_MEMBER_FILTERS if isinstance(group, Segment) else MEMBER_FILTERS
    nodes = compile_filter(ctx.param("filter"), rules)
    spec = sort_spec(ctx, ("joined_group_at",))
    size = page_size(ctx, 20, 100)
    fields = None if ids_only else fieldset(ctx, "profile", profile_view.MEMBER_FIELDS)
    additional = (
        set() if ids_only else additional_fields(ctx, "profile", ("subscriptions", "predictive_analytics"))
    )
    present = (ctx.store.profiles[pid] for pid in group.members if pid in ctx.store.profiles)
    found = select(present, nodes, lambda p, name: _member_value(ctx, group, p, name))
    ordered = apply_sort(found, spec, lambda p, f: _member_value(ctx, group, p, f))

    def render(profile: Profile) -> dict[str, Any]:
        if ids_only:
            return {"type": "profile", "id": profile.id}
        extra = {"joined_group_at": group.members[profile.id]}
        return profile_view.render(ctx, profile, fields=fields, additional=additional, extra=extra)

    return respond(collection(ctx, ordered, size, render))
