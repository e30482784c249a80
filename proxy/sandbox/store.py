"""All sandbox state for the single demo account, plus helpers tests use to seed and inspect it.

Handlers run synchronously on the event loop and never await while mutating, so one asyncio
loop needs no locking.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from proxy.sandbox.ids import Clock, IdFactory, iso, utc_now
from proxy.sandbox.models import (
    IDENTIFIERS,
    Campaign,
    CampaignMessage,
    Event,
    Job,
    ListRecord,
    Metric,
    PendingConfirmation,
    PreviewSend,
    Profile,
    Segment,
    Template,
)

API_INTEGRATION = {"object": "integration", "id": "0rG4eQ", "name": "API", "category": "API"}


def _identity_key(field: str, value: str) -> tuple[str, str]:
    return field, value.strip().lower() if field == "email" else value.strip()


class Store:
    """In-memory state of the demo account."""

    def __init__(
        self, *, clock: Clock | None = None, seed: int | None = None, enforce_rate_limits: bool = False
    ) -> None:
        self.clock: Clock = clock or utc_now
        # Answer 429 beyond the lower limits some parameters bring (``limits.PARAM_LIMITS``);
        # off by default so test suites are not slowed down; the limits are always echoed.
        self.enforce_rate_limits = enforce_rate_limits
        self.ids = IdFactory(self.clock, seed)
        self.profiles: dict[str, Profile] = {}
        self.metrics: dict[str, Metric] = {}
        self.events: dict[str, Event] = {}
        self.lists: dict[str, ListRecord] = {}
        self.segments: dict[str, Segment] = {}
        self.templates: dict[str, Template] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.campaign_messages: dict[str, CampaignMessage] = {}
        self.pending_confirmations: list[PendingConfirmation] = []
        self.jobs: dict[tuple[str, str], Job] = {}  # (kind, id) -> job
        # Template preview sends (beta), in order: what a test may check was "sent".
        self.preview_sends: list[PreviewSend] = []
        self.event_keys: set[tuple[str, str, str]] = set()  # (metric, profile, unique_id) seen
        self._identity: dict[tuple[str, str], str] = {}
        self._identity_of: dict[str, set[tuple[str, str]]] = {}
        self._exchange: dict[str, str] = {}

    def now(self) -> str:
        return iso(self.clock())

    # ---- profiles ---------------------------------------------------------------------------

    def new_profile(self) -> Profile:
        stamp = self.now()
        profile = Profile(id=self.ids.ulid(), created=stamp, updated=stamp)
        self.profiles[profile.id] = profile
        self._exchange[self.exchange_id(profile.id)] = profile.id
        return profile

    def exchange_id(self, profile_id: str) -> str:
        """The profile's ``_kx`` (exchange id): derived from its id, so stable and predictable."""
        digest = hashlib.sha256(f"kx:{profile_id}".encode()).hexdigest()
        return f"kx_{digest[:40]}"

    def profile_by_exchange_id(self, kx: str) -> Profile | None:
        profile_id = self._exchange.get(kx)
        return self.profiles.get(profile_id) if profile_id else None

    def find_profile(self, field: str, value: str) -> Profile | None:
        """The profile whose ``field`` (email, phone_number, external_id, anonymous_id) is ``value``."""
        profile_id = self._identity.get(_identity_key(field, value))
        return self.profiles.get(profile_id) if profile_id else None

    def find_by_email(self, email: str) -> Profile | None:
        return self.find_profile("email", email)

    def owner_of(self, field: str, value: str | None, *, other_than: str | None = None) -> str | None:
        """Id of a profile other than ``other_than`` that already holds this identifier."""
        if not value:
            return None
        owner = self._identity.get(_identity_key(field, value))
        return owner if owner and owner != other_than else None

    def reindex(self, profile: Profile) -> None:
        """Refresh identifier indexes after ``profile``'s identifiers changed."""
        for key in self._identity_of.pop(profile.id, set()):
            if self._identity.get(key) == profile.id:
                del self._identity[key]
        keys = {_identity_key(f, profile.attributes[f]) for f in IDENTIFIERS if profile.attributes.get(f)}
        if profile.anonymous_id:
            keys.add(_identity_key("anonymous_id", profile.anonymous_id))
        for key in keys:
            self._identity[key] = profile.id
        self._identity_of[profile.id] = keys

    def delete_profile(self, profile_id: str) -> None:
        """Remove a profile and everything that refers to it (events, memberships, confirmations)."""
        profile = self.profiles.pop(profile_id, None)
        if profile is None:
            return
        for key in self._identity_of.pop(profile_id, set()):
            if self._identity.get(key) == profile_id:
                del self._identity[key]
        self._exchange.pop(self.exchange_id(profile_id), None)
        self.events = {k: e for k, e in self.events.items() if e.profile_id != profile_id}
        self.event_keys = {key for key in self.event_keys if key[1] != profile_id}
        for group in (*self.lists.values(), *self.segments.values()):
            group.members.pop(profile_id, None)
        self.pending_confirmations = [p for p in self.pending_confirmations if p.profile_id != profile_id]

    # ---- metrics ----------------------------------------------------------------------------

    def metric_named(self, name: str) -> Metric:
        """The metric called ``name``, created on first use (as event ingestion does)."""
        for metric in self.metrics.values():
            if metric.name == name:
                return metric
        stamp = self.now()
        metric = Metric(self.ids.short(), name, stamp, stamp, dict(API_INTEGRATION))
        self.metrics[metric.id] = metric
        return metric

    # ---- lists, segments, subscriptions -----------------------------------------------------

    def add_list(self, name: str, opt_in_process: str = "double_opt_in") -> ListRecord:
        stamp = self.now()
        record = ListRecord(self.ids.short(), name, stamp, stamp, opt_in_process=opt_in_process)
        self.lists[record.id] = record
        return record

    def add_segment(self, name: str, profile_ids: Iterable[str] = ()) -> str:
        """Seed a segment (the API cannot create one here); returns its id."""
        stamp = self.now()
        segment = Segment(self.ids.short(), name, stamp, stamp)
        for profile_id in profile_ids:
            if profile_id not in self.profiles:
                raise KeyError(f"no profile {profile_id}")
            segment.members[profile_id] = stamp
        self.segments[segment.id] = segment
        return segment.id

    def join(self, group: ListRecord | Segment, profile_ids: Iterable[str]) -> None:
        stamp = self.now()
        for profile_id in profile_ids:
            group.members.setdefault(profile_id, stamp)

    def pending_for(self, address: str) -> list[PendingConfirmation]:
        wanted = address.strip().lower()
        return [p for p in self.pending_confirmations if p.address.lower() == wanted]

    def confirm(self, address: str, list_id: str | None = None) -> list[str]:
        """Act as the profile clicking the double opt-in link sent to ``address`` (email or phone).

        Joins every pending list (or only ``list_id``), marks consent SUBSCRIBED with
        ``double_optin`` true, and returns the ids of the lists joined.
        """
        joined: list[str] = []
        for pending in self.pending_for(address):
            if list_id is not None and pending.list_id != list_id:
                continue
            self.pending_confirmations.remove(pending)
            profile = self.profiles.get(pending.profile_id)
            record = self.lists.get(pending.list_id)
            if profile is None or record is None:
                continue
            consent = profile.email_marketing if pending.channel == "email" else profile.sms_marketing
            stamp = self.now()
            consent.consent, consent.consent_timestamp, consent.last_updated = "SUBSCRIBED", stamp, stamp
            consent.method, consent.custom_method_detail = "API", pending.custom_source
            consent.double_optin = True
            if pending.channel == "email":
                profile.suppressions.clear()
                profile.list_suppressions[:] = [
                    s for s in profile.list_suppressions if s.get("list_id") != record.id
                ]
            self.join(record, [profile.id])
            joined.append(record.id)
        return joined

    # ---- templates --------------------------------------------------------------------------

    def add_template(
        self,
        name: str,
        html: str,
        *,
        editor_type: str = "CODE",
        text: str | None = None,
        reusable: bool = True,
    ) -> Template:
        stamp = self.now()
        template = Template(self.ids.short(), name, editor_type, html, text, None, stamp, stamp, reusable)
        self.templates[template.id] = template
        return template
