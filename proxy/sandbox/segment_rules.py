"""Segment definitions (the spec's ``SegmentDefinition``): checking them and computing membership.

A definition is a list of condition groups; a profile is a member when it satisfies *every*
group, and a group when *any* of its conditions holds. Supported condition types:

* ``profile-group-membership``: member (``is_member: true``) of any of ``group_ids`` (lists or
  segments), optionally joined within ``timeframe_filter``; or of none of them (``false``);
* ``profile-property``: a well-known attribute (``email``, ``first_name``, ``city``...) or a
  custom one (``properties['name']``) against a string, string-array, numeric, boolean,
  existence, list or date filter;
* ``profile-metric``: the count (or summed ``$value``) of the profile's events of a metric in a
  timeframe, compared with a numeric filter (``metric_filters`` are not supported);
* ``profile-marketing-consent``: email / SMS ``can_receive_marketing`` true or false, with the
  ``consent_status.subscription`` (``any``, ``subscribed``, ``unsubscribed``, ``never_subscribed``;
  no ``filters``).

Anything else is answered 400 ("not supported by the sandbox"), so a test never silently builds
an audience the sandbox cannot compute. Membership is recomputed from the store on every request
(``refresh``), keeping each member's ``joined_group_at`` while it stays in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from proxy.sandbox.errors import ApiError, invalid
from proxy.sandbox.ids import parse_iso
from proxy.sandbox.models import LOCATION_FIELDS, PROFILE_FIELDS, Profile, Segment
from proxy.sandbox.store import Store

CUSTOM_PROPERTY = re.compile(r"""^properties\[(['"])(?P<name>.+)\1\]$""")
UNITS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
STRING_OPS = (
    "contains",
    "ends-with",
    "equals",
    "not-contains",
    "not-ends-with",
    "not-equals",
    "not-starts-with",
    "nregex",
    "regex",
    "starts-with",
)
NUMERIC_OPS = (
    "equals",
    "greater-than",
    "greater-than-or-equal",
    "less-than",
    "less-than-or-equal",
    "not-equals",
)
DATE_OPS = (
    "after",
    "before",
    "between-static",
    "in-the-last",
    "at-least",
    "in-the-next",
    "between",
    "alltime",
)
LIST_OPS = (
    "contains",
    "not-contains",
    "length-equals",
    "length-greater-than",
    "length-greater-than-or-equal",
    "length-less-than",
    "length-less-than-or-equal",
)
SUBSCRIPTIONS = {
    "any": None,
    "subscribed": "SUBSCRIBED",
    "unsubscribed": "UNSUBSCRIBED",
    "never_subscribed": "NEVER_SUBSCRIBED",
}
MAX_DEPTH = 8  # segments of segments


def unsupported(what: str, pointer: str) -> ApiError:
    return invalid(f"{what} is not supported by the sandbox.", pointer=pointer)


# --------------------------------------------------------------------------- checking


def _need(node: Mapping[str, Any], name: str, pointer: str) -> Any:
    if name not in node:
        raise invalid(f"'{name}' is required.", pointer=f"{pointer}/{name}")
    return node[name]


def _obj(value: Any, pointer: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid("Expected an object.", pointer=pointer)
    return value


def _check_filter(value: Any, pointer: str, *, dates_only: bool = False) -> None:
    node = _obj(value, pointer)
    kind, op = _need(node, "type", pointer), _need(node, "operator", pointer)
    known = {
        "date": DATE_OPS,
        "string": (*STRING_OPS, "in", "not-in"),
        "numeric": NUMERIC_OPS,
        "boolean": ("equals",),
        "existence": ("is-set", "not-set"),
        "list": LIST_OPS,
    }
    if dates_only and kind != "date":
        raise invalid(f"'{kind}' is not a date filter.", pointer=f"{pointer}/type")
    if kind not in known:
        raise invalid(f"'{kind}' is not a valid filter type.", pointer=f"{pointer}/type")
    if op not in known[kind]:
        raise unsupported(f"Operator '{op}' for a {kind} filter", f"{pointer}/operator")
    needs = {"between-static": ("start", "end"), "between": ("start", "end", "unit"), "alltime": ()}
    if kind == "date":
        for name in needs.get(op, ("date",) if op in ("after", "before") else ("unit", "quantity")):
            _need(node, name, pointer)
    elif kind != "existence":
        value = _need(node, "value", pointer)
        if op in ("regex", "nregex"):
            try:
                re.compile(str(value))
            except re.error:
                raise invalid(
                    f"'{value}' is not a valid regular expression.", pointer=f"{pointer}/value"
                ) from None


def _check_condition(condition: Any, pointer: str) -> None:
    node = _obj(condition, pointer)
    kind = _need(node, "type", pointer)
    if kind == "profile-group-membership":
        if not isinstance(_need(node, "is_member", pointer), bool):
            raise invalid("'is_member' must be a boolean.", pointer=f"{pointer}/is_member")
        ids = _need(node, "group_ids", pointer)
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid(
                "'group_ids' must be a list of list or segment ids.", pointer=f"{pointer}/group_ids"
            )
        if node.get("timeframe_filter") is not None:
            _check_filter(node["timeframe_filter"], f"{pointer}/timeframe_filter", dates_only=True)
    elif kind == "profile-property":
        if not isinstance(_need(node, "property", pointer), str):
            raise invalid("'property' must be a string.", pointer=f"{pointer}/property")
        _check_filter(_need(node, "filter", pointer), f"{pointer}/filter")
    elif kind == "profile-metric":
        _need(node, "metric_id", pointer)
        if _need(node, "measurement", pointer) not in ("count", "sum"):
            raise invalid("'measurement' must be 'count' or 'sum'.", pointer=f"{pointer}/measurement")
        _check_filter(_need(node, "measurement_filter", pointer), f"{pointer}/measurement_filter")
        _check_filter(
            _need(node, "timeframe_filter", pointer), f"{pointer}/timeframe_filter", dates_only=True
        )
        if node.get("metric_filters"):
            raise unsupported("'metric_filters'", f"{pointer}/metric_filters")
    elif kind == "profile-marketing-consent":
        consent = _obj(_need(node, "consent", pointer), f"{pointer}/consent")
        if _need(consent, "channel", f"{pointer}/consent") not in ("email", "sms"):
            raise unsupported(f"Consent channel '{consent['channel']}'", f"{pointer}/consent/channel")
        if not isinstance(_need(consent, "can_receive_marketing", f"{pointer}/consent"), bool):
            raise invalid("'can_receive_marketing' must be a boolean.", pointer=f"{pointer}/consent")
        status = _obj(
            _need(consent, "consent_status", f"{pointer}/consent"), f"{pointer}/consent/consent_status"
        )
        where = f"{pointer}/consent/consent_status"
        if _need(status, "subscription", where) not in SUBSCRIPTIONS:
            raise invalid(
                f"'{status['subscription']}' is not a valid subscription.", pointer=f"{where}/subscription"
            )
        if status.get("filters"):
            raise unsupported("Consent status 'filters'", f"{where}/filters")
    else:
        raise unsupported(f"Condition type '{kind}'", f"{pointer}/type")


def check_definition(definition: Any, pointer: str = "/data/attributes/definition") -> dict[str, Any]:
    """``definition`` if the sandbox can evaluate it; else a 400 ``ApiError`` pointing at the problem."""
    node = _obj(definition, pointer)
    groups = _need(node, "condition_groups", pointer)
    if not isinstance(groups, list):
        raise invalid("'condition_groups' must be a list.", pointer=f"{pointer}/condition_groups")
    for g, group in enumerate(groups):
        where = f"{pointer}/condition_groups/{g}"
        conditions = _need(_obj(group, where), "conditions", where)
        if not isinstance(conditions, list) or not conditions:
            raise invalid("'conditions' must be a non-empty list.", pointer=f"{where}/conditions")
        for c, condition in enumerate(conditions):
            _check_condition(condition, f"{where}/conditions/{c}")
    return node


# --------------------------------------------------------------------------- evaluating


def _in_timeframe(moment: datetime | None, node: Mapping[str, Any], now: datetime) -> bool:
    """A date filter (static, relative or all time) applied to ``moment``."""
    if moment is None:
        return False
    op = node["operator"]
    if op == "alltime":
        return True
    if op in ("after", "before"):
        bound = parse_iso(str(node["date"]))
        return bound is not None and (moment > bound if op == "after" else moment < bound)
    if op == "between-static":
        start, end = parse_iso(str(node["start"])), parse_iso(str(node["end"]))
        return start is not None and end is not None and start <= moment <= end
    unit = UNITS.get(str(node.get("unit")), UNITS["day"])
    if op == "between":
        return now - int(node["end"]) * unit <= moment <= now - int(node["start"]) * unit
    span = int(node.get("quantity", 0)) * unit
    if op == "in-the-last":
        return now - span <= moment <= now
    if op == "at-least":
        return moment <= now - span
    if op == "in-the-next":
        return now <= moment <= now + span
    return False  # anniversaries: not evaluated


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if not (_is_number(actual) and _is_number(expected)):
        return False
    return bool(
        {
            "equals": actual == expected,
            "not-equals": actual != expected,
            "greater-than": actual > expected,
            "greater-than-or-equal": actual >= expected,
            "less-than": actual < expected,
            "less-than-or-equal": actual <= expected,
        }[op]
    )


def _string(actual: Any, op: str, expected: Any) -> bool:
    if op in ("in", "not-in"):
        found = isinstance(actual, str) and actual in (expected or [])
        return found if op == "in" else not found
    negated = op.startswith("not-") or op == "nregex"
    if not isinstance(actual, str) or not isinstance(expected, str):
        return negated and expected is not None
    text, wanted = actual.lower(), expected.lower()
    positive = {
        "equals": text == wanted,
        "contains": wanted in text,
        "starts-with": text.startswith(wanted),
        "ends-with": text.endswith(wanted),
        "regex": re.search(expected, actual) is not None,
    }[op.removeprefix("not-") if op != "nregex" else "regex"]
    return not positive if negated else positive


def _list(actual: Any, op: str, expected: Any) -> bool:
    items = actual if isinstance(actual, list) else []
    if op in ("contains", "not-contains"):
        return (expected in items) == (op == "contains")
    return _compare(len(items), op.removeprefix("length-"), expected)


def _filter_holds(actual: Any, node: Mapping[str, Any], now: datetime) -> bool:
    kind, op = node["type"], node["operator"]
    if kind == "existence":
        present = actual is not None and actual != ""
        return present if op == "is-set" else not present
    if kind == "string":
        return _string(actual, op, node.get("value"))
    if kind == "numeric":
        return _compare(actual, op, node.get("value"))
    if kind == "boolean":
        return isinstance(actual, bool) and actual == node.get("value")
    if kind == "list":
        return _list(actual, op, node.get("value"))
    moment = parse_iso(actual) if isinstance(actual, str) else None
    return _in_timeframe(moment, node, now)


def property_value(profile: Profile, name: str) -> Any:
    """A profile property by the segment builder's name: an attribute or ``properties['x']``."""
    custom = CUSTOM_PROPERTY.match(name)
    if custom:
        return profile.properties.get(custom.group("name"))
    if name in PROFILE_FIELDS:
        return profile.attributes.get(name)
    if name in LOCATION_FIELDS:
        return profile.location.get(name)
    if name in ("created", "updated", "last_event_date"):
        return getattr(profile, name)
    return profile.properties.get(name)


class Evaluator:
    """Membership of defined segments, computed from one store (segments of segments included)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.now = store.clock()
        self._done: dict[str, set[str]] = {}

    def members(self, segment: Segment, depth: int = 0) -> set[str]:
        if segment.definition is None or not segment.is_active or depth > MAX_DEPTH:
            return set(segment.members)  # fixed (seeded), frozen (inactive) or too deep
        if segment.id not in self._done:
            self._done[segment.id] = set()  # a cycle reads as "no members yet"
            groups = segment.definition["condition_groups"]
            found = {
                pid
                for pid, profile in self.store.profiles.items()
                if all(any(self._holds(c, profile, depth) for c in g["conditions"]) for g in groups)
            }
            self._done[segment.id] = found if groups else set()
        return self._done[segment.id]

    def _group(self, group_id: str, depth: int) -> dict[str, str]:
        """Member id -> joined_group_at of a list, or of a segment (recomputed first)."""
        if group_id in self.store.lists:
            return self.store.lists[group_id].members
        segment = self.store.segments.get(group_id)
        if segment is None:
            return {}
        current = self.members(segment, depth + 1)
        return {pid: segment.members.get(pid, self.store.now()) for pid in current}

    def _holds(self, condition: Mapping[str, Any], profile: Profile, depth: int) -> bool:
        handler: Callable[[Mapping[str, Any], Profile, int], bool] = {
            "profile-group-membership": self._membership,
            "profile-property": self._property,
            "profile-metric": self._metric,
            "profile-marketing-consent": self._consent,
        }[condition["type"]]
        return handler(condition, profile, depth)

    def _membership(self, condition: Mapping[str, Any], profile: Profile, depth: int) -> bool:
        timeframe = condition.get("timeframe_filter")
        joined = [self._group(gid, depth).get(profile.id) for gid in condition["group_ids"]]
        inside = any(
            stamp is not None and (timeframe is None or _in_timeframe(parse_iso(stamp), timeframe, self.now))
            for stamp in joined
        )
        return inside if condition["is_member"] else not any(stamp is not None for stamp in joined)

    def _property(self, condition: Mapping[str, Any], profile: Profile, depth: int) -> bool:
        actual = property_value(profile, str(condition["property"]))
        return _filter_holds(actual, condition["filter"], self.now)

    def _metric(self, condition: Mapping[str, Any], profile: Profile, depth: int) -> bool:
        timeframe = condition["timeframe_filter"]
        events = [
            e
            for e in self.store.events.values()
            if e.profile_id == profile.id
            and e.metric_id == condition["metric_id"]
            and _in_timeframe(parse_iso(e.datetime), timeframe, self.now)
        ]
        if condition["measurement"] == "count":
            measured: float = len(events)
        else:
            measured = sum(_number(e.event_properties.get("$value")) for e in events)
        measure = condition["measurement_filter"]
        return _compare(measured, measure["operator"], measure.get("value"))

    def _consent(self, condition: Mapping[str, Any], profile: Profile, depth: int) -> bool:
        consent = condition["consent"]
        state = profile.email_marketing if consent["channel"] == "email" else profile.sms_marketing
        reachable = state.consent == "SUBSCRIBED" and not (
            consent["channel"] == "email" and profile.suppressions
        )
        wanted = SUBSCRIPTIONS[consent["consent_status"]["subscription"]]
        return reachable == consent["can_receive_marketing"] and wanted in (None, state.consent)


def _number(value: Any) -> float:
    return float(value) if _is_number(value) else 0.0


def refresh(store: Store) -> None:
    """Recompute every defined segment's members; a member keeps its ``joined_group_at``."""
    evaluator = Evaluator(store)
    stamp = store.now()
    for segment in store.segments.values():
        if segment.definition is None or not segment.is_active:
            continue
        current = evaluator.members(segment)
        kept = {pid: joined for pid, joined in segment.members.items() if pid in current}
        joining = {pid: stamp for pid in store.profiles if pid in current and pid not in kept}
        segment.members = kept | joining
