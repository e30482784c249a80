"""Email suppressions of new profiles -> legacy exclusions (new-api-mapping.md §5.7, §6 item 7).

Pure functions on JSON:API profile resources fetched with ``additional-fields[profile]=subscriptions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from mappings.translate.datetimes import legacy_datetime
from mappings.translate.member_lookup import email_suppressions, list_suppressions

# Legacy ``reason`` -> new ``suppression.reason`` (§5.7).
REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "unsubscribed": "UNSUBSCRIBE",
        "bounced": "HARD_BOUNCE",
        "invalid_email": "INVALID_EMAIL",
        "reported_spam": "SPAM_COMPLAINT",
        "manually_excluded": "USER_SUPPRESSED",
    }
)
LEGACY_REASONS: Final[Mapping[str, str]] = MappingProxyType({v: k for k, v in REASONS.items()})


def legacy_reason(reason: Any) -> str | None:
    """New suppression reason -> legacy reason; an unknown one lower-cased, a missing one None."""
    if not isinstance(reason, str) or not reason:
        return None
    return LEGACY_REASONS.get(reason, reason.lower())


def _attributes(profile: Mapping[str, Any]) -> Mapping[str, Any]:
    attrs = profile.get("attributes")
    return attrs if isinstance(attrs, Mapping) else {}


def _timestamp(entry: Mapping[str, Any]) -> str | None:
    raw = entry.get("timestamp")
    return legacy_datetime(raw) if isinstance(raw, str) else None


def list_exclusion(profile: Mapping[str, Any], list_id: str) -> dict[str, Any]:
    """F12 record ``{"id", "email", "reason", "timestamp"}`` from the profile's suppression for the list."""
    found = list_suppressions(profile, list_id)
    entry = found[0] if found else {}
    return {
        "id": profile.get("id"),
        "email": _attributes(profile).get("email"),
        "reason": legacy_reason(entry.get("reason")),
        "timestamp": _timestamp(entry),
    }


def global_exclusion(profile: Mapping[str, Any], reason: str | None = None) -> dict[str, Any]:
    """F15 item ``{"object": "exclusion", "email", "reason", "timestamp"}``.

    ``reason`` is the new reason filtered on (that suppression is shown), else the first one.
    """
    entries = email_suppressions(profile)
    chosen = next((e for e in entries if e.get("reason") == reason), entries[0] if entries else {})
    return {
        "object": "exclusion",
        "email": _attributes(profile).get("email"),
        "reason": legacy_reason(chosen.get("reason")),
        "timestamp": _timestamp(chosen),
    }
