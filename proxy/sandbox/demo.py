"""A small demo account for ``serve --sandbox``: a list, a few profiles and events, a template and
a campaign, so the legacy calls the banner suggests answer with data.

Seeded through the sandbox's own new-API endpoints (in-process, nothing leaves it), so the
account is exactly what a client could have created.
"""

from __future__ import annotations

from typing import Any

import httpx

from proxy.sandbox.accounts import DEMO_PRIVATE_KEY
from proxy.sandbox.app import create_sandbox_app
from proxy.sandbox.store import Store

HEADERS = {"Authorization": f"Klaviyo-API-Key {DEMO_PRIVATE_KEY}", "revision": "2026-07-15"}
PEOPLE = (
    ("ada@example.com", "Ada", "Lovelace"),
    ("grace@example.com", "Grace", "Hopper"),
    ("alan@example.com", "Alan", "Turing"),
)
HTML = "<html><body><h1>Hello {{ first_name|default:'friend' }}</h1><p>Spring is here.</p></body></html>"


class SeedError(RuntimeError):
    """The sandbox refused a seeding request (a bug: the demo account is fixed)."""


async def _post(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(path, json=body)
    if response.status_code >= 300:
        raise SeedError(f"POST {path}: {response.status_code} {response.text[:200]}")
    data: dict[str, Any] = response.json()["data"] if response.content else {}
    return data


def _campaign(list_id: str) -> dict[str, Any]:
    content = {"subject": "Spring sale", "from_email": "news@example.com", "from_label": "Demo Shop"}
    message = {
        "type": "campaign-message",
        "attributes": {"definition": {"channel": "email", "label": "Spring sale", "content": content}},
    }
    attributes = {
        "name": "Spring sale",
        "audiences": {"included": [list_id], "excluded": []},
        "campaign-messages": {"data": [message]},
    }
    return {"data": {"type": "campaign", "attributes": attributes}}


async def seed(store: Store) -> dict[str, str]:
    """Create the demo account in ``store``; answers the ids of what it made, by kind."""
    transport = httpx.ASGITransport(create_sandbox_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=HEADERS) as api:
        newsletter = await _post(
            api, "/api/lists", {"data": {"type": "list", "attributes": {"name": "Newsletter"}}}
        )
        ids = []
        for email, first, last in PEOPLE:
            attributes = {"email": email, "first_name": first, "last_name": last}
            ids.append(
                (await _post(api, "/api/profiles", {"data": {"type": "profile", "attributes": attributes}}))[
                    "id"
                ]
            )
        members = {"data": [{"type": "profile", "id": i} for i in ids]}
        await _post(api, f"/api/lists/{newsletter['id']}/relationships/profiles", members)
        for n, (email, _, _) in enumerate(PEOPLE):
            event = {
                "properties": {"OrderId": f"demo-{n + 1}", "Items": ["Notebook"]},
                "value": 12.5 * (n + 1),
                "metric": {"data": {"type": "metric", "attributes": {"name": "Placed Order"}}},
                "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
            }
            await _post(api, "/api/events", {"data": {"type": "event", "attributes": event}})
        template = {"name": "Spring newsletter", "editor_type": "CODE", "html": HTML}
        made = await _post(api, "/api/templates", {"data": {"type": "template", "attributes": template}})
        campaign = await _post(api, "/api/campaigns", _campaign(newsletter["id"]))
    return {"list": newsletter["id"], "profile": ids[0], "template": made["id"], "campaign": campaign["id"]}
