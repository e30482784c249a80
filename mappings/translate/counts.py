"""Whole numbers where legacy always had them: list/segment ``person_count``, campaign ``num_recipients``.

Recorded legacy traffic carried them on every list object (nested in campaigns too) and every
campaign (drafts included, as 0). The new API has them only behind rate-limited reads, so they
are ``CachedLookups``: the engine keeps the last value per account and re-reads it within a
budget (see ``proxy.state.counts``). What to read, and the budgets, are declared here:

* list / segment: GET /api/lists/{id} (or /api/segments/{id}) with
  ``additional-fields[...]=profile_count``; the spec documents 1/s and 15/min for that field, so
  the budget is 1/s and 10/min (a third left for the application's own calls);
* draft (and scheduled, sending, cancelled) campaign: GET /api/campaign-recipient-estimations/{id}
  (``estimated_recipient_count``; 10/s, 150/min documented, budget 2/s, 60/min);
* sent campaign: the campaign values report (POST /api/campaign-values-reports, statistic
  ``recipients`` over the 365 days up to tomorrow, up to 100 campaigns per report; 1/s, 2/min and
  225/day documented, budget 1/min and 150/day). The report requires a conversion metric; any
  metric of the account serves (only ``recipients`` is asked), read once with GET /api/metrics.

Never null: a count never read yet (budget spent, or lookups disabled) is 0.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Mapping, MutableMapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from mappings.core import Budget, CachedLookups, Call, Lookup, Step
from mappings.translate.campaign_objects import SENT_STATUSES

PROFILE_COUNT: Final = Budget("profile_count", per_second=1, per_minute=10)
ESTIMATION: Final = Budget("recipient_estimation", per_second=2, per_minute=60)
VALUES_REPORT: Final = Budget("campaign_values", per_second=1, per_minute=1, per_day=150)
METRICS: Final = Budget("conversion_metric", per_second=1, per_minute=5)
REPORT_BATCH: Final = 100  # the report's "max of 100 items per list filter"

AUDIENCE_COUNT_UPSTREAM: Final = ("get_list", "get_segment")
CAMPAIGN_COUNT_UPSTREAM: Final = ("get_campaign_recipient_estimation", "get_metrics", "query_campaign_values")
# Most lookups one legacy call makes: every budget's per-minute allowance (a call cannot spend more).
MAX_AUDIENCE_LOOKUPS: Final = PROFILE_COUNT.per_minute
MAX_CAMPAIGN_LOOKUPS: Final = ESTIMATION.per_minute + METRICS.per_minute + VALUES_REPORT.per_minute
CONVERSION_METRIC: Final = "conversion-metric"


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def count_of(value: Any) -> int:
    """A looked-up value as a legacy count: a whole number, 0 when unknown."""
    number = _whole(value)
    return number if number is not None and number >= 0 else 0


def audience_key(kind: str, audience_id: str) -> str:
    return f"{kind}:{audience_id}:profile_count"


def _read_profile_count(key: str) -> Any:
    def read(body: Any) -> Mapping[str, Any]:
        value = _whole(_dict(_dict(_dict(body).get("data")).get("attributes")).get("profile_count"))
        return {} if value is None else {key: value}

    return read


def audience_lookup(kind: str, audience_id: str) -> Lookup:
    """``profile_count`` of one list (``kind`` "list") or segment."""
    key = audience_key(kind, audience_id)
    call = Call(
        f"get_{kind}",
        path_params={"id": audience_id},
        query={f"additional-fields[{kind}]": "profile_count"},
        expect=(200,),
    )
    return Lookup((key,), call, _read_profile_count(key), PROFILE_COUNT)


def with_person_counts(objects: Iterable[MutableMapping[str, Any]]) -> Generator[Step, Any, None]:
    """Sub-plan: set ``person_count`` of legacy list objects (``list_type`` list/segment) in place."""
    rows = [o for o in objects if isinstance(o.get("id"), str)]
    if not rows:
        return
    wanted = dict.fromkeys((_kind(o), o["id"]) for o in rows)
    found: Mapping[str, Any] = yield CachedLookups(tuple(audience_lookup(k, i) for k, i in wanted))
    for row in rows:
        row["person_count"] = count_of(found.get(audience_key(_kind(row), row["id"])))


def _kind(legacy_list: Mapping[str, Any]) -> str:
    return "segment" if legacy_list.get("list_type") == "segment" else "list"


def recipients_key(campaign_id: str) -> str:
    return f"campaign:{campaign_id}:recipients"


def estimate_lookup(campaign_id: str) -> Lookup:
    key = recipients_key(campaign_id)

    def read(body: Any) -> Mapping[str, Any]:
        attributes = _dict(_dict(_dict(body).get("data")).get("attributes"))
        value = _whole(attributes.get("estimated_recipient_count"))
        return {} if value is None else {key: value}

    call = Call("get_campaign_recipient_estimation", path_params={"id": campaign_id}, expect=(200,))
    return Lookup((key,), call, read, ESTIMATION)


def _read_metric(body: Any) -> Mapping[str, Any]:
    data = _dict(body).get("data")
    first = data[0] if isinstance(data, list) and data else None
    ident = _dict(first).get("id")
    return {CONVERSION_METRIC: ident} if isinstance(ident, str) and ident else {}


METRIC_LOOKUP: Final = Lookup(
    (CONVERSION_METRIC,),
    Call("get_metrics", query={"fields[metric]": "name"}, expect=(200,)),
    _read_metric,
    METRICS,
)


def values_timeframe(now: datetime) -> dict[str, str]:
    """365 days ending a day after ``now``: the spec reads a custom timeframe in the company's
    time zone (offsets ignored), so the extra day keeps today's sends inside it wherever the
    company is; a predefined key ("last_12_months") would end at midnight and miss today's."""
    end = (now + timedelta(days=1)).replace(microsecond=0)
    start = end - timedelta(days=365)
    return {"start": start.isoformat(), "end": end.isoformat()}


def values_lookup(campaign_ids: Sequence[str], metric_id: str, now: datetime) -> Lookup:
    """The ``recipients`` of up to 100 sent campaigns (summed over each campaign's messages)."""
    keys = tuple(recipients_key(c) for c in campaign_ids)
    ids = json.dumps(list(campaign_ids), separators=(",", ":"))
    body = {
        "data": {
            "type": "campaign-values-report",
            "attributes": {
                "statistics": ["recipients"],
                "timeframe": values_timeframe(now),
                "conversion_metric_id": metric_id,
                "filter": f"contains-any(campaign_id,{ids})",
            },
        }
    }

    def read(reply: Any) -> Mapping[str, Any]:
        attributes = _dict(_dict(_dict(reply).get("data")).get("attributes"))
        results = attributes.get("results")
        totals = dict.fromkeys(campaign_ids, 0)  # no row: nobody received it in the timeframe
        for row in results if isinstance(results, list) else []:
            campaign_id = _dict(_dict(row).get("groupings")).get("campaign_id")
            value = _whole(_dict(_dict(row).get("statistics")).get("recipients"))
            if campaign_id in totals and value is not None:
                totals[campaign_id] += value
        return {recipients_key(c): n for c, n in totals.items()}

    call = Call("query_campaign_values", body=body, expect=(200,))
    return Lookup(keys, call, read, VALUES_REPORT)


def recipient_counts(
    campaigns: Sequence[Mapping[str, Any]], now: datetime
) -> Generator[Step, Any, dict[str, int]]:
    """Sub-plan: ``num_recipients`` by campaign ID for campaign resources (0 when unknown)."""
    ids = [c["id"] for c in campaigns if isinstance(c.get("id"), str)]
    if not ids:
        return {}
    sent = [c["id"] for c in campaigns if _dict(c.get("attributes")).get("status") in SENT_STATUSES]
    others = [i for i in ids if i not in sent]
    found: dict[str, Any] = {}
    if others:
        found.update((yield CachedLookups(tuple(estimate_lookup(i) for i in dict.fromkeys(others)))))
    if sent:
        metric: Mapping[str, Any] = yield CachedLookups((METRIC_LOOKUP,))
        metric_id = metric.get(CONVERSION_METRIC)
        unique = list(dict.fromkeys(sent))
        if isinstance(metric_id, str):
            batches = [unique[at : at + REPORT_BATCH] for at in range(0, len(unique), REPORT_BATCH)]
            found.update((yield CachedLookups(tuple(values_lookup(b, metric_id, now) for b in batches))))
    return {i: count_of(found.get(recipients_key(i))) for i in ids}
