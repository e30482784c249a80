"""The ``Klaviyo`` convenience class, which cannot take an ``api_server``, reaches the proxy."""

from __future__ import annotations

import httpx
from klaviyo import Klaviyo

from tests.e2e.harness import LoopbackNetwork, Stack
from tests.e2e.shapes import (
    unique,
)


def test_klaviyo_convenience_class_reaches_the_proxy_through_the_hardcoded_host(
    own: Stack, new_api: httpx.Client, loopback_network: LoopbackNetwork
) -> None:
    """``Klaviyo(...)`` cannot take an api_server: resolving a.klaviyo.com to the proxy is enough."""
    client = Klaviyo(public_token=own.public_token, private_token=own.private_key)
    name = unique("via a.klaviyo.com")
    redirected, mark = len(loopback_network.redirected), own.recorder.mark()
    created = client.Lists.create_list(name)
    assert created.status_code == 200
    assert {"list_id": created.data["list_id"], "list_name": name} in client.Lists.get_lists().data
    assert loopback_network.redirected[redirected:]
    assert {r.source for r in own.recorder.since(mark)} == {"e2e-k3-tls"}
