"""Helpers of the ``klaviyo`` 3.1.7 suite: its API classes, the call counter, answer checks."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from klaviyo.api_helper import KlaviyoAPI, KlaviyoAPIResponse
from klaviyo.campaigns import Campaigns
from klaviyo.data_privacy import DataPrivacy
from klaviyo.lists import Lists
from klaviyo.metrics import Metrics
from klaviyo.profiles import Profiles
from klaviyo.public import Public

from tests.e2e.isolated import seed_profiles
from tests.e2e.shapes import assert_timeline, unique

CLASSES: dict[str, type[KlaviyoAPI]] = {
    "Public": Public,
    "Campaigns": Campaigns,
    "DataPrivacy": DataPrivacy,
    "Lists": Lists,
    "Metrics": Metrics,
    "Profiles": Profiles,
}
CALLED: Counter[str] = Counter()  # "Class.method" -> calls made by the whole package
DAY = timedelta(days=1)


def client_methods() -> set[str]:
    """Every public method the six API classes define themselves (30 in 3.1.7)."""
    return {
        f"{name}.{method}"
        for name, cls in CLASSES.items()
        for method, fn in vars(cls).items()
        if inspect.isfunction(fn) and not method.startswith("_")
    }


def ok(result: KlaviyoAPIResponse, status: int = 200) -> Any:
    assert isinstance(result, KlaviyoAPIResponse) and result.status_code == status, vars(result)
    return result.data


def assert_json(response: Any) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.headers


def seed_segment(store: Any, size: int) -> tuple[str, list[tuple[str, str]]]:
    """A segment of ``size`` profiles (the new API cannot create segments; only the store can)."""
    members = seed_profiles(store, size, "seg")
    return store.add_segment(unique("k3 segment"), [pid for pid, _ in members]), members


def follow(fetch: Callable[..., KlaviyoAPIResponse], limit: int = 20, **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for _ in range(limit):
        envelope = ok(fetch(**params))
        events.extend(assert_timeline(envelope))
        if envelope["next"] is None:
            return events
        params = {**params, "since": envelope["next"]}
    raise AssertionError("timeline did not end")
