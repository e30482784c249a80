"""A private sandbox + proxy for one e2e package, with ``a.klaviyo.com`` re-pointed at it.

The all-operations suites (``tests/e2e/sdk``, ``tests/e2e/klaviyo3``) create campaigns,
templates, lists and events and then read the v1 collections (campaigns, templates, metrics,
exclusions) back. On the session stack that would interfere with
``test_legacy_campaign_pages`` (which asserts the account holds exactly its seven campaigns)
and with the collection cache (a v1 collection enumerated by one test serves later pages for
the cache TTL). So each such package runs on its own stack (a package-scoped ``own`` fixture),
built by the same ``build_stack`` and recording into the same session recorder (the contract
tests see its traffic), and the loopback resolver sends the legacy clients' hard-coded
``https://a.klaviyo.com`` to this stack's TLS proxy while the package runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.e2e.harness import LoopbackNetwork, Recorder, Stack, TlsFiles, build_stack


@contextlib.contextmanager
def isolated_stack(
    recorder: Recorder, tls: TlsFiles, network: LoopbackNetwork, *, source: str, **settings: Any
) -> Iterator[Stack]:
    with build_stack(recorder, source=source, tls=tls, settings_overrides=settings) as stack:
        assert stack.tls_port is not None
        previous = network.tls_port
        network.tls_port = stack.tls_port
        try:
            yield stack
        finally:
            network.tls_port = previous


def seed_profiles(store: Any, count: int, label: str) -> list[tuple[str, str]]:
    """``count`` profiles written straight into the sandbox store: (id, email) pairs.

    Only for bulk segment membership (marker pages of 1000): the new API cannot create a
    segment, so its members are seeded where the segment is (``Store.add_segment``).
    """
    members = []
    for n in range(count):
        profile = store.new_profile()
        profile.attributes["email"] = f"{label}{n:05d}.{profile.id.lower()}@example.com"
        store.reindex(profile)
        members.append((profile.id, profile.attributes["email"]))
    return members
