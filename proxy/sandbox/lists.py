"""List operations: CRUD, members, and membership changes."""

from __future__ import annotations

from starlette.responses import Response

from proxy.sandbox import body
from proxy.sandbox.errors import invalid, not_found
from proxy.sandbox.filters import rule
from proxy.sandbox.group_view import LIST_FIELDS, list_groups, members, render_group
from proxy.sandbox.jsonapi import Ctx, empty, respond, single
from proxy.sandbox.models import ListRecord
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import additional_fields, fieldset, includes

OPT_IN = ("double_opt_in", "single_opt_in")
FILTERS = {
    "name": rule("string", many="any equals"),
    "id": rule("string", single="equals", many="any equals"),
    "created": rule("datetime", single="greater-than"),
    "updated": rule("datetime", single="greater-than"),
}
MAX_MEMBERS_PER_CALL = 1000


def _list(ctx: Ctx, list_id: str) -> ListRecord:
    record = ctx.store.lists.get(list_id)
    if record is None:
        raise not_found("list", list_id)
    return record


def _one(ctx: Ctx, record: ListRecord, status: int = 200) -> Response:
    # The spec lets a single list name profile_count in its sparse fieldset (not a listing).
    fields = fieldset(ctx, "list", (*LIST_FIELDS, "profile_count"))
    additional = additional_fields(ctx, "list", ("profile_count",)) if ctx.request.method == "GET" else set()
    return respond(single(ctx, render_group(ctx, record, fields=fields, additional=additional)), status)


def get_lists(ctx: Ctx) -> Response:
    return list_groups(ctx, ctx.store.lists.values(), kind="list", field_names=LIST_FIELDS, filters=FILTERS)


def create_list(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "list")
    attrs = body.attributes(data)
    name = body.string(attrs, "name", "/data/attributes", needed=True)
    opt_in = body.choice(attrs, "opt_in_process", "/data/attributes", OPT_IN) or "double_opt_in"
    assert name is not None
    return _one(ctx, ctx.store.add_list(name, opt_in), 201)


def get_list(ctx: Ctx) -> Response:
    includes(ctx, ("flow-triggers", "tags"))
    return _one(ctx, _list(ctx, ctx.path("id")))


def update_list(ctx: Ctx) -> Response:
    record = _list(ctx, ctx.path("id"))
    data = body.data_object(ctx.body, "list", need_id=True, path_id=record.id)
    attrs = body.attributes(data)
    name = body.string(attrs, "name", "/data/attributes")
    opt_in = body.choice(attrs, "opt_in_process", "/data/attributes", OPT_IN)
    if name is not None:
        if not name.strip():
            raise invalid("'name' may not be blank.", pointer="/data/attributes/name")
        record.name = name
    if opt_in is not None:
        record.opt_in_process = opt_in
    record.updated = ctx.store.now()
    return _one(ctx, record)


def delete_list(ctx: Ctx) -> Response:
    record = _list(ctx, ctx.path("id"))
    del ctx.store.lists[record.id]
    ctx.store.pending_confirmations[:] = [
        p for p in ctx.store.pending_confirmations if p.list_id != record.id
    ]
    return empty(204)


def get_profiles_for_list(ctx: Ctx) -> Response:
    return members(ctx, _list(ctx, ctx.path("id")), ids_only=False)


def get_profile_ids_for_list(ctx: Ctx) -> Response:
    return members(ctx, _list(ctx, ctx.path("id")), ids_only=True)


def _member_ids(ctx: Ctx) -> list[str]:
    ids = body.identifiers(ctx.body, "profile")
    if len(ids) > MAX_MEMBERS_PER_CALL:
        raise invalid(f"At most {MAX_MEMBERS_PER_CALL} profiles may be sent per request.", pointer="/data")
    for index, profile_id in enumerate(ids):
        if profile_id not in ctx.store.profiles:
            raise invalid(f"Profile {profile_id} does not exist.", pointer=f"/data/{index}/id")
    return ids


def add_profiles_to_list(ctx: Ctx) -> Response:
    record = _list(ctx, ctx.path("id"))
    ctx.store.join(record, _member_ids(ctx))
    return empty(204)


def remove_profiles_from_list(ctx: Ctx) -> Response:
    record = _list(ctx, ctx.path("id"))
    for profile_id in _member_ids(ctx):
        record.members.pop(profile_id, None)
    return empty(204)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_lists": get_lists,
    "create_list": create_list,
    "get_list": get_list,
    "update_list": update_list,
    "delete_list": delete_list,
    "get_profiles_for_list": get_profiles_for_list,
    "get_profile_ids_for_list": get_profile_ids_for_list,
    "add_profiles_to_list": add_profiles_to_list,
    "remove_profiles_from_list": remove_profiles_from_list,
}
