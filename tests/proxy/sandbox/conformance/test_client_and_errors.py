"""Client (public-key) endpoints, the account, and error answers validate against the pinned spec."""

from __future__ import annotations

from proxy.sandbox import DEMO_PUBLIC_KEY
from tests.proxy.sandbox.conformance.conftest import Recorded, new_profile

CLIENT = {"company_id": DEMO_PUBLIC_KEY}


async def test_account(recorded: Recorded) -> None:
    await recorded.ok("GET", "/api/accounts")
    recorded.assert_conforms(at_least=1)


async def test_client_endpoints(recorded: Recorded) -> None:
    r = recorded
    r.api.headers.pop("Authorization")  # public key only, in the query
    profile = {"data": {"type": "profile", "attributes": {"email": "c@example.com"}}}
    await r.ok("POST", "/client/profiles", 202, params=CLIENT, json=profile)
    event = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed"}}},
                "profile": profile,
            },
        }
    }
    await r.ok("POST", "/client/events", 202, params=CLIENT, json=event)
    consent = {"email": {"marketing": {"consent": "SUBSCRIBED"}}}
    subscriber = {
        "data": {"type": "profile", "attributes": {"email": "c@example.com", "subscriptions": consent}}
    }
    subscription = {
        "data": {
            "type": "subscription",
            "attributes": {"profile": subscriber},
            "relationships": {"list": {"data": {"type": "list", "id": r.store.add_list("Client list").id}}},
        }
    }
    await r.ok("POST", "/client/subscriptions", 202, params=CLIENT, json=subscription)
    r.assert_conforms(at_least=3)


async def test_error_answers(recorded: Recorded) -> None:
    r = recorded
    await new_profile(r, "spec@example.com")
    await r.ok("GET", "/api/profiles/01ZZZZZZZZZZZZZZZZZZZZZZZZ", 404)
    await r.ok("GET", "/api/campaigns", 400)  # the channel filter is required
    duplicate = {"data": {"type": "profile", "attributes": {"email": "spec@example.com"}}}
    await r.ok("POST", "/api/profiles", 409, json=duplicate)
    r.assert_conforms(at_least=4)
