"""Membership checks by identifier (§2 F7, F8, F10, F11, F14; S1-S3), as pure functions.

Legacy bodies name profiles by ``emails``, ``phone_numbers`` and ``push_tokens``. The new
API looks them up with ``GET /api/{lists|segments}/{id}/profiles?filter=any(<field>,[...])``;
several filters would be AND-ed, so every identifier kind gets its own calls.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mappings.core import Call, Gather, Reply, Step
from mappings.translate.datetimes import v2_datetime

BATCH: Final = 100  # values per any(...) filter; also the profiles page ceiling
GATHER_GROUP: Final = 25  # concurrent calls per Gather
CHECK_LIMIT: Final = 100  # legacy membership checks: at most 100 values per kind
WRITE_LIMIT: Final = 1000  # legacy removals: at most 1000 values per kind
MEMBER_FIELDS: Final = "email,phone_number,joined_group_at"


class BadIdentifiers(ValueError):
    """Identifiers the legacy API would reject; the message is client-facing."""


@dataclass(frozen=True)
class Kind:
    """One identifier kind: the legacy parameter names (first is canonical) and the profile field."""

    params: tuple[str, ...]
    field: str

    @property
    def label(self) -> str:
        return self.params[0]


EMAILS: Final = Kind(("emails",), "email")
PHONE_NUMBERS: Final = Kind(("phone_numbers",), "phone_number")
PUSH_TOKENS: Final = Kind(("push_tokens",), "push_token")
KINDS: Final = (EMAILS, PHONE_NUMBERS, PUSH_TOKENS)
# v1 S3 sends one comma-joined ``email`` parameter.
V1_EMAIL: Final = Kind(("email", "emails"), "email")

Identifiers = tuple[tuple[Kind, tuple[str, ...]], ...]


def _strings(raw: Any, label: str) -> list[str]:
    """One parameter value -> identifier strings (JSON list, or a string maybe comma-joined)."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        out: list[str] = []
        for item in raw:
            if item is None:
                continue
            if not isinstance(item, str):
                raise BadIdentifiers(f"'{label}' must be a list of strings.")
            if item.strip():
                out.append(item.strip())
        return out
    raise BadIdentifiers(f"'{label}' must be a list of strings.")


def parse_identifiers(
    params: Mapping[str, Sequence[Any]], kinds: Sequence[Kind] = KINDS, limit: int = CHECK_LIMIT
) -> Identifiers:
    """Identifier values per kind, each once, in arrival order; raises ``BadIdentifiers``.

    Accepts JSON lists, repeated query/form parameters, PHP ``emails[]`` and comma-joined strings.
    """
    found: list[tuple[Kind, tuple[str, ...]]] = []
    for kind in kinds:
        values: dict[str, None] = {}
        for name in kind.params:
            for spelled in (name, name + "[]"):
                for raw in params.get(spelled, []):
                    values.update(dict.fromkeys(_strings(raw, kind.label)))
        if len(values) > limit:
            raise BadIdentifiers(f"At most {limit} values can be given in '{kind.label}'.")
        if values:
            found.append((kind, tuple(values)))
    if not found:
        names = ", ".join(k.label for k in kinds)
        raise BadIdentifiers(f"Provide at least one identifier ({names}).")
    return tuple(found)


def any_filter(field: str, values: Sequence[str]) -> str:
    """``any(field,["a","b"])``; strings JSON-quoted, non-ASCII kept as is."""
    return f"any({field},{json.dumps(list(values), separators=(',', ':'), ensure_ascii=False)})"


@dataclass(frozen=True)
class Lookup:
    """One upstream lookup: the identifiers it asks for and the call."""

    kind: Kind
    values: tuple[str, ...]
    call: Call


def lookups(
    op: str,
    group_id: str,
    identifiers: Identifiers,
    fields: str = MEMBER_FIELDS,
    subscriptions: bool = False,
    per_push_token: bool = False,
) -> list[Lookup]:
    """Lookup calls: batches of 100 values per kind (one call per push token when asked).

    Profiles carry no push token field, so a check that must echo the token asks for one
    token per call.
    """
    out: list[Lookup] = []
    for kind, values in identifiers:
        size = 1 if per_push_token and kind is PUSH_TOKENS else BATCH
        for at in range(0, len(values), size):
            batch = values[at : at + size]
            query = {
                "filter": any_filter(kind.field, batch),
                "fields[profile]": fields + (",subscriptions" if subscriptions else ""),
                "page[size]": str(BATCH),
            }
            if subscriptions:
                query["additional-fields[profile]"] = "subscriptions"
            call = Call(op, path_params={"id": group_id}, query=query, expect=(200,))
            out.append(Lookup(kind, batch, call))
    return out


@dataclass(frozen=True)
class Match:
    """A member found by a lookup; ``value`` is the requested identifier when it is known."""

    kind: Kind
    value: str | None
    profile: Mapping[str, Any]

    @property
    def profile_id(self) -> str | None:
        ident = self.profile.get("id")
        return ident if isinstance(ident, str) else None

    @property
    def attributes(self) -> Mapping[str, Any]:
        attrs = self.profile.get("attributes")
        return attrs if isinstance(attrs, Mapping) else {}


def _resources(reply: Reply) -> list[Mapping[str, Any]]:
    body = reply.body if isinstance(reply.body, Mapping) else {}
    data = body.get("data")
    return [r for r in data if isinstance(r, Mapping)] if isinstance(data, list) else []


def matches(planned: Sequence[Lookup], replies: Sequence[Reply]) -> list[Match]:
    out: list[Match] = []
    for lookup, reply in zip(planned, replies, strict=True):
        value = lookup.values[0] if len(lookup.values) == 1 else None
        out.extend(Match(lookup.kind, value, profile) for profile in _resources(reply))
    return out


def run_lookups(planned: Sequence[Lookup]) -> Generator[Step, Any, list[Match]]:
    """Sub-plan: the lookups, up to 25 at a time; answers the members found, in request order."""
    replies: list[Reply] = []
    for at in range(0, len(planned), GATHER_GROUP):
        group = planned[at : at + GATHER_GROUP]
        answered: list[Reply] = yield Gather(tuple(lk.call for lk in group))
        replies.extend(answered)
    return matches(planned, replies)


def membership_row(match: Match) -> dict[str, Any]:
    """Legacy check row ``{"id", "email"|"phone_number"|"push_token", "created"}``."""
    attrs = match.attributes
    # Profiles have no push token field: echo the requested token.
    shown = match.value if match.kind is PUSH_TOKENS else attrs.get(match.kind.field) or match.value
    return {
        "id": match.profile_id,
        match.kind.field: shown,
        "created": v2_datetime(attrs.get("joined_group_at")),
    }


def _path(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _entries(value: Any) -> list[Mapping[str, Any]]:
    """A suppression field: a list in this revision, a single object in older ones."""
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, Mapping)]


def email_suppressions(profile: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _entries(_path(profile, "attributes", "subscriptions", "email", "marketing", "suppression"))


def list_suppressions(profile: Mapping[str, Any], list_id: str) -> list[Mapping[str, Any]]:
    found = _entries(_path(profile, "attributes", "subscriptions", "email", "marketing", "list_suppressions"))
    return [s for s in found if s.get("list_id") == list_id]


def is_subscribed(match: Match, list_id: str) -> bool:
    """Not suppressed for the channel it was matched on (§6 item 11; missing data = not suppressed).

    Email: no global suppression and no suppression from this list. Phone: SMS marketing
    receivable. Push token: push marketing receivable.
    """
    subs = _path(match.profile, "attributes", "subscriptions")
    if match.kind is EMAILS:
        return not email_suppressions(match.profile) and not list_suppressions(match.profile, list_id)
    if match.kind is PHONE_NUMBERS:
        return _path(subs, "sms", "marketing", "can_receive_sms_marketing") is not False
    return _path(subs, "mobile_push", "marketing", "can_receive_push_marketing") is not False


def member_ids(found: Iterable[Match]) -> list[str]:
    """Distinct profile IDs, first match first."""
    seen: dict[str, None] = {}
    for match in found:
        if match.profile_id is not None:
            seen.setdefault(match.profile_id, None)
    return list(seen)


def relationship_bodies(ids: Sequence[str], size: int = 1000) -> list[dict[str, Any]]:
    """``{"data": [{"type": "profile", "id": ...}]}`` bodies of at most ``size`` IDs."""
    return [
        {"data": [{"type": "profile", "id": ident} for ident in ids[at : at + size]]}
        for at in range(0, len(ids), size)
    ]
