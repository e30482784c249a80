"""Profile operations: create, import (upsert), update, get, list; and the client profile endpoint."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy.sandbox import body, profile_data, profile_view
from proxy.sandbox.errors import invalid, not_found
from proxy.sandbox.filters import compile_filter, rule, select
from proxy.sandbox.group_view import LIST_FIELDS, SEGMENT_FIELDS, render_group
from proxy.sandbox.jsonapi import Ctx, collection, empty, page_size, respond, single
from proxy.sandbox.models import Group, ListRecord, Profile, Segment
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import additional_fields, apply_sort, fieldset, includes, sort_spec

ADDITIONAL = ("subscriptions", "predictive_analytics")
_TIMESTAMP_OPS = "greater-or-equal greater-than less-or-equal less-than"
FILTERS = {
    "id": rule("string", single="equals", many="any equals"),
    "email": rule("email", single="equals", many="any equals"),
    "phone_number": rule("string", single="equals", many="any equals"),
    "external_id": rule("string", single="equals", many="any equals"),
    "_kx": rule("string", single="equals"),
    "created": rule("datetime", single="greater-than less-than"),
    "updated": rule("datetime", single="greater-than less-than"),
    "subscriptions.email.marketing.list_suppressions.reason": rule("string", single="equals"),
    "subscriptions.email.marketing.list_suppressions.timestamp": rule("datetime", single=_TIMESTAMP_OPS),
    "subscriptions.email.marketing.list_suppressions.list_id": rule("string", single="equals"),
    "subscriptions.email.marketing.suppression.reason": rule("string", single="equals"),
    "subscriptions.email.marketing.suppression.timestamp": rule("datetime", single=_TIMESTAMP_OPS),
}
SORTS = (
    "created",
    "email",
    "id",
    "updated",
    "subscriptions.email.marketing.list_suppressions.timestamp",
    "subscriptions.email.marketing.suppression.timestamp",
)


def _profile(ctx: Ctx, profile_id: str) -> Profile:
    profile = ctx.store.profiles.get(profile_id)
    if profile is None:
        raise not_found("profile", profile_id)
    return profile


def _one(ctx: Ctx, profile: Profile, status: int = 200) -> Response:
    fields = fieldset(ctx, "profile", profile_view.FIELDS)
    additional = additional_fields(ctx, "profile", ADDITIONAL)
    return respond(
        single(ctx, profile_view.render(ctx, profile, fields=fields, additional=additional)), status
    )


def _write_body(
    ctx: Ctx, *, need_id: bool = False, path_id: str | None = None, extra: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    data = body.data_object(ctx.body, "profile", need_id=need_id, path_id=path_id)
    attrs = body.attributes(data)
    profile_data.validate(attrs, "/data/attributes", extra=extra)
    return data, attrs


def create_profile(ctx: Ctx) -> Response:
    _, attrs = _write_body(ctx)
    if not any(attrs.get(name) for name in ("email", "phone_number", "external_id")):
        raise invalid(
            "One of email, phone_number or external_id is required to create a profile.",
            pointer="/data/attributes",
        )
    profile_data.check_conflicts(ctx.store, attrs, None)
    profile = ctx.store.new_profile()
    profile_data.apply(ctx.store, profile, attrs)
    return _one(ctx, profile, 201)


def create_or_update_profile(ctx: Ctx) -> Response:
    data, attrs = _write_body(ctx, extra=("_kx",))
    profile_id = body.string(data, "id", "/data")
    profile, created = profile_data.upsert(ctx.store, attrs, profile_id=profile_id, meta=data.get("meta"))
    return _one(ctx, profile, 201 if created else 200)


def update_profile(ctx: Ctx) -> Response:
    profile = _profile(ctx, ctx.path("id"))
    data, attrs = _write_body(ctx, need_id=True, path_id=profile.id)
    profile_data.check_conflicts(ctx.store, attrs, profile.id)
    profile_data.apply(ctx.store, profile, attrs)
    profile_data.apply_meta(profile, data.get("meta"), "/data/meta")
    return _one(ctx, profile)


def get_profile(ctx: Ctx) -> Response:
    profile = _profile(ctx, ctx.path("id"))
    wanted = includes(ctx, ("conversations", "lists", "push-tokens", "segments"))
    fields = fieldset(ctx, "profile", profile_view.FIELDS)
    additional = additional_fields(ctx, "profile", ADDITIONAL)
    included: list[dict[str, Any]] = []
    if "lists" in wanted:
        included += [render_group(ctx, g) for g in ctx.store.lists.values() if profile.id in g.members]
    if "segments" in wanted:
        included += [render_group(ctx, g) for g in ctx.store.segments.values() if profile.id in g.members]
    data = profile_view.render(ctx, profile, fields=fields, additional=additional)
    return respond(single(ctx, data, included))


def sort_value(ctx: Ctx, profile: Profile, field: str) -> Any:
    value = profile_view.field_value(ctx, profile, field)
    if isinstance(value, list):
        return max(value) if value else None
    return value.lower() if field == "email" and isinstance(value, str) else value


def get_profiles(ctx: Ctx) -> Response:
    nodes = compile_filter(ctx.param("filter"), FILTERS)
    spec = sort_spec(ctx, SORTS)
    size = page_size(ctx, 20, 100)
    fields = fieldset(ctx, "profile", profile_view.FIELDS)
    additional = additional_fields(ctx, "profile", ADDITIONAL)
    includes(ctx, ("conversations", "push-tokens"))
    found = select(ctx.store.profiles.values(), nodes, lambda p, name: profile_view.field_value(ctx, p, name))
    ordered = apply_sort(found, spec, lambda p, f: sort_value(ctx, p, f))
    return respond(
        collection(
            ctx, ordered, size, lambda p: profile_view.render(ctx, p, fields=fields, additional=additional)
        )
    )


def _groups_of(ctx: Ctx, kind: str) -> list[Group]:
    profile = _profile(ctx, ctx.path("id"))
    groups: dict[str, ListRecord] | dict[str, Segment] = (
        ctx.store.lists if kind == "list" else ctx.store.segments
    )
    return [group for group in groups.values() if profile.id in group.members]


def _related_groups(ctx: Ctx, kind: str, fields_allowed: tuple[str, ...]) -> Response:
    fields = fieldset(ctx, kind, fields_allowed)
    groups = _groups_of(ctx, kind)
    return respond(
        collection(ctx, groups, max(len(groups), 1), lambda g: render_group(ctx, g, fields=fields))
    )


def _related_group_ids(ctx: Ctx, kind: str) -> Response:
    data = [{"type": kind, "id": group.id} for group in _groups_of(ctx, kind)]
    return respond({"data": data, "links": {"self": str(ctx.request.url)}})


def get_lists_for_profile(ctx: Ctx) -> Response:
    return _related_groups(ctx, "list", LIST_FIELDS)


def get_list_ids_for_profile(ctx: Ctx) -> Response:
    return _related_group_ids(ctx, "list")


def get_segments_for_profile(ctx: Ctx) -> Response:
    return _related_groups(ctx, "segment", SEGMENT_FIELDS)


def get_segment_ids_for_profile(ctx: Ctx) -> Response:
    return _related_group_ids(ctx, "segment")


def create_client_profile(ctx: Ctx) -> Response:
    data, attrs = _write_body(ctx, extra=("_kx", "anonymous_id"))
    profile_id = body.string(data, "id", "/data")
    profile_data.upsert(ctx.store, attrs, profile_id=profile_id, meta=data.get("meta"), strict=False)
    return empty(202)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_profiles": get_profiles,
    "create_profile": create_profile,
    "get_profile": get_profile,
    "update_profile": update_profile,
    "create_or_update_profile": create_or_update_profile,
    "get_lists_for_profile": get_lists_for_profile,
    "get_list_ids_for_profile": get_list_ids_for_profile,
    "get_segments_for_profile": get_segments_for_profile,
    "get_segment_ids_for_profile": get_segment_ids_for_profile,
    "create_client_profile": create_client_profile,
}
