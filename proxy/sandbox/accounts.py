"""The demo account: its keys and ``GET /api/accounts``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from proxy.sandbox.errors import not_found
from proxy.sandbox.jsonapi import Ctx, resource, respond, single
from proxy.sandbox.operation import Handler
from proxy.sandbox.params import fieldset

# Any well-formed key reaches the demo account; these are the ones to advertise.
DEMO_PRIVATE_KEY = "pk_5a4db1ba7c3e45f0b6a2d98e1c7f3b2a61"
DEMO_PUBLIC_KEY = "SbX123"

FIELDS = (
    "contact_information",
    "industry",
    "locale",
    "preferred_currency",
    "public_api_key",
    "test_account",
    "timezone",
    "contact_information.default_sender_email",
    "contact_information.default_sender_name",
    "contact_information.organization_name",
    "contact_information.street_address",
    "contact_information.website_url",
)


def _account(ctx: Ctx) -> dict[str, Any]:
    attrs = {
        "test_account": True,
        "contact_information": {
            "default_sender_name": "Sandbox Store",
            "default_sender_email": "hello@sandbox.example.com",
            "website_url": "https://sandbox.example.com",
            "organization_name": "Sandbox Store",
            "street_address": {
                "address1": "1 Demo Way",
                "address2": None,
                "city": "Boston",
                "region": "MA",
                "country": "United States",
                "zip": "02110",
            },
        },
        "industry": "Ecommerce",
        "timezone": "UTC",
        "preferred_currency": "USD",
        "public_api_key": DEMO_PUBLIC_KEY,
        "locale": "en-US",
    }
    fields = fieldset(ctx, "account", FIELDS)
    kept = (
        attrs
        if fields is None
        else {k: v for k, v in attrs.items() if k in {f.split(".")[0] for f in fields}}
    )
    return resource(ctx, "account", DEMO_PUBLIC_KEY, kept, collection="accounts")


def get_accounts(ctx: Ctx) -> Response:
    return respond(
        {"data": [_account(ctx)], "links": {"self": str(ctx.request.url), "next": None, "prev": None}}
    )


def get_account(ctx: Ctx) -> Response:
    if ctx.path("id") != DEMO_PUBLIC_KEY:
        raise not_found("account", ctx.path("id"))
    return respond(single(ctx, _account(ctx)))


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "get_accounts": get_accounts,
    "get_account": get_account,
}
