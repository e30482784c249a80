"""Rendering profiles as JSON:API resources (shared by profiles, lists, segments and events)."""

from __future__ import annotations

from typing import Any

from proxy.sandbox.jsonapi import Ctx, relationship_links, resource, sparse
from proxy.sandbox.models import LOCATION_FIELDS, PROFILE_FIELDS, Consent, Profile

PREDICTIVE_FIELDS = (
    "historic_clv",
    "predicted_clv",
    "total_clv",
    "historic_number_of_orders",
    "predicted_number_of_orders",
    "average_days_between_orders",
    "average_order_value",
    "churn_probability",
    "expected_date_of_next_order",
    "ranked_channel_affinity",
)


def _email_marketing(profile: Profile) -> dict[str, Any]:
    consent = profile.email_marketing
    return {
        "can_receive_email_marketing": consent.consent == "SUBSCRIBED" and not profile.suppressions,
        "consent": consent.consent,
        "consent_timestamp": consent.consent_timestamp,
        "last_updated": consent.last_updated,
        "method": consent.method,
        "method_detail": consent.method_detail,
        "custom_method_detail": consent.custom_method_detail,
        "double_optin": consent.double_optin,
        "suppression": [dict(item) for item in profile.suppressions],
        "list_suppressions": [dict(item) for item in profile.list_suppressions],
    }


def _sms(consent: Consent, flag: str) -> dict[str, Any]:
    return {
        flag: consent.consent == "SUBSCRIBED",
        "consent": consent.consent,
        "consent_timestamp": consent.consent_timestamp,
        "method": consent.method,
        "method_detail": consent.method_detail,
        "last_updated": consent.last_updated,
    }


def subscriptions(profile: Profile) -> dict[str, Any]:
    """The ``subscriptions`` additional field, shaped per the spec's Subscriptions schema."""
    return {
        "email": {"marketing": _email_marketing(profile)},
        "sms": {
            "marketing": _sms(profile.sms_marketing, "can_receive_sms_marketing"),
            "transactional": _sms(profile.sms_transactional, "can_receive_sms_transactional"),
        },
        "mobile_push": {
            "marketing": {
                "can_receive_push_marketing": False,
                "consent": "NEVER_SUBSCRIBED",
                "consent_timestamp": None,
            },
        },
    }


def _paths(prefix: str, value: dict[str, Any]) -> list[str]:
    out = [prefix]
    for key, item in value.items():
        out.extend(_paths(f"{prefix}.{key}", item) if isinstance(item, dict) else [f"{prefix}.{key}"])
    return out


_SAMPLE = Profile(id="", created="", updated="")
FIELDS: frozenset[str] = frozenset(
    {
        "id",
        *PROFILE_FIELDS,
        "created",
        "updated",
        "last_event_date",
        "properties",
        *_paths("location", dict.fromkeys(LOCATION_FIELDS)),
        *_paths("subscriptions", subscriptions(_SAMPLE)),
        *_paths("predictive_analytics", dict.fromkeys(PREDICTIVE_FIELDS)),
    }
)
MEMBER_FIELDS = FIELDS | {"joined_group_at"}


# The spec types these ``nullable`` + ``oneOf: [string, number]``, which admits no ``null``
# (OpenAPI 3.0.3: ``nullable`` only widens a ``type`` next to it): unknown ones are left out.
UNNULLABLE_LOCATION = ("latitude", "longitude")


def location(profile: Profile) -> dict[str, Any]:
    """The ``location`` attribute: every member, ``null`` when unknown (coordinates left out)."""
    out = {name: profile.location.get(name) for name in LOCATION_FIELDS}
    for name in UNNULLABLE_LOCATION:
        if out[name] is None:
            del out[name]
    return out


def attributes(profile: Profile, additional: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    attrs: dict[str, Any] = {name: profile.attributes.get(name) for name in PROFILE_FIELDS}
    attrs["created"] = profile.created
    attrs["updated"] = profile.updated
    attrs["last_event_date"] = profile.last_event_date
    attrs["location"] = location(profile)
    attrs["properties"] = dict(profile.properties)
    if "subscriptions" in additional:
        attrs["subscriptions"] = subscriptions(profile)
    if "predictive_analytics" in additional:
        attrs["predictive_analytics"] = dict.fromkeys(PREDICTIVE_FIELDS)
    return attrs


def render(
    ctx: Ctx,
    profile: Profile,
    *,
    fields: set[str] | None = None,
    additional: set[str] | frozenset[str] = frozenset(),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A profile resource object; ``extra`` adds attributes such as ``joined_group_at``."""
    attrs = attributes(profile, additional)
    if extra:
        attrs.update(extra)
    base = f"/api/profiles/{profile.id}"
    relationships = {
        name: {"links": relationship_links(ctx, base, name)} for name in ("lists", "segments", "push-tokens")
    }
    return resource(
        ctx, "profile", profile.id, sparse(attrs, fields), collection="profiles", relationships=relationships
    )


def field_value(ctx: Ctx, profile: Profile, name: str) -> Any:
    """Read a filterable / sortable field of a profile by its API name."""
    if name == "id":
        return profile.id
    if name == "_kx":
        return ctx.store.exchange_id(profile.id)
    if name in ("created", "updated", "last_event_date"):
        return getattr(profile, name)
    if name == "push_token":
        return profile.push_tokens
    if name.startswith("subscriptions.email.marketing.suppression."):
        return _first(profile.suppressions, name.rsplit(".", 1)[1])
    if name.startswith("subscriptions.email.marketing.list_suppressions."):
        return _first(profile.list_suppressions, name.rsplit(".", 1)[1])
    value = profile.attributes.get(name)
    return value.lower() if name == "email" and isinstance(value, str) else value


def _first(entries: list[dict[str, str]], key: str) -> Any:
    values = [entry.get(key) for entry in entries]
    return None if not values else values[0] if len(values) == 1 else values
