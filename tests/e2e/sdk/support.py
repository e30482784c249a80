"""Helpers of the ``klaviyo-sdk`` suite: its operations, the call counter, answer decoding."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from swagger_client.rest import ApiException

from tests.e2e.shapes import assert_timeline

API_CLASSES = (
    "TrackIdentify",
    "Campaigns",
    "Templates",
    "Metrics",
    "Profiles",
    "ListsSegments",
    "DataPrivacy",
)
CALLED: Counter[str] = Counter()  # "Class.operation" -> calls made by the whole package
DAY = timedelta(days=1)


def sdk_operations() -> dict[str, str]:
    """operation name -> API class attribute on ``klaviyo_sdk.Client`` (47 entries)."""
    import swagger_client

    classes = {
        "TrackIdentify": swagger_client.TrackIdentifyApi,
        "Campaigns": swagger_client.CampaignsApi,
        "Templates": swagger_client.TemplatesApi,
        "Metrics": swagger_client.MetricsApi,
        "Profiles": swagger_client.ProfilesApi,
        "ListsSegments": swagger_client.ListsSegmentsApi,
        "DataPrivacy": swagger_client.DataPrivacyApi,
    }
    out = {}
    for attr, cls in classes.items():
        for name, _ in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and not name.endswith("_with_http_info"):
                out[f"{attr}.{name}"] = attr
    return out


def raw(sdk: Any, attr: str) -> tuple[int, Any]:
    """Status and decoded body of the last response an API class received."""
    last = getattr(sdk, attr).api_client.last_response
    return last.status, (json.loads(last.data) if last.data else None)


def api_error(exc: pytest.ExceptionInfo[ApiException]) -> tuple[int, Any]:
    body = exc.value.body
    return exc.value.status, json.loads(body) if body else None


def legacy_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def walk_timeline(fetch: Callable[..., Any], pages: int = 20, **params: Any) -> list[dict[str, Any]]:
    """Follow `next` (passed back as `since`) until it is null; every page legacy-shaped."""
    events: list[dict[str, Any]] = []
    for _ in range(pages):
        envelope = dict(fetch(**params))
        events.extend(assert_timeline(envelope))
        if envelope["next"] is None:
            return events
        assert isinstance(envelope["next"], str)
        params = {**params, "since": envelope["next"]}
    raise AssertionError(f"timeline did not end within {pages} pages")
