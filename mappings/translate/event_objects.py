"""Legacy v1 metric and event objects from new-API resources (new-api-mapping.md §5.3, §5.4).

* ``legacy_metric``: metric resource -> ``{"object": "metric", ...}`` (D1, D4);
* ``legacy_event``: event resource plus its included metric and profile -> timeline event
  (D2, D3, E3, E4), with the complete legacy person object nested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from mappings.core import JSON
from mappings.translate.campaign_objects import index_resources
from mappings.translate.datetimes import legacy_datetime, timeline_datetime, unix_seconds, unix_to_iso
from mappings.translate.fields import profile_to_legacy_person

# Members of the new free-form ``integration`` object a legacy metric showed.
INTEGRATION_KEYS: Final = ("id", "name", "category")
# Event attributes that legacy showed inside ``event_properties``. The 2026-07-15 spec does
# not list them on read (Klaviyo keeps them in event_properties); if a revision returns
# them as attributes, they are put back where legacy clients look.
EVENT_SPECIALS_BACK: Final = (
    ("value", "$value"),
    ("unique_id", "$event_id"),
    ("value_currency", "$value_currency"),
)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _relationship_id(resource: Mapping[str, Any], name: str) -> str | None:
    ident = _dict(_dict(_dict(resource.get("relationships")).get(name)).get("data")).get("id")
    return ident if isinstance(ident, str) else None


def legacy_integration(value: Any) -> dict[str, Any] | None:
    """New ``attributes.integration`` -> legacy ``{"object": "integration", "id", "name", "category"}``."""
    if not isinstance(value, Mapping):
        return None
    out: dict[str, Any] = {"object": "integration"}
    for key in INTEGRATION_KEYS:
        out[key] = value.get(key)
    return out


def legacy_metric(resource: Mapping[str, Any]) -> dict[str, Any]:
    """New metric resource -> legacy v1 metric object."""
    attributes = _dict(resource.get("attributes"))
    return {
        "object": "metric",
        "id": resource.get("id"),
        "name": attributes.get("name"),
        "integration": legacy_integration(attributes.get("integration")),
        "created": legacy_datetime(attributes.get("created")),
        "updated": legacy_datetime(attributes.get("updated")),
    }


def _moment(attributes: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """(``timestamp`` epoch seconds, timeline ``datetime``), each derived from the other if missing."""
    stamp = attributes.get("timestamp")
    iso = attributes.get("datetime")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        stamp = None
    if not isinstance(iso, str) or not iso:
        iso = None
        if stamp is not None:
            try:
                iso = unix_to_iso(stamp)
            except ValueError:
                iso = None
    if stamp is None and iso is not None:
        try:
            stamp = unix_seconds(iso)
        except ValueError:
            stamp = None
    return (None if stamp is None else int(stamp)), timeline_datetime(iso)


def event_properties(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """``event_properties`` with ``$value`` / ``$event_id`` put back if only attributes carry them."""
    props = dict(_dict(attributes.get("event_properties")))
    for attribute, legacy_key in EVENT_SPECIALS_BACK:
        value = attributes.get(attribute)
        if value is not None and legacy_key not in props:
            props[legacy_key] = value
    return props


def legacy_event(
    resource: Mapping[str, Any],
    metrics: Mapping[str, Mapping[str, Any]],
    profiles: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """New event resource -> legacy timeline event; ``metrics``/``profiles`` are the included resources by ID.

    A profile that was not included (deleted since) still yields a person object with its ID.
    """
    attributes = _dict(resource.get("attributes"))
    metric_id = _relationship_id(resource, "metric")
    profile_id = _relationship_id(resource, "profile")
    timestamp, when = _moment(attributes)
    metric = metrics.get(metric_id or "")
    profile = profiles.get(profile_id or "")
    person: dict[str, Any] | None = None
    if profile is not None:
        person = profile_to_legacy_person(profile)
    elif profile_id is not None:
        person = profile_to_legacy_person({"type": "profile", "id": profile_id})
    return {
        "object": "event",
        "id": resource.get("id"),
        "statistic_id": metric_id,
        "timestamp": timestamp,
        "event_name": _dict(_dict(metric).get("attributes")).get("name"),
        "event_properties": event_properties(attributes),
        "datetime": when,
        "uuid": attributes.get("uuid"),
        "person": person,
    }


def legacy_events(data: Iterable[JSON], included: Iterable[JSON]) -> list[dict[str, Any]]:
    """A get_events page (``data`` + ``included``) -> legacy events, in upstream order."""
    index = index_resources(included)
    metrics = {ident: res for (kind, ident), res in index.items() if kind == "metric"}
    profiles = {ident: res for (kind, ident), res in index.items() if kind == "profile"}
    return [legacy_event(e, metrics, profiles) for e in data if isinstance(e, Mapping)]
