"""The ``klaviyo`` 3.1.7 suite's private stack and shared fixtures.

The package runs on its own sandbox + proxy (``tests/e2e/isolated.py``), so the v1 collections
it lists hold only what it created; ``a.klaviyo.com`` points at that stack while it runs. The
client fixtures of ``tests/e2e/conftest.py`` (``k3``, ``new_api``) talk to it through the
``target_stack`` override, and every API method call is counted for ``test_completeness``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from klaviyo.api_helper import KlaviyoAPI

from tests.e2e import newapi
from tests.e2e.completeness import counted
from tests.e2e.harness import LoopbackNetwork, Recorder, Stack, TlsFiles
from tests.e2e.isolated import isolated_stack
from tests.e2e.klaviyo3.support import CALLED, CLASSES, DAY
from tests.e2e.shapes import unique, unique_email, wait_for_profile


@pytest.fixture(scope="package")
def own(
    upstream_recorder: Recorder, tls_material: tuple[TlsFiles, Any], loopback_network: LoopbackNetwork
) -> Iterator[Stack]:
    with isolated_stack(upstream_recorder, tls_material[0], loopback_network, source="e2e-k3") as running:
        yield running


@pytest.fixture
def target_stack(own: Stack) -> Stack:
    return own


@pytest.fixture
def k3(k3: Callable[..., Any]) -> Callable[..., Any]:
    """``k3(Lists)``: an API class on this package's stack, each of its methods counted in ``CALLED``."""

    def make(cls: type[KlaviyoAPI], public_token: str | None = None) -> Any:
        api = k3(cls, public_token)
        name = next(n for n, c in CLASSES.items() if c is cls)
        for method, fn in vars(cls).items():
            if inspect.isfunction(fn) and not method.startswith("_"):
                setattr(api, method, counted(CALLED, f"{name}.{method}", getattr(api, method)))
        return api

    return make


@pytest.fixture(scope="package")
def activity(own: Stack) -> dict[str, Any]:
    """One profile: "Paid" events at now -3/-2/-1 days ($value 5/7/11) and a "Browsed" event (-1 h)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    email = unique_email("k3.buyer")
    paid, browsed = unique("Paid"), unique("Browsed")
    with own.new_api() as client:
        for days, value in ((3, 5.0), (2, 7.0), (1, 11.0)):
            newapi.create_event(
                client, paid, email, (now - days * DAY).isoformat(), {"Order": f"O{days}"}, value
            )
        newapi.create_event(client, browsed, email, (now - timedelta(hours=1)).isoformat(), {"Page": "/k3"})
        profile_id = wait_for_profile(client, email)["id"]
        ids = newapi.profile_metric_ids(client, profile_id)
    return {"now": now, "email": email, "profile_id": profile_id, "paid": paid, "browsed": browsed,
            "paid_id": ids[paid], "browsed_id": ids[browsed]}  # fmt: skip
