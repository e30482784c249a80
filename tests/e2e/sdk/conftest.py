"""The ``klaviyo-sdk`` suite's private stack and shared fixtures.

The package runs on its own sandbox + proxy (``tests/e2e/isolated.py``), so the v1 collections
it lists hold only what it created; ``a.klaviyo.com`` points at that stack while it runs. The
client fixtures of ``tests/e2e/conftest.py`` (``sdk``, ``new_api``) talk to it through the
``target_stack`` override, and every SDK operation call is counted for ``test_completeness``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e import newapi
from tests.e2e.completeness import counted
from tests.e2e.harness import LoopbackNetwork, Recorder, Stack, TlsFiles
from tests.e2e.isolated import isolated_stack
from tests.e2e.sdk.support import CALLED, DAY, sdk_operations
from tests.e2e.shapes import unique, unique_email, wait_for_profile


@pytest.fixture(scope="package")
def own(
    upstream_recorder: Recorder, tls_material: tuple[TlsFiles, Any], loopback_network: LoopbackNetwork
) -> Iterator[Stack]:
    with isolated_stack(upstream_recorder, tls_material[0], loopback_network, source="e2e-sdk") as running:
        yield running


@pytest.fixture
def target_stack(own: Stack) -> Stack:
    return own


@pytest.fixture
def sdk(sdk: Any) -> Any:
    """The SDK client on this package's stack, every operation counted in ``CALLED``."""
    for qualified in sdk_operations():
        attr, name = qualified.split(".")
        api = getattr(sdk, attr)
        setattr(api, name, counted(CALLED, qualified, getattr(api, name)))
    return sdk


@pytest.fixture(scope="package")
def activity(own: Stack) -> dict[str, Any]:
    """One profile with three "Placed Order" events (now -3, -2, -1 days) and a "Viewed" event (-1 h)."""
    today = datetime.now(UTC).replace(second=0, microsecond=0)
    email = unique_email("buyer")
    placed, viewed = unique("Placed Order"), unique("Viewed Item")
    with own.new_api() as client:
        for days, value in ((3, 10.0), (2, 20.0), (1, 30.0)):
            newapi.create_event(
                client, placed, email, (today - days * DAY).isoformat(), {"Item": f"I{days}"}, value
            )
        newapi.create_event(client, viewed, email, (today - timedelta(hours=1)).isoformat(), {"Page": "/x"})
        profile_id = wait_for_profile(client, email)["id"]
        metrics = newapi.profile_metric_ids(client, profile_id)
    return {
        "email": email,
        "profile_id": profile_id,
        "placed": placed,
        "viewed": viewed,
        "placed_id": metrics[placed],
        "viewed_id": metrics[viewed],
        "today": today,
    }
