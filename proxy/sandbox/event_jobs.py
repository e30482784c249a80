"""Bulk event creation (``POST /api/event-bulk-create-jobs``): many profiles' events at once.

Every entry is checked before anything is stored, so a bad entry fails the whole request (400)
and nothing is processed. The spec words the bulk ``unique_id`` rule differently from the single
endpoint: "If a unique_id is repeated for the same profile and metric, the request will fail and
no events will be processed." A repeat *within the request* (same profile identifiers, metric
and unique_id) is therefore a 400; an event repeating one already stored is dropped as for
create_event. The answer is 202 with no body, as the spec documents.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy.sandbox import body
from proxy.sandbox.errors import invalid, required
from proxy.sandbox.events import Incoming, parse_event, store_event
from proxy.sandbox.jsonapi import Ctx, empty
from proxy.sandbox.operation import Handler

MAX_EVENTS = 1000
ENTRIES = "/data/attributes/events-bulk-create/data"


def _list_of(wrapper: Any, pointer: str) -> list[Any]:
    if not isinstance(wrapper, dict):
        raise required(pointer)
    items = wrapper.get("data")
    if not isinstance(items, list):
        raise invalid("'data' must be a list.", pointer=f"{pointer}/data")
    return items


def _entry(item: Any, pointer: str) -> list[Incoming]:
    if not isinstance(item, dict):
        raise invalid("Each entry must be an object.", pointer=pointer)
    body.check_type(item, "event-bulk-create", pointer)
    attrs = body.attributes(item, pointer)
    profile_wrapper = body.obj(attrs, "profile", f"{pointer}/attributes", needed=True)
    assert profile_wrapper is not None
    profile = profile_wrapper.get("data")
    profile_pointer = f"{pointer}/attributes/profile/data"
    if not isinstance(profile, dict):
        raise required(profile_pointer)
    body.check_type(profile, "profile", profile_pointer)
    events = _list_of(attrs.get("events"), f"{pointer}/attributes/events")
    out = []
    for index, event in enumerate(events):
        where = f"{pointer}/attributes/events/data/{index}"
        if not isinstance(event, dict):
            raise invalid("Each event must be an object.", pointer=where)
        body.check_type(event, "event", where)
        out.append(
            parse_event(body.attributes(event, where), f"{where}/attributes", profile, profile_pointer)
        )
    return out


def _identity(incoming: Incoming) -> tuple[Any, ...]:
    attrs = incoming.profile_attrs
    who = incoming.profile_id or attrs.get("email") or attrs.get("phone_number") or attrs.get("external_id")
    return (str(who).lower(), incoming.metric_name, incoming.unique_id)


def bulk_create_events(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "event-bulk-create-job")
    attrs = body.attributes(data)
    entries = _list_of(attrs.get("events-bulk-create"), "/data/attributes/events-bulk-create")
    parsed: list[Incoming] = []
    for index, item in enumerate(entries):
        parsed.extend(_entry(item, f"{ENTRIES}/{index}"))
    if len(parsed) > MAX_EVENTS:
        raise invalid(f"At most {MAX_EVENTS} events may be sent per request.", pointer=ENTRIES)
    seen: set[tuple[Any, ...]] = set()
    for incoming in parsed:
        if incoming.unique_id is None:
            continue
        key = _identity(incoming)
        if key in seen:
            raise invalid(
                f"unique_id '{incoming.unique_id}' is repeated for the same profile and metric.",
                pointer=ENTRIES,
            )
        seen.add(key)
    for incoming in parsed:
        store_event(ctx.store, incoming)
    return empty(202)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "bulk_create_events": bulk_create_events,
}
