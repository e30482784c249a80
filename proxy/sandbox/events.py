"""Events and metrics: ingestion (server and client), listing with includes, metric lookups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from proxy.sandbox import body, profile_data, profile_view
from proxy.sandbox.errors import invalid, not_found, required
from proxy.sandbox.filters import compile_filter, rule, select
from proxy.sandbox.ids import iso, parse_iso
from proxy.sandbox.jsonapi import (
    Ctx,
    collection,
    empty,
    page_size,
    relationship_links,
    resource,
    respond,
    single,
)
from proxy.sandbox.models import Event, Metric
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import additional_fields, apply_sort, fieldset, includes, sort_spec
from proxy.sandbox.store import Store

_RANGE = "greater-or-equal greater-than less-or-equal less-than"
FILTERS = {
    "metric_id": rule("string", single="equals", many="equals"),
    "profile_id": rule("string", single="equals"),
    "profile": rule("none", single="has"),
    "metric": rule("none", single="has"),
    "datetime": rule("datetime", single=_RANGE),
    "timestamp": rule("number", single=_RANGE),
}
METRIC_FILTERS = {
    "integration.name": rule("string", single="equals"),
    "integration.category": rule("string", single="equals"),
}
EVENT_FIELDS = ("datetime", "event_properties", "id", "timestamp", "uuid")
METRIC_FIELDS = ("created", "id", "integration", "name", "updated")
PROFILE_EVENT_FIELDS = ("anonymous_id", "_kx", "meta")


def render_metric(ctx: Ctx, metric: Metric, fields: set[str] | None = None) -> dict[str, Any]:
    attrs = {
        "name": metric.name,
        "created": metric.created,
        "updated": metric.updated,
        "integration": dict(metric.integration),
    }
    links = relationship_links(ctx, f"/api/metrics/{metric.id}", "flow-triggers")
    return resource(
        ctx,
        "metric",
        metric.id,
        _keep(attrs, fields),
        collection="metrics",
        relationships={"flow-triggers": {"links": links}},
    )


def _keep(attrs: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    return attrs if fields is None else {k: v for k, v in attrs.items() if k in fields}


def render_event(ctx: Ctx, event: Event, fields: set[str] | None = None) -> dict[str, Any]:
    attrs = {
        "timestamp": event.timestamp,
        "event_properties": dict(event.event_properties),
        "datetime": event.datetime,
        "uuid": event.uuid,
    }
    base = f"/api/events/{event.id}"
    relationships = {
        "profile": {
            "data": {"type": "profile", "id": event.profile_id},
            "links": relationship_links(ctx, base, "profile"),
        },
        "metric": {
            "data": {"type": "metric", "id": event.metric_id},
            "links": relationship_links(ctx, base, "metric"),
        },
    }
    return resource(
        ctx, "event", event.id, _keep(attrs, fields), collection="events", relationships=relationships
    )


@dataclass
class Incoming:
    """A checked event (EventCreateQueryV2 attributes), not yet stored."""

    properties: dict[str, Any]
    metric_name: str
    profile_attrs: dict[str, Any]
    profile_meta: Any
    profile_id: str | None
    profile_pointer: str
    time: str | None
    value: float | None
    currency: str | None
    unique_id: str | None


def _profile_of(wrapper_data: dict[str, Any], pointer: str) -> tuple[dict[str, Any], Any, str | None]:
    """Attributes (checked), ``meta`` and id of a profile resource object at ``pointer``."""
    attrs = dict(body.attributes(wrapper_data, pointer))
    meta = attrs.pop("meta", None)
    profile_data.validate(attrs, f"{pointer}/attributes", extra=PROFILE_EVENT_FIELDS)
    profile_id = wrapper_data.get("id") if isinstance(wrapper_data.get("id"), str) else None
    return attrs, meta, profile_id


def parse_event(
    attrs: dict[str, Any], pointer: str, profile: dict[str, Any] | None = None, profile_pointer: str = ""
) -> Incoming:
    """Check one event's attributes at ``pointer``; ``profile`` (bulk) replaces ``attrs.profile``."""
    properties = body.obj(attrs, "properties", pointer, needed=True)
    assert properties is not None
    metric_data = _nested(attrs, "metric", "metric", pointer)
    metric_attrs = body.attributes(metric_data, f"{pointer}/metric/data")
    name = body.string(metric_attrs, "name", f"{pointer}/metric/data/attributes", needed=True)
    if profile is None:
        profile, profile_pointer = _nested(attrs, "profile", "profile", pointer), f"{pointer}/profile/data"
    profile_attrs, meta, profile_id = _profile_of(profile, profile_pointer)
    when_text = body.datetime_text(attrs, "time", pointer)
    value = attrs.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise invalid("'value' must be a number.", pointer=f"{pointer}/value")
    assert name is not None
    return Incoming(
        dict(properties),
        name,
        profile_attrs,
        meta,
        profile_id,
        f"{profile_pointer}/attributes",
        when_text,
        value,
        body.string(attrs, "value_currency", pointer),
        body.string(attrs, "unique_id", pointer),
    )


def store_event(store: Store, incoming: Incoming) -> None:
    """Upsert the profile, create the metric and record the event (unless a duplicate)."""
    profile, _ = profile_data.upsert(
        store,
        incoming.profile_attrs,
        profile_id=incoming.profile_id,
        meta=incoming.profile_meta,
        strict=False,
        pointer=incoming.profile_pointer,
    )
    metric = store.metric_named(incoming.metric_name)
    moment = parse_iso(incoming.time) if incoming.time else store.clock()
    assert moment is not None
    unique_id = incoming.unique_id
    # The spec (EventCreateQueryV2, create_event and create_client_event): "If the unique_id is
    # repeated for the same profile and metric, only the first processed event will be recorded.
    # If this is not present, this will use the time to the second." The request still gets 202.
    key = (metric.id, profile.id, unique_id if unique_id is not None else f"time:{iso(moment)}")
    if key in store.event_keys:
        return
    store.event_keys.add(key)
    event_properties = dict(incoming.properties)
    if incoming.value is not None:
        event_properties["$value"] = incoming.value
    if incoming.currency is not None:
        event_properties["$value_currency"] = incoming.currency
    if unique_id is not None:
        event_properties["$event_id"] = unique_id
    event = Event(
        store.ids.ulid(),
        metric.id,
        profile.id,
        int(moment.timestamp()),
        iso(moment),
        event_properties,
        store.ids.uuid(),
        unique_id,
    )
    store.events[event.id] = event
    if profile.last_event_date is None or (parse_iso(profile.last_event_date) or moment) < moment:
        profile.last_event_date = iso(moment)


def _ingest(ctx: Ctx) -> None:
    """Validate an EventCreateQueryV2 body, upsert its profile, create metric and event."""
    attrs = body.attributes(body.data_object(ctx.body, "event"))
    store_event(ctx.store, parse_event(attrs, "/data/attributes"))


def _nested(attrs: dict[str, Any], name: str, type_: str, at: str = "/data/attributes") -> dict[str, Any]:
    pointer = f"{at}/{name}"
    wrapper = body.obj(attrs, name, at, needed=True)
    assert wrapper is not None
    data = wrapper.get("data")
    if data is None:
        raise required(f"{pointer}/data")
    if not isinstance(data, dict):
        raise invalid("'data' must be an object.", pointer=f"{pointer}/data")
    body.check_type(data, type_, f"{pointer}/data")
    return data


def create_event(ctx: Ctx) -> Response:
    _ingest(ctx)
    return empty(202)


def _event_value(event: Event, name: str) -> Any:
    return {
        "metric_id": event.metric_id,
        "profile_id": event.profile_id,
        "datetime": event.datetime,
        "timestamp": event.timestamp,
        "profile": event.profile_id,
        "metric": event.metric_id,
    }.get(name)


def _included(ctx: Ctx, events: list[Event] | tuple[Event, ...], wanted: set[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    metric_fields = fieldset(ctx, "metric", METRIC_FIELDS)
    profile_fields = fieldset(ctx, "profile", profile_view.FIELDS)
    for event in events:
        if "metric" in wanted and event.metric_id in ctx.store.metrics:
            out.append(render_metric(ctx, ctx.store.metrics[event.metric_id], metric_fields))
        if "profile" in wanted and event.profile_id in ctx.store.profiles:
            out.append(profile_view.render(ctx, ctx.store.profiles[event.profile_id], fields=profile_fields))
    return out


def get_events(ctx: Ctx) -> Response:
    nodes = compile_filter(ctx.param("filter"), FILTERS)
    spec = sort_spec(ctx, ("datetime", "timestamp"))
    size = page_size(ctx, 200, 1000)
    fields = fieldset(ctx, "event", EVENT_FIELDS)
    wanted = includes(ctx, ("attributions", "metric", "profile"))
    found = select(ctx.store.events.values(), nodes, _event_value)
    ordered = apply_sort(found, spec or ("datetime", False), _event_value)
    return respond(
        collection(
            ctx,
            ordered,
            size,
            lambda e: render_event(ctx, e, fields),
            lambda page: _included(ctx, list(page), wanted),
        )
    )


def get_event(ctx: Ctx) -> Response:
    event = ctx.store.events.get(ctx.path("id"))
    if event is None:
        raise not_found("event", ctx.path("id"))
    wanted = includes(ctx, ("attributions", "metric", "profile"))
    fields = fieldset(ctx, "event", EVENT_FIELDS)
    return respond(single(ctx, render_event(ctx, event, fields), _included(ctx, [event], wanted)))


def _event(ctx: Ctx) -> Event:
    event = ctx.store.events.get(ctx.path("id"))
    if event is None:
        raise not_found("event", ctx.path("id"))
    return event


def get_profile_for_event(ctx: Ctx) -> Response:
    event = _event(ctx)
    profile = ctx.store.profiles.get(event.profile_id)
    if profile is None:
        raise not_found("profile", event.profile_id)
    fields = fieldset(ctx, "profile", profile_view.FIELDS)
    additional = additional_fields(ctx, "profile", ("subscriptions", "predictive_analytics"))
    return respond(single(ctx, profile_view.render(ctx, profile, fields=fields, additional=additional)))


def get_profile_id_for_event(ctx: Ctx) -> Response:
    return respond(single(ctx, {"type": "profile", "id": _event(ctx).profile_id}))


def get_metric_for_event(ctx: Ctx) -> Response:
    metric = ctx.store.metrics[_event(ctx).metric_id]
    return respond(single(ctx, render_metric(ctx, metric, fieldset(ctx, "metric", METRIC_FIELDS))))


def get_metric_id_for_event(ctx: Ctx) -> Response:
    return respond(single(ctx, {"type": "metric", "id": _event(ctx).metric_id}))


def get_metrics(ctx: Ctx) -> Response:
    nodes = compile_filter(ctx.param("filter"), METRIC_FILTERS)
    page_size(ctx, 200, 200, allowed=False)
    fields = fieldset(ctx, "metric", METRIC_FIELDS)
    includes(ctx, ("flow-triggers",))
    found = select(
        ctx.store.metrics.values(), nodes, lambda m, name: m.integration.get(name.split(".", 1)[1])
    )
    return respond(collection(ctx, found, 200, lambda m: render_metric(ctx, m, fields)))


def get_metric(ctx: Ctx) -> Response:
    metric = ctx.store.metrics.get(ctx.path("id"))
    if metric is None:
        raise not_found("metric", ctx.path("id"))
    includes(ctx, ("flow-triggers",))
    return respond(single(ctx, render_metric(ctx, metric, fieldset(ctx, "metric", METRIC_FIELDS))))


def create_client_event(ctx: Ctx) -> Response:
    _ingest(ctx)
    return empty(202)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_events": get_events,
    "create_event": create_event,
    "get_event": get_event,
    "get_profile_for_event": get_profile_for_event,
    "get_profile_id_for_event": get_profile_id_for_event,
    "get_metric_for_event": get_metric_for_event,
    "get_metric_id_for_event": get_metric_id_for_event,
    "get_metrics": get_metrics,
    "get_metric": get_metric,
    "create_client_event": create_client_event,
}
