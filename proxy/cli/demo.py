"""``serve --sandbox``: the embedded sandbox as upstream, a seeded demo account, its own traffic record."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

import httpx

from proxy.settings import Settings, default_traffic_db

SANDBOX_DB = "sandbox-traffic.sqlite3"


def sandbox_traffic_db(settings: Settings) -> str:
    """Demo calls never land in the production record: the default path becomes its sibling."""
    if settings.traffic_db != default_traffic_db(os.environ):
        return settings.traffic_db  # chosen by the operator (or "off")
    return str(Path(settings.traffic_db).with_name(SANDBOX_DB))


def try_lines(base: str, key: str, ids: dict[str, str], example: str | None) -> list[str]:
    """Legacy calls that answer with the demo account's data (or, empty, the catalog's first read)."""
    if not ids:
        return [f"curl '{base}{example}?api_key={key}'"] if example else []
    paths = [
        "/api/v2/lists",
        f"/api/v2/group/{ids['list']}/members/all",
        f"/api/v1/person/{ids['profile']}",
        "/api/v1/metrics",
        "/api/v1/campaigns",
        "/api/v1/email-templates",
    ]
    return [f"curl '{base}{path}?api_key={key}'" for path in paths]


def sandbox_upstream(
    settings: Settings, *, empty: bool, base: str, example: str | None
) -> tuple[httpx.AsyncBaseTransport, Settings]:
    """The sandbox transport (seeded unless ``empty``) and the settings serving it; prints the banner."""
    from proxy.sandbox import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, Store, create_sandbox_app
    from proxy.sandbox.demo import seed

    store = Store()
    ids = {} if empty else asyncio.run(seed(store))
    transport = httpx.ASGITransport(app=create_sandbox_app(store))
    # The sandbox builds its `links` from this URL, so a passed-through client that follows
    # `links.next` comes back through the proxy.
    settings = replace(settings, upstream=base, traffic_db=sandbox_traffic_db(settings))
    account = (
        "empty account (--empty)"
        if empty
        else "demo account: 1 list, 3 profiles, 3 events, 1 template, 1 campaign"
    )
    record = settings.traffic_db if settings.records_traffic else "off"
    lines = [
        "klaviyo-compat: SANDBOX upstream (in-memory, nothing leaves this process)",
        f"  {account}",
        f"  legacy base URL:  {base}/api",
        f"  demo private key: {DEMO_PRIVATE_KEY}",
        f"  demo public key:  {DEMO_PUBLIC_KEY}",
        f"  traffic record:   {record}",
        *(f"  try: {line}" for line in try_lines(base, DEMO_PRIVATE_KEY, ids, example)),
    ]
    print("\n".join(lines), flush=True)
    return transport, settings
