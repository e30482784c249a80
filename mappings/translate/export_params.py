"""D4 metric export: legacy query parameters -> a validated ``ExportQuery`` (legacy-endpoints.md D4).

Legacy parameters and how each is honoured (new-api-mapping.md §2 D4, §6 #5):

* ``start_date`` / ``end_date``: ``YYYY-MM-DD`` or 10-digit UNIX seconds (the UTC day);
  end inclusive; at most 31 days apart; defaults: the last 30 days up to today (UTC).
* ``unit``: ``day`` (default) | ``week`` | ``month``.
* ``measurement``: ``count`` (default) | ``unique`` | ``value``; ``["sum", "<property>"]``
  has no new-API equivalent: 400 naming the limitation.
* ``where`` (one ``[prop, "=", value]`` condition) and ``by`` (mutually exclusive): only the
  dimensions query_metric_aggregates supports; anything else is a 400.
* ``count``: number of segments, 1..1000, default 25.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from mappings.core import LegacyRequest
from mappings.translate import json_text
from mappings.translate.numbers import ascii_digits

# query_metric_aggregates ``by`` enum of the pinned spec: the only properties the new API
# can segment or filter a metric export on.
DIMENSIONS: Final = frozenset(
    {
        "$attributed_channel", "$attributed_flow", "$attributed_message", "$attributed_variation",
        "$campaign_channel", "$flow", "$flow_channel", "$message", "$message_send_cohort",
        "$usage_amount", "$value_currency", "$variation", "$variation_send_cohort", "Bot Click",
        "Bounce Type", "Campaign Name", "Client Canonical", "Client Name", "Client Type",
        "Email Domain", "Failure Source", "Failure Type", "From Number", "From Phone Region",
        "Inbox Provider", "List", "Message Format", "Message Name", "Message Type", "Method",
        "Segment Count", "Subject", "To Number", "To Phone Region", "URL", "form_id",
    }
)  # fmt: skip
UNITS: Final = ("day", "week", "month")
MEASUREMENTS: Final = {"count": "count", "unique": "unique", "value": "sum_value"}
MAX_DAYS: Final = 31
DEFAULT_DAYS: Final = 30
DEFAULT_SEGMENTS: Final = 25
MAX_SEGMENTS: Final = 1000
SUM_UNSUPPORTED: Final = (
    'measurement ["sum", "<property>"] is not supported by the new Klaviyo API: metric aggregates '
    "can only count events, count unique profiles or sum the event value. Use measurement=value "
    "for the sum of $value, or sum the property over GET /api/events "
    "(https://developers.klaviyo.com/en/reference/get_events)."
)


class BadExport(ValueError):
    """Invalid or untranslatable export parameters; the message is client-facing."""


@dataclass(frozen=True)
class ExportQuery:
    start: date
    end: date  # inclusive
    unit: str
    measurement: str  # legacy spelling, echoed back
    where: list[list[Any]] | None = None
    by: str | None = None
    count: int = DEFAULT_SEGMENTS

    @property
    def aggregate(self) -> str:
        """The new-API measurement key."""
        return MEASUREMENTS[self.measurement]


def _day(name: str, raw: Any) -> date:
    text = str(raw).strip()
    try:
        if ascii_digits(text):
            return datetime.fromtimestamp(int(text), tz=UTC).date()
        return date.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise BadExport(f"Invalid {name} {raw!r}: use YYYY-MM-DD or a 10-digit UNIX timestamp.") from None


def _window(req: LegacyRequest, today: date) -> tuple[date, date]:
    raw_start, raw_end = req.get("start_date"), req.get("end_date")
    start = None if raw_start in (None, "") else _day("start_date", raw_start)
    end = None if raw_end in (None, "") else _day("end_date", raw_end)
    span = timedelta(days=DEFAULT_DAYS)
    if start is None and end is None:
        end = today
    if start is None:
        assert end is not None
        start = end - span
    if end is None:
        end = min(max(today, start), start + span)
    if end < start:
        raise BadExport("end_date must not be before start_date.")
    if (end - start).days > MAX_DAYS:
        raise BadExport(f"end_date must be at most {MAX_DAYS} days after start_date.")
    return start, end


def _json_list(name: str, values: Sequence[Any]) -> Any:
    """A parameter that may be a JSON list, a JSON-list string or repeated parameters."""
    if len(values) > 1:
        return list(values)
    value = values[0]
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            return json_text.loads(value)
        except ValueError:
            raise BadExport(f"Invalid {name} {value!r}: not valid JSON.") from None
    return value


def _measurement(req: LegacyRequest) -> str:
    values = req.get_all("measurement")
    if not values or values[-1] == "":
        return "count"
    value = _json_list("measurement", values)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        value = value.strip().lower()
    if isinstance(value, list) or value == "sum":
        raise BadExport(SUM_UNSUPPORTED)
    if not isinstance(value, str) or value not in MEASUREMENTS:
        raise BadExport(f"Invalid measurement {value!r}: use count, unique or value.")
    return value


def _dimension(name: str, prop: Any) -> str:
    if not isinstance(prop, str) or prop not in DIMENSIONS:
        raise BadExport(
            f"{name} on {prop!r} is not supported by the new Klaviyo API: metric aggregates can only "
            f"{'segment' if name == 'by' else 'filter'} on these properties: {', '.join(sorted(DIMENSIONS))}."
        )
    return prop


def _where(req: LegacyRequest) -> list[list[Any]] | None:
    values = req.get_all("where")
    if not values or values[-1] == "":
        return None
    value = _json_list("where", values)
    if value == []:
        return None
    if not (
        isinstance(value, list) and len(value) == 1 and isinstance(value[0], list) and len(value[0]) == 3
    ):
        raise BadExport(
            'Invalid where: use a JSON list with one condition, e.g. [["$attributed_flow","=","ID"]].'
        )
    prop, operator, operand = value[0]
    if operator != "=":
        raise BadExport(f"Invalid where operator {operator!r}: only = is supported.")
    if operand is None or isinstance(operand, list | dict):
        raise BadExport(f"Invalid where value {operand!r}: use a string or a number.")
    return [[_dimension("where", prop), operator, operand]]


def _count(raw: Any) -> int:
    if raw in (None, ""):
        return DEFAULT_SEGMENTS
    text = str(raw).strip() if not isinstance(raw, bool) else ""
    if not ascii_digits(text) or not 1 <= int(text) <= MAX_SEGMENTS:
        raise BadExport(f"Invalid count {raw!r}: count must be an integer between 1 and {MAX_SEGMENTS}.")
    return int(text)


def parse_export(req: LegacyRequest, today: date) -> ExportQuery:
    """Validate every D4 parameter (``today`` is the UTC date); raises ``BadExport``."""
    start, end = _window(req, today)
    unit = req.get("unit")
    unit = "day" if unit in (None, "") else str(unit).strip().lower()
    if unit not in UNITS:
        raise BadExport(f"Invalid unit {req.get('unit')!r}: use day, week or month.")
    measurement = _measurement(req)
    where = _where(req)
    by = req.get("by")
    by = None if by in (None, "") else _dimension("by", by)
    if where is not None and by is not None:
        raise BadExport("where and by cannot be used together.")
    return ExportQuery(start, end, unit, measurement, where, by, _count(req.get("count")))
