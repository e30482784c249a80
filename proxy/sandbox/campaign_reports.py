"""The campaign values report (``POST /api/campaign-values-reports``), computed from events.

Every statistic counts the campaign's message events in the timeframe, attributed by
``$message`` = campaign id (see ``campaign_delivery``): ``recipients`` are "Received" events,
``opens`` / ``clicks`` / ``bounced`` / ``unsubscribes`` the matching "Opened", "Clicked",
"Bounced" and "Unsubscribed" ones (``*_unique``: distinct profiles); ``delivered`` is
recipients minus bounced, and the rates are fractions of ``delivered`` (``delivery_rate`` and
``bounce_rate`` of ``recipients``). Other statistics of the spec's enum are answered 400 ("not
supported by the sandbox") rather than with invented numbers.

Rows: one per sent campaign with at least one event in the timeframe, grouped by the spec's
default ``campaign_id, campaign_message_id, send_channel`` (``campaign_message_name`` may be
added). ``filter`` supports ``equals`` / ``contains-any`` on ``campaign_id``,
``campaign_message_id`` and ``send_channel``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import Response

from proxy.sandbox import body
from proxy.sandbox.campaign_delivery import RECEIVED
from proxy.sandbox.errors import ApiError, invalid
from proxy.sandbox.filters import compile_filter, matches, rule
from proxy.sandbox.ids import parse_iso
from proxy.sandbox.jsonapi import Ctx, respond
from proxy.sandbox.models import Campaign, Event
from proxy.sandbox.operation import Handler

REPORT = "campaign-values-report"
ATTRIBUTES = "/data/attributes"
CHANNELS = ("email", "sms", "push-notification", "whatsapp")
# statistic -> (metric name per channel, unique profiles?)
COUNTED: dict[str, tuple[dict[str, str], bool]] = {
    "recipients": (RECEIVED, False),
    "opens": ({"email": "Opened Email"}, False),
    "opens_unique": ({"email": "Opened Email"}, True),
    "clicks": ({"email": "Clicked Email", "sms": "Clicked SMS"}, False),
    "clicks_unique": ({"email": "Clicked Email", "sms": "Clicked SMS"}, True),
    "bounced": ({"email": "Bounced Email"}, False),
    "unsubscribes": ({"email": "Unsubscribed", "sms": "Unsubscribed from SMS"}, False),
    "unsubscribe_uniques": ({"email": "Unsubscribed", "sms": "Unsubscribed from SMS"}, True),
}
# rate -> (numerator, denominator)
RATES = {
    "open_rate": ("opens_unique", "delivered"),
    "click_rate": ("clicks_unique", "delivered"),
    "click_to_open_rate": ("clicks_unique", "opens_unique"),
    "unsubscribe_rate": ("unsubscribe_uniques", "delivered"),
    "delivery_rate": ("delivered", "recipients"),
    "bounce_rate": ("bounced", "recipients"),
}
SUPPORTED = (*COUNTED, "delivered", *RATES)
DEFAULT_GROUPS = ("campaign_id", "campaign_message_id", "send_channel")
GROUPS = (*DEFAULT_GROUPS, "campaign_message_name")
FILTERS = {
    "campaign_id": rule("string", single="equals", many="contains-any"),
    "campaign_message_id": rule("string", single="equals", many="contains-any"),
    "send_channel": rule("string", single="equals", many="contains-any", choices=",".join(CHANNELS)),
}
DAY = timedelta(days=1)


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _keyed(key: str, now: datetime) -> tuple[datetime, datetime]:
    """A predefined timeframe (UTC stands in for the company's time zone)."""
    today = _midnight(now)
    month = today.replace(day=1)
    previous_month = (month - DAY).replace(day=1)
    week = today - timedelta(days=today.weekday())
    year = today.replace(month=1, day=1)
    spans: dict[str, Callable[[], tuple[datetime, datetime]]] = {
        "today": lambda: (today, now),
        "yesterday": lambda: (today - DAY, today),
        "this_week": lambda: (week, now),
        "last_week": lambda: (week - 7 * DAY, week),
        "this_month": lambda: (month, now),
        "last_month": lambda: (previous_month, month),
        "this_year": lambda: (year, now),
        "last_year": lambda: (year.replace(year=year.year - 1), year),
        "last_7_days": lambda: (today - 7 * DAY, today),
        "last_30_days": lambda: (today - 30 * DAY, today),
        "last_90_days": lambda: (today - 90 * DAY, today),
        "last_3_months": lambda: (today - 91 * DAY, today),
        "last_365_days": lambda: (today - 365 * DAY, today),
        "last_12_months": lambda: (today - 365 * DAY, today),
    }
    if key not in spans:
        raise invalid(f"'{key}' is not a valid timeframe key.", pointer=f"{ATTRIBUTES}/timeframe/key")
    return spans[key]()


def _timeframe(attrs: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    frame = body.obj(attrs, "timeframe", ATTRIBUTES, needed=True)
    assert frame is not None
    if "key" in frame:
        return _keyed(str(frame["key"]), now)
    where = f"{ATTRIBUTES}/timeframe"
    start_text = body.datetime_text(frame, "start", where, needed=True)
    end_text = body.datetime_text(frame, "end", where, needed=True)
    start, end = parse_iso(str(start_text)), parse_iso(str(end_text))
    assert start is not None and end is not None
    if end <= start:
        raise invalid("The timeframe's end must be after its start.", pointer=f"{where}/end")
    if end - start > 366 * DAY:
        raise invalid("The timeframe may span at most one year.", pointer=where)
    return start, end


def _statistics(attrs: dict[str, Any]) -> list[str]:
    wanted = body.string_list(attrs, "statistics", ATTRIBUTES)
    if not wanted:
        raise invalid("'statistics' must list at least one statistic.", pointer=f"{ATTRIBUTES}/statistics")
    for index, name in enumerate(wanted):
        if name not in SUPPORTED:
            raise invalid(
                f"The statistic '{name}' is not supported by the sandbox "
                f"(supported: {', '.join(SUPPORTED)}).",
                pointer=f"{ATTRIBUTES}/statistics/{index}",
            )
    return wanted


def _group_by(attrs: dict[str, Any]) -> list[str]:
    groups = body.string_list(attrs, "group_by", ATTRIBUTES)
    if groups is None:
        return list(DEFAULT_GROUPS)
    for index, name in enumerate(groups):
        if name not in GROUPS:
            raise invalid(
                f"Grouping by '{name}' is not supported by the sandbox.",
                pointer=f"{ATTRIBUTES}/group_by/{index}",
            )
    if not {"campaign_id", "campaign_message_id"} <= set(groups):
        raise invalid(
            "group_by must include campaign_id and campaign_message_id.", pointer=f"{ATTRIBUTES}/group_by"
        )
    return groups


class _Counter:
    """The campaign's attributed events, by metric name, within the timeframe."""

    def __init__(self, ctx: Ctx, campaign: Campaign, start: datetime, end: datetime) -> None:
        names = {metric.id: metric.name for metric in ctx.store.metrics.values()}
        self.by_metric: dict[str, list[Event]] = {}
        for event in ctx.store.events.values():
            moment = parse_iso(event.datetime)
            if event.event_properties.get("$message") != campaign.id or moment is None:
                continue
            if start <= moment < end:
                self.by_metric.setdefault(names.get(event.metric_id, ""), []).append(event)
        self.channel = campaign.channel

    def count(self, statistic: str) -> int:
        metrics, unique = COUNTED[statistic]
        events = self.by_metric.get(metrics.get(self.channel, ""), [])
        return len({e.profile_id for e in events}) if unique else len(events)

    def value(self, statistic: str) -> float:
        if statistic in COUNTED:
            return self.count(statistic)
        if statistic == "delivered":
            return max(self.count("recipients") - self.count("bounced"), 0)
        top, bottom = RATES[statistic]
        denominator = self.value(bottom)
        return round(self.value(top) / denominator, 4) if denominator else 0.0


def query_campaign_values(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, REPORT)
    attrs = body.attributes(data)
    statistics = _statistics(attrs)
    start, end = _timeframe(attrs, ctx.store.clock())
    if not body.string(attrs, "conversion_metric_id", ATTRIBUTES, needed=True):
        raise invalid(
            "'conversion_metric_id' may not be blank.", pointer=f"{ATTRIBUTES}/conversion_metric_id"
        )
    groups = _group_by(attrs)
    filter_text = body.string(attrs, "filter", ATTRIBUTES)
    try:
        nodes = compile_filter(filter_text, FILTERS)
    except ApiError as exc:
        raise invalid(exc.detail, pointer=f"{ATTRIBUTES}/filter") from None
    results: list[dict[str, Any]] = []
    campaigns: list[str] = []
    for campaign in ctx.store.campaigns.values():
        counter = _Counter(ctx, campaign, start, end)
        if campaign.status != "Sent" or not counter.by_metric:
            continue
        message_id = campaign.message_ids[0] if campaign.message_ids else campaign.id
        message = ctx.store.campaign_messages.get(message_id)
        row = {
            "campaign_id": campaign.id,
            "campaign_message_id": message_id,
            "send_channel": campaign.channel,
            "campaign_message_name": (message.definition.get("label") if message else None) or campaign.name,
        }
        if not matches(nodes, row.get):
            continue
        groupings = {name: row[name] for name in groups}
        results.append({"groupings": groupings, "statistics": {s: counter.value(s) for s in statistics}})
        campaigns.append(campaign.id)
    document = {
        "data": {
            "type": REPORT,
            "attributes": {"results": results},
            "relationships": {
                "campaigns": {
                    "data": [{"type": "campaign", "id": cid} for cid in campaigns],
                    "links": {
                        "self": ctx.url("/api/campaign-values-reports/relationships/campaigns"),
                        "related": ctx.url("/api/campaign-values-reports/campaigns"),
                    },
                }
            },
        },
        "links": {"self": str(ctx.request.url)},
    }
    return respond(document)


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "query_campaign_values": query_campaign_values,
}
