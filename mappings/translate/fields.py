"""Profile and event field tables (new-api-mapping.md §3.1, §3.2, §4), written once as data.

Every mapping that reads or writes profiles or events converts through here:

* ``legacy_to_profile_attributes``: legacy ``$``/alias properties -> new profile ``attributes``;
* ``legacy_patch_meta``: ``$unset``/``$append``/``$unappend`` -> ``meta.patch_properties``;
* ``profile_to_legacy_person``: new profile resource -> legacy v1 person object;
* ``track_payload_to_event``: legacy track payload -> ``data`` of create_event / create_client_event.

Datetime helpers live in ``mappings.translate.datetimes`` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from mappings.translate import json_text
from mappings.translate.datetimes import legacy_datetime, timeline_datetime, unix_to_iso, v2_datetime
from mappings.translate.numbers import ascii_float, ascii_int

__all__ = [
    "ALIASES",
    "CLIENT_PROFILE_ATTRIBUTES",
    "EVENT_PROFILE_ATTRIBUTES",
    "EVENT_SPECIALS",
    "IDENTIFIER_ATTRIBUTES",
    "LOCATION_ATTRIBUTES",
    "META_KEYS",
    "PATCH_PROFILE_ATTRIBUTES",
    "PERSON_KEYS",
    "PROFILE_ATTRIBUTES",
    "UPSERT_PROFILE_ATTRIBUTES",
    "has_identifier",
    "legacy_datetime",
    "legacy_patch_meta",
    "legacy_string",
    "legacy_to_profile_attributes",
    "profile_to_legacy_person",
    "timeline_datetime",
    "track_payload_to_event",
    "unix_to_iso",
    "v2_datetime",
]

# --------------------------------------------------------------------------- §3.1 tables

# Legacy special key -> top-level new profile attribute.
PROFILE_ATTRIBUTES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "$email": "email",
        "$phone_number": "phone_number",
        "$id": "external_id",
        "$exchange_id": "_kx",
        "$anonymous": "anonymous_id",
        "$first_name": "first_name",
        "$last_name": "last_name",
        "$organization": "organization",
        "$title": "title",
        "$image": "image",
        "$locale": "locale",
    }
)

# Legacy special key -> ``attributes.location`` member.
LOCATION_ATTRIBUTES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "$address1": "address1",
        "$address2": "address2",
        "$city": "city",
        "$region": "region",
        "$country": "country",
        "$zip": "zip",
        "$latitude": "latitude",
        "$longitude": "longitude",
        "$timezone": "timezone",
    }
)

# Unprefixed keys the legacy server accepted as the special key. ``id`` -> ``$id`` is
# separate: it is an alias in track/identify only (elsewhere ``id`` is a custom property).
ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {"email": "$email", "phone_number": "$phone_number", "_kx": "$exchange_id"}
)
ID_ALIAS: Final = ("id", "$id")

# Keys that patch properties instead of setting them (``meta.patch_properties``).
META_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {"$unset": "unset", "$append": "append", "$unappend": "unappend"}
)

# Attribute names each target schema accepts (from the pinned spec). A special whose
# attribute the target lacks is kept as a custom property under its legacy key.
_COMMON = frozenset(
    {
        "email",
        "phone_number",
        "external_id",
        "first_name",
        "last_name",
        "organization",
        "title",
        "image",
        "locale",
        "location",
        "properties",
    }
)
PATCH_PROFILE_ATTRIBUTES: Final = _COMMON  # ProfilePartialUpdateQuery
UPSERT_PROFILE_ATTRIBUTES: Final = _COMMON | {"_kx"}  # ProfileUpsertQuery (profile-import)
EVENT_PROFILE_ATTRIBUTES: Final = UPSERT_PROFILE_ATTRIBUTES | {"anonymous_id"}  # events, client and server
CLIENT_PROFILE_ATTRIBUTES: Final = EVENT_PROFILE_ATTRIBUTES  # OnsiteProfileCreateQuery

# Attributes that identify a profile (one is required by track/identify).
IDENTIFIER_ATTRIBUTES: Final = ("email", "phone_number", "external_id", "_kx", "anonymous_id")

# Location members that may stay numbers; every other special is a string attribute.
_NUMERIC_OK: Final = frozenset({"latitude", "longitude"})

# --------------------------------------------------------------------------- §4 table

# Legacy event property -> top-level event attribute.
EVENT_SPECIALS: Final[Mapping[str, str]] = MappingProxyType(
    {"$event_id": "unique_id", "$value": "value", "$value_currency": "value_currency"}
)
# Event properties that never reach the event: ``__track_once__`` becomes its unique_id.
TRACK_ONCE: Final = "__track_once__"
DROPPED_EVENT_PROPERTIES: Final = frozenset({TRACK_ONCE})
TRACK_ONCE_PREFIX: Final = "track-once:"

# --------------------------------------------------------------------------- §3.2 table

# The fixed keys of a legacy person object, in legacy order; always present ("" when unset).
PERSON_KEYS: Final = (
    "$address1", "$address2", "$city", "$country", "$latitude", "$longitude", "$region", "$zip",
    "$email", "$first_name", "$last_name", "$phone_number", "$title", "$organization", "$timezone",
    "$id",
)  # fmt: skip
# Unprefixed duplicates at the end of a person object.
PERSON_DUPLICATES: Final = ("email", "first_name", "last_name")
_PERSON_RESERVED: Final = frozenset(PERSON_KEYS) | {
    "object", "id", "$image", "created", "updated", *PERSON_DUPLICATES,
}  # fmt: skip


# --------------------------------------------------------------------------- converters


def legacy_string(value: Any) -> str:
    """How a legacy v1 write stored a value: strings as-is, anything else as JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _special_value(attribute: str, value: Any) -> Any:
    # Legacy accepted numbers for string specials (e.g. ``$zip: 62701``, ``$id: 42``).
    if attribute not in _NUMERIC_OK and isinstance(value, int | float) and not isinstance(value, bool):
        return legacy_string(value)
    return value


_ALIASES_WITH_ID: Final[Mapping[str, str]] = MappingProxyType({**ALIASES, ID_ALIAS[0]: ID_ALIAS[1]})


def _canonical(props: Mapping[str, Any], id_alias: bool) -> dict[str, Any]:
    """Resolve aliases; the ``$`` spelling wins over an unprefixed alias."""
    aliases = _ALIASES_WITH_ID if id_alias else ALIASES
    out: dict[str, Any] = {}
    for key, value in props.items():
        if value is None or key in META_KEYS:
            continue
        target = aliases.get(key, key)
        if target != key and props.get(target) is not None:
            continue
        out[target] = value
    return out


def legacy_to_profile_attributes(
    props: Mapping[str, Any],
    *,
    id_alias: bool = True,
    stringify: bool = False,
    accepts: Collection[str] = UPSERT_PROFILE_ATTRIBUTES,
) -> dict[str, Any]:
    """Legacy profile properties -> new profile ``attributes`` (§3.1).

    ``None`` values mean "not supplied" and are dropped (the new API would clear the field).
    ``id_alias``: unprefixed ``id`` means ``$id`` (track/identify). ``stringify``: custom
    property values are stored as strings (legacy PUT person). ``accepts``: the attribute
    names the target schema allows; other specials stay custom properties under their
    legacy key. ``$unset``/``$append``/``$unappend`` are ignored (see ``legacy_patch_meta``).
    """
    attributes: dict[str, Any] = {}
    location: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for key, value in _canonical(props, id_alias).items():
        attribute = PROFILE_ATTRIBUTES.get(key)
        member = LOCATION_ATTRIBUTES.get(key)
        if attribute is not None and attribute in accepts:
            attributes[attribute] = _special_value(attribute, value)
        elif member is not None and "location" in accepts:
            location[member] = _special_value(member, value)
        else:
            properties[key] = legacy_string(value) if stringify else value
    if location:
        attributes["location"] = location
    if properties:
        attributes["properties"] = properties
    return attributes


def _name_list(value: Any) -> list[str]:
    """``$unset`` value: a list, a JSON-list string (``'["a","b"]'``) or a single name."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json_text.loads(text)
            except ValueError:
                return [value]
        else:
            return [value] if text else []
    if isinstance(value, list | tuple):
        return [legacy_string(v) for v in value if v is not None]
    return [legacy_string(value)]


def _object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json_text.loads(value)
        except ValueError:
            return None
    return dict(value) if isinstance(value, Mapping) else None


def legacy_patch_meta(values: Mapping[str, Iterable[Any]]) -> dict[str, Any]:
    """``$unset``/``$append``/``$unappend`` (every received value) -> ``meta`` ({} if none).

    ``values`` maps a legacy key to all values received for it (repeated parameters).
    ``$unset[]`` (PHP-style repeated parameter) counts as ``$unset``.
    """
    unset: list[str] = []
    patch: dict[str, Any] = {}
    for key in ("$unset", "$unset[]"):
        for value in values.get(key, ()):
            unset.extend(n for n in _name_list(value) if n not in unset)
    if unset:
        patch["unset"] = unset
    for key in ("$append", "$unappend"):
        merged: dict[str, Any] = {}
        for value in values.get(key, ()):
            merged.update(_object(value) or {})
        if merged:
            patch[META_KEYS[key]] = merged
    return {"patch_properties": patch} if patch else {}


def has_identifier(attributes: Mapping[str, Any]) -> bool:
    """True when the new profile attributes carry at least one non-empty identifier."""
    return any(attributes.get(name) not in (None, "") for name in IDENTIFIER_ATTRIBUTES)


# Each legacy person key with where its value lives: (key, under ``location``?, new name),
# resolved once rather than per key of every person answered.
_PERSON_FIELDS: Final = tuple(
    (key, key in LOCATION_ATTRIBUTES, LOCATION_ATTRIBUTES.get(key) or PROFILE_ATTRIBUTES[key])
    for key in PERSON_KEYS
)


def profile_to_legacy_person(resource: Mapping[str, Any]) -> dict[str, Any]:
    """New profile resource (``{"type","id","attributes"}``) -> legacy person object (§3.2).

    New-only fields (``locale``, ``location.ip``, subscriptions, predictive analytics...)
    are dropped; a custom property named like a fixed key never overrides it.
    """
    attributes: Mapping[str, Any] = resource.get("attributes") or {}
    person: dict[str, Any] = {"object": "person", "id": resource.get("id")}
    location = attributes.get("location")
    if not isinstance(location, Mapping):
        location = {}
    for key, located, name in _PERSON_FIELDS:
        value = (location if located else attributes).get(name)
        person[key] = "" if value is None else value
    image = attributes.get("image")
    if image not in (None, ""):
        person["$image"] = image
    custom = attributes.get("properties") or {}
    for key, value in custom.items():
        if key not in _PERSON_RESERVED:
            person[key] = value
    for key in PERSON_DUPLICATES:
        person[key] = person["$" + key]
    person["created"] = legacy_datetime(attributes.get("created")) or ""
    person["updated"] = legacy_datetime(attributes.get("updated")) or ""
    return person


def _number(value: Any) -> int | float | None:
    """``$value`` as a JSON number; numeric strings converted; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        whole = ascii_int(value)
        if whole is not None:
            return whole
        number = ascii_float(value)
        return number if number is not None and math.isfinite(number) else None
    return None


def _event_attributes(props: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split event properties into (top-level specials, remaining properties)."""
    specials: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in props.items():
        if key in DROPPED_EVENT_PROPERTIES:
            continue
        target = EVENT_SPECIALS.get(key)
        if target is None:
            rest[key] = value
        elif value is None:
            continue
        elif target == "value":
            number = _number(value)
            if number is None:
                rest[key] = value  # not a number: keep it rather than lose it
            else:
                specials[target] = number
        else:
            specials[target] = legacy_string(value)
    return specials, rest


def is_track_once(props: Mapping[str, Any]) -> bool:
    """``__track_once__`` set: ``true`` as the SDKs send it (or its form-encoded spellings)."""
    flag = props.get(TRACK_ONCE)
    if isinstance(flag, str):
        return flag.strip().lower() in ("true", "1", "yes")
    return flag is True or (isinstance(flag, int) and flag == 1)


def track_once_unique_id(event: str) -> str:
    """The deterministic ``unique_id`` of a track-once event: derived from the event name only.

    The pinned spec (EventCreateQueryV2 / client events, ``unique_id``): "A unique identifier for
    an event. If the unique_id is repeated for the same profile and metric, only the first
    processed event will be recorded." The metric is the event name, so one fixed id per event
    name makes the new API record a track-once event once per profile, as legacy did ("record
    only once per profile"), with no extra upstream call. Only the name is hashed (never a
    profile identifier or property), and the hash keeps the id short whatever the name.
    """
    return TRACK_ONCE_PREFIX + hashlib.sha256(event.encode("utf-8")).hexdigest()[:32]


def track_payload_to_event(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Legacy track payload -> the ``data`` object of create_event / create_client_event (§4).

    Raises ``ValueError`` for an unusable ``time`` or non-object ``properties`` /
    ``customer_properties``; the caller decides whether an identifier is present.
    """
    props = payload.get("properties")
    customer = payload.get("customer_properties")
    if props is None:
        props = {}
    if customer is None:
        customer = {}
    if not isinstance(props, Mapping) or not isinstance(customer, Mapping):
        raise ValueError("properties and customer_properties must be objects")
    specials, rest = _event_attributes(props)
    profile = legacy_to_profile_attributes(customer, accepts=EVENT_PROFILE_ATTRIBUTES)
    ip = payload.get("ip")
    if isinstance(ip, str) and ip:
        profile.setdefault("location", {})["ip"] = ip
    attributes: dict[str, Any] = {"properties": rest}
    time = payload.get("time")
    if time is not None and time != "":
        attributes["time"] = unix_to_iso(time)
    attributes.update(specials)
    event = payload.get("event")
    if is_track_once(props) and isinstance(event, str):
        if "unique_id" in specials:  # the caller's $event_id stays visible as a property
            rest["$event_id"] = specials["unique_id"]
        attributes["unique_id"] = track_once_unique_id(event)
    attributes["metric"] = {"data": {"type": "metric", "attributes": {"name": event}}}
    attributes["profile"] = {"data": {"type": "profile", "attributes": profile}}
    return {"type": "event", "attributes": attributes}
