"""Legacy v2 subscribe profiles -> profile upserts and one subscription job (§2 F6).

Pure functions on plain dicts. A legacy subscribe profile is an object with ``email``
and/or ``phone_number`` (or their ``$`` spellings), optional ``sms_consent`` (bool) and
``$consent`` (list of channels), plus any ``$``-special or custom property to write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mappings.translate.fields import legacy_to_profile_attributes

MAX_PROFILES: Final = 1000  # bulk_subscribe_profiles ceiling
# Profile upserts run concurrently in groups of this size (profile-import allows 75/s).
UPSERT_GROUP: Final = 25
IDENTIFIERS: Final = ("email", "phone_number")
NOT_PROFILE_FIELDS: Final = frozenset({"sms_consent"})  # consent flags, not properties
JOB_TYPE: Final = "profile-subscription-bulk-create-job"


class BadSubscribers(ValueError):
    """A subscribe body the legacy API would reject; the message is client-facing."""


@dataclass(frozen=True)
class Subscriber:
    """One legacy profile: its profile-import attributes and what to subscribe."""

    attributes: Mapping[str, Any]
    email: str | None
    phone_number: str | None
    sms: bool  # SMS marketing consent given (sms_consent true or "sms" in $consent)

    @property
    def subscribes(self) -> bool:
        """Goes into the subscription job (email marketing, or SMS with consent)."""
        return self.email is not None or (self.phone_number is not None and self.sms)

    def needs_upsert(self, want_id: bool) -> bool:
        """Upsert when its ID is needed, it carries more than identifiers, or the job skips it."""
        return want_id or not self.subscribes or any(k not in IDENTIFIERS for k in self.attributes)

    def legacy_echo(self, profile_id: str | None) -> dict[str, Any]:
        """The single opt-in answer row: ``{"id", "email"}`` and/or ``"phone_number"``."""
        row: dict[str, Any] = {"id": profile_id}
        if self.email is not None:
            row["email"] = self.email
        if self.phone_number is not None:
            row["phone_number"] = self.phone_number
        return row


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return value is True or value == 1


def _sms_consent(profile: Mapping[str, Any]) -> bool:
    if _truthy(profile.get("sms_consent")):
        return True
    consent = profile.get("$consent")
    channels = consent.split(",") if isinstance(consent, str) else consent
    if not isinstance(channels, list | tuple):
        return False
    return any(isinstance(c, str) and c.strip().lower() == "sms" for c in channels)


def _identifier(attributes: dict[str, Any], name: str) -> str | None:
    """A usable identifier, removing an empty or non-string one from the attributes."""
    value = attributes.get(name)
    if isinstance(value, str) and value.strip():
        return value
    attributes.pop(name, None)
    return None


def parse_subscriber(profile: Any, index: int) -> Subscriber:
    if not isinstance(profile, Mapping):
        raise BadSubscribers(f"Profile at index {index} must be an object.")
    props = {k: v for k, v in profile.items() if k not in NOT_PROFILE_FIELDS}
    # In v2 list bodies ``id`` is not an identifier: it is a custom property (§3.1).
    attributes = legacy_to_profile_attributes(props, id_alias=False)
    email = _identifier(attributes, "email")
    phone = _identifier(attributes, "phone_number")
    if email is None and phone is None:
        raise BadSubscribers(f"Profile at index {index} needs an email or a phone_number.")
    return Subscriber(attributes=attributes, email=email, phone_number=phone, sms=_sms_consent(profile))


def parse_subscribers(profiles: Any) -> list[Subscriber]:
    """The ``profiles`` parameter -> subscribers; raises ``BadSubscribers``."""
    if not isinstance(profiles, list):
        raise BadSubscribers("The 'profiles' parameter is required and must be a list of profile objects.")
    if len(profiles) > MAX_PROFILES:
        raise BadSubscribers(f"At most {MAX_PROFILES} profiles can be subscribed in one request.")
    return [parse_subscriber(p, i) for i, p in enumerate(profiles)]


def upsert_body(subscriber: Subscriber) -> dict[str, Any]:
    """create_or_update_profile (profile-import) body."""
    return {"data": {"type": "profile", "attributes": dict(subscriber.attributes)}}


def _job_profile(subscriber: Subscriber) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    subscriptions: dict[str, Any] = {}
    if subscriber.email is not None:
        attributes["email"] = subscriber.email
        subscriptions["email"] = {"marketing": {"consent": "SUBSCRIBED"}}
    if subscriber.phone_number is not None and subscriber.sms:
        attributes["phone_number"] = subscriber.phone_number
        subscriptions["sms"] = {"marketing": {"consent": "SUBSCRIBED"}}
    attributes["subscriptions"] = subscriptions
    return {"type": "profile", "attributes": attributes}


def subscribe_job(list_id: str, subscribers: Sequence[Subscriber]) -> dict[str, Any] | None:
    """bulk_subscribe_profiles body for the subscribing profiles (duplicates once); None if none.

    ``historical_import`` stays false: true would skip the list's double opt-in.
    """
    entries: list[dict[str, Any]] = []
    for subscriber in subscribers:
        if subscriber.subscribes:
            entry = _job_profile(subscriber)
            if entry not in entries:
                entries.append(entry)
    if not entries:
        return None
    return {
        "data": {
            "type": JOB_TYPE,
            "attributes": {"profiles": {"data": entries}, "historical_import": False},
            "relationships": {"list": {"data": {"type": "list", "id": list_id}}},
        }
    }
