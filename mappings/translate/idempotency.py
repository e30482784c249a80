"""Where a new-API write carries its idempotency key: an event's ``unique_id``.

Klaviyo counts an event once per ``unique_id`` (per metric and profile), so a write that
carries one may be sent again (a retry, a redelivery from the spool) without counting twice.
The legacy ``$event_id`` (and track-once's deterministic id) become it in the translation; for
an event without one the engine fixes one when it accepts the call (``with_unique_id``).
"""

from __future__ import annotations

from typing import Any

from mappings.core.request import JSON

# New-API writes whose repetition leaves the same state (so a retry after a lost answer is
# safe): upserts keyed by the profile's identifiers, set-membership changes, and consent or
# suppression jobs that set a state rather than add to one. Creations (a list, a campaign, an
# event without unique_id) are not here: sent twice, they make two.
IDEMPOTENT_WRITES: frozenset[str] = frozenset(
    {
        "create_or_update_profile",  # profile-import: upsert by email/phone/external id
        "create_client_profile",  # client upsert
        "add_profiles_to_list",  # membership is a set
        "remove_profiles_from_list",
        "bulk_subscribe_profiles",  # consent set to subscribed
        "bulk_unsubscribe_profiles",
        "bulk_suppress_profiles",
        "create_client_subscription",
    }
)


def _event_attributes(body: Any) -> dict[str, Any] | None:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("type") != "event":
        return None
    attributes = data.get("attributes")
    return attributes if isinstance(attributes, dict) else None


def idempotent_write(operation: str, method: str, body: Any) -> bool:
    """A write that may be sent twice: naturally idempotent, a PATCH (sets fields to values), or
    one carrying an idempotency key."""
    return operation in IDEMPOTENT_WRITES or method == "PATCH" or idempotency_key(body) is not None


def idempotency_key(body: Any) -> str | None:
    """The write's idempotency key (an event's ``unique_id``), or None."""
    attributes = _event_attributes(body)
    value = attributes.get("unique_id") if attributes is not None else None
    return value if isinstance(value, str) and value else None


def needs_unique_id(body: Any) -> bool:
    """An event body without a ``unique_id``."""
    return _event_attributes(body) is not None and idempotency_key(body) is None


def with_unique_id(body: JSON, unique_id: str) -> JSON:
    """A copy of an event body carrying ``unique_id`` (the body unchanged if it is no event)."""
    attributes = _event_attributes(body)
    if attributes is None or not isinstance(body, dict):
        return body
    data = dict(body["data"])
    data["attributes"] = {**attributes, "unique_id": unique_id}
    return {**body, "data": data}
