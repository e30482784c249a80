"""The sandbox's records. Plain mutable dataclasses owned by :class:`~proxy.sandbox.store.Store`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROFILE_FIELDS = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
)
IDENTIFIERS = ("email", "phone_number", "external_id")
LOCATION_FIELDS = (
    "address1",
    "address2",
    "city",
    "country",
    "latitude",
    "longitude",
    "region",
    "zip",
    "timezone",
    "ip",
)


@dataclass
class Consent:
    """One channel's marketing consent, as reported in ``subscriptions``."""

    consent: str = "NEVER_SUBSCRIBED"
    consent_timestamp: str | None = None
    last_updated: str | None = None
    method: str | None = None
    method_detail: str | None = None
    custom_method_detail: str | None = None
    double_optin: bool | None = None


@dataclass
class Profile:
    id: str
    created: str
    updated: str
    attributes: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(PROFILE_FIELDS))
    location: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(LOCATION_FIELDS))
    properties: dict[str, Any] = field(default_factory=dict)
    anonymous_id: str | None = None
    last_event_date: str | None = None
    email_marketing: Consent = field(default_factory=Consent)
    sms_marketing: Consent = field(default_factory=Consent)
    sms_transactional: Consent = field(default_factory=Consent)
    # {"reason": "UNSUBSCRIBE" | ..., "timestamp": iso}
    suppressions: list[dict[str, str]] = field(default_factory=list)
    # {"list_id", "reason", "timestamp"}
    list_suppressions: list[dict[str, str]] = field(default_factory=list)
    push_tokens: list[str] = field(default_factory=list)

    def get(self, name: str) -> Any:
        return self.attributes.get(name)


@dataclass
class Metric:
    id: str
    name: str
    created: str
    updated: str
    integration: dict[str, Any]


@dataclass
class Event:
    id: str
    metric_id: str
    profile_id: str
    timestamp: int
    datetime: str
    event_properties: dict[str, Any]
    uuid: str
    unique_id: str | None


@dataclass
class Group:
    """A list or a segment: named, with members (profile id -> joined_group_at), in join order."""

    id: str
    name: str
    created: str
    updated: str
    members: dict[str, str] = field(default_factory=dict)


@dataclass
class ListRecord(Group):
    opt_in_process: str = "double_opt_in"


@dataclass
class Segment(Group):
    # The spec's SegmentDefinition; None for a seeded segment (``Store.add_segment``: fixed members).
    definition: dict[str, Any] | None = None
    is_active: bool = True
    is_processing: bool = False
    is_starred: bool = False


@dataclass
class PendingConfirmation:
    """A double opt-in subscription waiting for the profile to click the confirmation link."""

    list_id: str
    profile_id: str
    channel: str  # "email" | "sms"
    address: str  # the email address or phone number the confirmation went to
    requested_at: str
    custom_source: str | None = None


@dataclass
class Template:
    id: str
    name: str
    editor_type: str
    html: str
    text: str | None
    amp: str | None
    created: str
    updated: str
    reusable: bool = True  # False for the private copies assigned to campaign messages


@dataclass
class CampaignMessage:
    id: str
    campaign_id: str
    definition: dict[str, Any]
    created_at: str
    updated_at: str
    template_id: str | None = None
    send_times: list[dict[str, Any]] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return str(self.definition.get("channel", ""))


@dataclass
class Campaign:
    id: str
    name: str
    channel: str
    audiences: dict[str, Any]
    send_options: dict[str, Any]
    tracking_options: dict[str, Any] | None
    send_strategy: dict[str, Any]
    created_at: str
    updated_at: str
    status: str = "Draft"
    archived: bool = False
    scheduled_at: str | None = None
    send_time: str | None = None
    message_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PreviewSend:
    """One template preview-send job: the test email the sandbox pretends to have sent."""

    job_id: str
    template_id: str
    recipients: tuple[str, ...]
    context: dict[str, Any]
    revision: str
    created_at: str
    html: str  # the template rendered with the context
    profile_id: str | None = None


@dataclass
class Job:
    """An asynchronous job (campaign send, recipient estimation, suppression).

    The sandbox does the work at once; ``polled`` lets the first answer say ``queued`` and
    later reads say the final ``status``, as a client polling Klaviyo would see.
    """

    id: str
    kind: str
    status: str
    created_at: str
    completed_at: str | None = None
    total_count: int = 0
    completed_count: int = 0
    skipped_count: int = 0
    list_ids: list[str] = field(default_factory=list)
    segment_ids: list[str] = field(default_factory=list)
    profile_ids: list[str] = field(default_factory=list)  # what a profile import created/updated
