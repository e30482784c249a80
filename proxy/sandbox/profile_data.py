"""Writing profiles: attribute validation, merge rules, identity resolution and conflicts.

Shared by every operation that creates or updates profiles: create/update/import, events,
client endpoints and subscription jobs.
"""

from __future__ import annotations

import re
from typing import Any

from proxy.sandbox.errors import ApiError, invalid
from proxy.sandbox.models import IDENTIFIERS, LOCATION_FIELDS, PROFILE_FIELDS, Profile
from proxy.sandbox.store import Store

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")
ANY_IDENTIFIER = (*IDENTIFIERS, "anonymous_id", "_kx")


def validate(attrs: dict[str, Any], pointer: str, *, extra: tuple[str, ...] = ()) -> None:
    """Check types and formats of incoming profile attributes (unknown members are rejected)."""
    allowed = {*PROFILE_FIELDS, "location", "properties", *extra}
    for name, value in attrs.items():
        where = f"{pointer}/{name}"
        if name not in allowed:
            raise invalid(f"'{name}' is not a valid field for the resource 'profile'.", pointer=where)
        if name == "location":
            _validate_location(value, where)
        elif name == "properties":
            if value is not None and not isinstance(value, dict):
                raise invalid("'properties' must be an object.", pointer=where)
        elif name == "meta":
            continue
        elif value is not None and not isinstance(value, str):
            raise invalid(f"'{name}' must be a string.", pointer=where)
    email = attrs.get("email")
    if email and not EMAIL_RE.match(email):
        raise invalid(f"Invalid email address: {email}.", pointer=f"{pointer}/email")
    phone = attrs.get("phone_number")
    if phone and not PHONE_RE.match(phone):
        raise invalid(
            f"Invalid phone number format (Example of a valid format: +12345678901): {phone}.",
            pointer=f"{pointer}/phone_number",
        )


def _validate_location(value: Any, pointer: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise invalid("'location' must be an object.", pointer=pointer)
    for key, item in value.items():
        if key not in LOCATION_FIELDS:
            raise invalid(f"'{key}' is not a valid location field.", pointer=f"{pointer}/{key}")
        numeric_ok = (
            key in ("latitude", "longitude") and isinstance(item, int | float) and not isinstance(item, bool)
        )
        if item is not None and not isinstance(item, str) and not numeric_ok:
            raise invalid(f"'{key}' must be a string.", pointer=f"{pointer}/{key}")


def apply(store: Store, profile: Profile, attrs: dict[str, Any]) -> None:
    """Merge ``attrs`` into ``profile``: present keys overwrite, ``null`` clears, absent keys stay.

    ``location`` and ``properties`` merge member by member (a ``null`` member is removed);
    ``location: null`` / ``properties: null`` clear them entirely.
    """
    for name in PROFILE_FIELDS:
        if name in attrs:
            profile.attributes[name] = attrs[name]
    if "location" in attrs:
        location = attrs["location"]
        if location is None:
            profile.location = dict.fromkeys(LOCATION_FIELDS)
        else:
            profile.location.update(location)
    if "properties" in attrs:
        properties = attrs["properties"]
        if properties is None:
            profile.properties = {}
        else:
            for key, value in properties.items():
                if value is None:
                    profile.properties.pop(key, None)
                else:
                    profile.properties[key] = value
    if attrs.get("anonymous_id"):
        profile.anonymous_id = attrs["anonymous_id"]
    profile.updated = store.now()
    store.reindex(profile)


def apply_meta(profile: Profile, meta: Any, pointer: str) -> None:
    """``meta.patch_properties``: ``unset`` names, ``append`` / ``unappend`` list values."""
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise invalid("'meta' must be an object.", pointer=pointer)
    patch = meta.get("patch_properties")
    if patch is None:
        return
    if not isinstance(patch, dict):
        raise invalid("'patch_properties' must be an object.", pointer=f"{pointer}/patch_properties")
    unset = patch.get("unset")
    names = [unset] if isinstance(unset, str) else unset or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise invalid(
            "'unset' must be a string or a list of strings.", pointer=f"{pointer}/patch_properties/unset"
        )
    for name in names:
        profile.properties.pop(name, None)
    for verb in ("append", "unappend"):
        changes = patch.get(verb) or {}
        if not isinstance(changes, dict):
            raise invalid(f"'{verb}' must be an object.", pointer=f"{pointer}/patch_properties/{verb}")
        for key, value in changes.items():
            current = profile.properties.get(key)
            items = list(current) if isinstance(current, list) else [] if current is None else [current]
            additions = value if isinstance(value, list) else [value]
            if verb == "append":
                items.extend(additions)
            else:
                items = [item for item in items if item not in additions]
            profile.properties[key] = items


def duplicate(other_id: str) -> ApiError:
    return ApiError(
        409,
        "duplicate_profile",
        "A profile already exists with one of these identifiers.",
        pointer="/data/attributes",
        meta={"duplicate_profile_id": other_id},
    )


def check_conflicts(store: Store, attrs: dict[str, Any], profile_id: str | None) -> None:
    """409 ``duplicate_profile`` when another profile already holds a requested identifier."""
    for field in IDENTIFIERS:
        owner = store.owner_of(field, attrs.get(field), other_than=profile_id)
        if owner:
            raise duplicate(owner)


def resolve(store: Store, attrs: dict[str, Any], profile_id: str | None, *, strict: bool) -> Profile | None:
    """Find the profile these identifiers address.

    ``strict`` (profile-import): identifiers owned by two different profiles are a 409.
    Lenient (events, client, subscription jobs): the first match in priority order wins and
    identifiers owned by someone else are dropped from ``attrs`` rather than stolen.
    """
    if profile_id is not None:
        profile = store.profiles.get(profile_id)
        if profile is None:
            raise ApiError(
                404, "not_found", f"A profile with id {profile_id} does not exist.", pointer="/data/id"
            )
        candidates = [profile.id]
    else:
        candidates = []
        kx = attrs.get("_kx")
        kx_profile = store.profile_by_exchange_id(kx) if isinstance(kx, str) else None
        if kx_profile is not None:
            candidates.append(kx_profile.id)
        for field in ("external_id", "email", "phone_number", "anonymous_id"):
            owner = store.owner_of(field, attrs.get(field))
            if owner and owner not in candidates:
                candidates.append(owner)
    if not candidates:
        return None
    target = candidates[0]
    for field in IDENTIFIERS:
        owner = store.owner_of(field, attrs.get(field), other_than=target)
        if owner:
            if strict:
                raise duplicate(owner)
            attrs.pop(field)
    return store.profiles[target]


def upsert(
    store: Store,
    attrs: dict[str, Any],
    *,
    profile_id: str | None = None,
    meta: Any = None,
    strict: bool = True,
    pointer: str = "/data/attributes",
) -> tuple[Profile, bool]:
    """Create or update the profile ``attrs`` identify. Returns (profile, created)."""
    attrs = dict(attrs)
    if profile_id is None and not any(attrs.get(name) for name in ANY_IDENTIFIER):
        raise invalid(
            "One of email, phone_number, external_id, anonymous_id, _kx or an id is required "
            "to identify a profile.",
            pointer=pointer,
        )
    profile = resolve(store, attrs, profile_id, strict=strict)
    created = profile is None
    if profile is None:
        profile = store.new_profile()
    apply(store, profile, attrs)
    apply_meta(profile, meta, pointer.rsplit("/", 1)[0] + "/meta")
    return profile, created
