"""D4 export: the aggregate query and the legacy answer (declared in ``mappings.operations.metrics``).

D4 GET /api/v1/metric/{metric_id}/export runs on POST /api/metric-aggregates (new-api-mapping.md
§2 D4). Parameters are validated in ``mappings.translate.export_params``; this module builds the aggregate
query and turns its answer into the legacy export object.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Final

from mappings.translate.datetimes import legacy_datetime
from mappings.translate.event_objects import legacy_metric
from mappings.translate.export_params import ExportQuery
from mappings.translate.filter_terms import at, equals

EVERYONE: Final = "Everyone"  # the legacy segment name when not segmenting with `by`


def _midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def aggregate_body(metric_id: str, query: ExportQuery) -> dict[str, Any]:
    """The POST /api/metric-aggregates body: UTC day window, one measurement, optional by/where."""
    filters = [
        at("greater-or-equal", "datetime", _midnight(query.start)),
        at("less-than", "datetime", _midnight(query.end + timedelta(days=1))),
    ]
    if query.where is not None:
        prop, _, operand = query.where[0]
        filters.append(equals(prop, operand))
    attributes: dict[str, Any] = {
        "metric_id": metric_id,
        "measurements": [query.aggregate],
        "interval": query.unit,
        "filter": filters,
        "timezone": "UTC",
    }
    if query.by is not None:
        # The first `count` segments by total, in one page.
        attributes.update(by=[query.by], page_size=query.count, sort=f"-{query.aggregate}")
    return {"data": {"type": "metric-aggregate", "attributes": attributes}}


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 0.0


def _series(dates: list[str | None], values: Any) -> list[dict[str, Any]]:
    values = values if isinstance(values, list) else []
    return [
        {"date": day, "values": [_number(values[i]) if i < len(values) else 0.0]}
        for i, day in enumerate(dates)
    ]


def export_results(body: Any, query: ExportQuery) -> list[dict[str, Any]]:
    """Aggregate answer -> legacy ``results``: one ``{"segment", "data": [{"date", "values"}]}`` per row."""
    attributes = _dict(_dict(_dict(body).get("data")).get("attributes"))
    raw_dates = attributes.get("dates")
    dates = [legacy_datetime(d) if isinstance(d, str) else None for d in raw_dates or []]
    rows: list[tuple[Any, list[Any]]] = []
    for row in attributes.get("data") or []:
        row = _dict(row)
        dimensions = row.get("dimensions") if isinstance(row.get("dimensions"), list) else []
        values = _dict(row.get("measurements")).get(query.aggregate)
        rows.append((dimensions[0] if dimensions else EVERYONE, values if isinstance(values, list) else []))
    if query.by is None:
        return [{"segment": EVERYONE, "data": _series(dates, rows[0][1] if rows else [])}]
    rows.sort(key=lambda r: -sum(_number(v) for v in r[1]))  # stable: upstream order breaks ties
    return [{"segment": segment, "data": _series(dates, values)} for segment, values in rows[: query.count]]


def _legacy_day(day: date) -> str:
    return f"{day.isoformat()} 00:00:00"


def export_answer(query: ExportQuery, metric_body: Any, aggregate: Any) -> dict[str, Any]:
    """The legacy export object from the get_metric and query_metric_aggregates answers."""
    return {
        "metric": legacy_metric(_dict(_dict(metric_body).get("data"))),
        "start_date": _legacy_day(query.start),
        "end_date": _legacy_day(query.end),
        "unit": query.unit,
        "measurement": query.measurement,
        "by": query.by,
        "where": query.where,
        "results": export_results(aggregate, query),
    }
