"""Every sandbox answer in a realistic session validates against Klaviyo's pinned OpenAPI spec.

Requests and responses of a scenario touching each emulated operation are recorded and checked
with openapi-core (status code, content type, response schema). Skipped when the spec file is
not available.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from proxy.sandbox import DEMO_PUBLIC_KEY, Store, create_sandbox_app
from tests.proxy.sandbox.conftest import API_HEADERS

SPEC = Path(os.environ.get("KLAVIYO_OPENAPI_SPEC", "/work/shared/reference/openapi/stable.json"))
if not SPEC.is_file():
    SPEC = Path(__file__).resolve().parents[3].parent / "shared/reference/openapi/stable.json"


@dataclass
class SpecRequest:
    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = "https://a.klaviyo.com"


@dataclass
class SpecResponse:
    status_code: int
    data: bytes
    content_type: str
    headers: Mapping[str, str]


def _loosen(node: Any) -> None:
    """Work around three spec artefacts that no real answer could satisfy.

    * ``oneOf`` alternatives that overlap (``send_options`` is Email/SMS/Push options, all
      ``{use_smart_sending}``): every valid value matches several, so read ``oneOf`` as ``anyOf``;
    * ``nullable`` next to ``oneOf`` (location ``latitude``): OpenAPI 3.0 tools do not carry the
      null through to the alternatives, so mark each alternative nullable;
    * ``links.next`` / ``links.prev`` are not nullable in the spec, but Klaviyo answers ``null``
      on the first / last page, and so does the sandbox.
    """
    if isinstance(node, dict):
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        if node.get("nullable") and "anyOf" in node:
            for alternative in node["anyOf"]:
                alternative["nullable"] = True
        for value in node.values():
            _loosen(value)
    elif isinstance(node, list):
        for value in node:
            _loosen(value)


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    if not SPEC.is_file():
        pytest.skip(f"OpenAPI spec not found at {SPEC}")
    spec = orjson.loads(SPEC.read_bytes())
    _loosen(spec["components"]["schemas"])
    for name in ("next", "prev"):
        spec["components"]["schemas"]["CollectionLinks"]["properties"][name]["nullable"] = True
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[httpx.AsyncClient, list[httpx.Response], Store]]:
    store = Store(seed=3)
    seen: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    transport = httpx.ASGITransport(create_sandbox_app(store))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://sandbox",
        headers={**API_HEADERS, "content-type": "application/vnd.api+json"},
        event_hooks={"response": [keep]},
    ) as client:
        yield client, seen, store


def _problems(openapi: OpenAPI, response: httpx.Response) -> list[str]:
    request = response.request
    content_type = request.headers.get("content-type", "")
    spec_request = SpecRequest(
        method=request.method.lower(),
        path=request.url.path,
        parameters=RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
            path={},
        ),
        body=request.content or None,
        content_type=content_type,
    )
    spec_response = SpecResponse(
        status_code=response.status_code,
        data=response.content,
        content_type=response.headers.get("content-type", ""),
        headers=dict(response.headers),
    )
    label = f"{request.method} {request.url.path}?{request.url.query.decode()} -> {response.status_code}"
    errors = list(openapi.iter_response_errors(spec_request, spec_response))
    if response.is_success:  # the scenario's own requests must be valid too (not its 4xx probes)
        errors += list(openapi.iter_request_errors(spec_request))
    out = []
    for error in errors:
        cause = error.__cause__
        details = [
            f"{'/'.join(str(p) for p in getattr(e, 'absolute_path', []))}: {getattr(e, 'message', e)}"[:300]
            for e in getattr(cause, "schema_errors", None) or []
        ]
        out.append(f"{label}: {type(error).__name__}: {details or str(error)[:300]}")
    return out


async def _scenario(api: httpx.AsyncClient, store: Store) -> None:
    def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return response.json() if response.content else {}

    profile = ok(
        await api.post(
            "/api/profiles",
            json={
                "data": {
                    "type": "profile",
                    "attributes": {
                        "email": "spec@example.com",
                        "first_name": "Spec",
                        "location": {"city": "X", "latitude": 1.5},
                        "properties": {"a": 1},
                    },
                }
            },
        ),
        201,
    )["data"]
    pid = profile["id"]
    ok(
        await api.post(
            "/api/profile-import",
            json={"data": {"type": "profile", "attributes": {"email": "spec2@example.com"}}},
        ),
        201,
    )
    ok(
        await api.post(
            "/api/profile-import",
            json={
                "data": {"type": "profile", "attributes": {"email": "spec2@example.com", "last_name": "L"}}
            },
        )
    )
    ok(
        await api.patch(
            f"/api/profiles/{pid}",
            json={
                "data": {
                    "type": "profile",
                    "id": pid,
                    "attributes": {"title": "Dr"},
                    "meta": {"patch_properties": {"unset": ["a"]}},
                }
            },
        )
    )
    ok(
        await api.get(
            f"/api/profiles/{pid}",
            params={"additional-fields[profile]": "subscriptions,predictive_analytics"},
        )
    )
    ok(
        await api.get(
            "/api/profiles",
            params={
                "filter": 'equals(email,"spec@example.com")',
                "page[size]": "1",
                "sort": "-created",
                "additional-fields[profile]": "subscriptions",
            },
        )
    )
    ok(await api.get("/api/profiles", params={"page[size]": "1"}))
    ok(
        await api.post(
            "/api/events",
            json={
                "data": {
                    "type": "event",
                    "attributes": {
                        "properties": {"p": 1},
                        "value": 9.5,
                        "time": "2024-01-01T00:00:00+00:00",
                        "metric": {"data": {"type": "metric", "attributes": {"name": "Spec Metric"}}},
                        "profile": {"data": {"type": "profile", "attributes": {"email": "spec@example.com"}}},
                    },
                }
            },
        ),
        202,
    )
    events = ok(await api.get("/api/events", params={"include": "metric,profile", "sort": "-datetime"}))
    ok(await api.get(f"/api/events/{events['data'][0]['id']}", params={"include": "metric"}))
    metrics = ok(await api.get("/api/metrics"))
    ok(
        await api.post(
            "/api/metric-aggregates",
            json={
                "data": {
                    "type": "metric-aggregate",
                    "attributes": {
                        "metric_id": metrics["data"][0]["id"],
                        "measurements": ["count", "sum_value"],
                        "interval": "day",
                        "by": ["$flow"],
                        "filter": [
                            "greater-or-equal(datetime,2023-12-31T00:00:00)",
                            "less-than(datetime,2024-01-02T00:00:00)",
                        ],
                    },
                }
            },
        )
    )
    ok(
        await api.post(
            "/api/metric-aggregates",
            json={
                "data": {
                    "type": "metric-aggregate",
                    "attributes": {
                        "metric_id": metrics["data"][0]["id"],
                        "measurements": ["unique"],
                        "interval": "week",
                        "filter": [
                            "greater-or-equal(datetime,2023-12-31T00:00:00)",
                            "less-than(datetime,2024-01-02T00:00:00)",
                        ],
                    },
                }
            },
        )
    )
    ok(await api.get(f"/api/metrics/{metrics['data'][0]['id']}"))

    single_list = ok(
        await api.post(
            "/api/lists",
            json={
                "data": {
                    "type": "list",
                    "attributes": {"name": "Spec list", "opt_in_process": "single_opt_in"},
                }
            },
        ),
        201,
    )["data"]
    lid = single_list["id"]
    ok(await api.get("/api/lists", params={"sort": "name"}))
    ok(await api.get(f"/api/lists/{lid}", params={"additional-fields[list]": "profile_count"}))
    ok(
        await api.patch(
            f"/api/lists/{lid}", json={"data": {"type": "list", "id": lid, "attributes": {"name": "L2"}}}
        )
    )
    ok(
        await api.post(
            f"/api/lists/{lid}/relationships/profiles", json={"data": [{"type": "profile", "id": pid}]}
        ),
        204,
    )
    ok(await api.get(f"/api/lists/{lid}/profiles", params={"additional-fields[profile]": "subscriptions"}))
    ok(await api.get(f"/api/lists/{lid}/relationships/profiles"))
    ok(
        await api.post(
            "/api/profile-subscription-bulk-create-jobs",
            json={
                "data": {
                    "type": "profile-subscription-bulk-create-job",
                    "attributes": {
                        "profiles": {
                            "data": [
                                {
                                    "type": "profile",
                                    "attributes": {
                                        "email": "spec3@example.com",
                                        "subscriptions": {"email": {"marketing": {"consent": "SUBSCRIBED"}}},
                                    },
                                }
                            ]
                        }
                    },
                    "relationships": {"list": {"data": {"type": "list", "id": lid}}},
                }
            },
        ),
        202,
    )
    ok(
        await api.request(
            "DELETE",
            f"/api/lists/{lid}/relationships/profiles",
            json={"data": [{"type": "profile", "id": pid}]},
        ),
        204,
    )
    segment = store.add_segment("Spec segment", [pid])
    ok(await api.get("/api/segments"))
    ok(await api.get(f"/api/segments/{segment}", params={"additional-fields[segment]": "profile_count"}))
    ok(await api.get(f"/api/segments/{segment}/profiles"))

    template = ok(
        await api.post(
            "/api/templates",
            json={
                "data": {
                    "type": "template",
                    "attributes": {"name": "Spec template", "editor_type": "CODE", "html": "<p>hi</p>"},
                }
            },
        ),
        201,
    )["data"]
    tid = template["id"]
    ok(await api.get("/api/templates"))
    ok(
        await api.patch(
            f"/api/templates/{tid}",
            json={"data": {"type": "template", "id": tid, "attributes": {"name": "T2"}}},
        )
    )
    campaign = ok(
        await api.post(
            "/api/campaigns",
            json={
                "data": {
                    "type": "campaign",
                    "attributes": {
                        "name": "Spec campaign",
                        "audiences": {"included": [lid]},
                        "campaign-messages": {
                            "data": [
                                {
                                    "type": "campaign-message",
                                    "attributes": {
                                        "definition": {
                                            "channel": "email",
                                            "label": "Spec",
                                            "content": {"subject": "S", "from_email": "a@example.com"},
                                        }
                                    },
                                }
                            ]
                        },
                    },
                }
            },
        ),
        201,
    )["data"]
    cid = campaign["id"]
    mid = campaign["relationships"]["campaign-messages"]["data"][0]["id"]
    ok(
        await api.get(
            "/api/campaigns",
            params={"filter": "equals(messages.channel,'email')", "include": "campaign-messages"},
        )
    )
    ok(await api.get(f"/api/campaigns/{cid}", params={"include": "campaign-messages"}))
    ok(
        await api.patch(
            f"/api/campaigns/{cid}",
            json={"data": {"type": "campaign", "id": cid, "attributes": {"name": "Renamed"}}},
        )
    )
    ok(await api.get(f"/api/campaigns/{cid}/campaign-messages"))
    ok(
        await api.patch(
            f"/api/campaign-messages/{mid}",
            json={
                "data": {
                    "type": "campaign-message",
                    "id": mid,
                    "attributes": {"definition": {"channel": "email", "content": {"subject": "T"}}},
                }
            },
        )
    )
    ok(
        await api.post(
            "/api/campaign-message-assign-template",
            json={
                "data": {
                    "type": "campaign-message",
                    "id": mid,
                    "relationships": {"template": {"data": {"type": "template", "id": tid}}},
                }
            },
        )
    )
    ok(await api.get(f"/api/campaign-messages/{mid}", params={"include": "template"}))
    ok(await api.get(f"/api/campaign-messages/{mid}/relationships/template"))
    ok(await api.get(f"/api/campaign-messages/{mid}/template"))
    ok(await api.get(f"/api/campaign-messages/{mid}/campaign"))
    ok(await api.get(f"/api/campaign-messages/{mid}/relationships/campaign"))
    ok(await api.get(f"/api/campaigns/{cid}/relationships/campaign-messages"))
    clone = ok(
        await api.post(
            "/api/campaign-clone",
            json={"data": {"type": "campaign", "id": cid, "attributes": {"new_name": "Cloned"}}},
        ),
        201,
    )["data"]
    ok(
        await api.post(
            "/api/campaign-recipient-estimation-jobs",
            json={"data": {"type": "campaign-recipient-estimation-job", "id": cid}},
        ),
        202,
    )
    ok(await api.get(f"/api/campaign-recipient-estimation-jobs/{cid}"))
    ok(await api.get(f"/api/campaign-recipient-estimations/{cid}"))
    ok(
        await api.post(
            "/api/campaign-send-jobs", json={"data": {"type": "campaign-send-job", "id": clone["id"]}}
        ),
        202,
    )
    ok(await api.get(f"/api/campaign-send-jobs/{clone['id']}"))
    later = ok(
        await api.post(
            "/api/campaign-clone", json={"data": {"type": "campaign", "id": cid, "attributes": {}}}
        ),
        201,
    )["data"]
    ok(
        await api.patch(
            f"/api/campaigns/{later['id']}",
            json={
                "data": {
                    "type": "campaign",
                    "id": later["id"],
                    "attributes": {
                        "send_strategy": {"method": "static", "datetime": "2030-01-01T00:00:00+00:00"}
                    },
                }
            },
        )
    )
    ok(
        await api.post(
            "/api/campaign-send-jobs", json={"data": {"type": "campaign-send-job", "id": later["id"]}}
        ),
        202,
    )
    ok(
        await api.patch(
            f"/api/campaign-send-jobs/{later['id']}",
            json={
                "data": {"type": "campaign-send-job", "id": later["id"], "attributes": {"action": "revert"}}
            },
        ),
        204,
    )
    ok(
        await api.post(
            "/api/template-clone",
            json={"data": {"type": "template", "id": tid, "attributes": {"name": "Clone"}}},
        ),
        201,
    )
    ok(
        await api.post(
            "/api/template-render",
            json={"data": {"type": "template", "id": tid, "attributes": {"context": {"first_name": "A"}}}},
        ),
        201,
    )
    ok(await api.get(f"/api/profiles/{pid}/lists"))
    ok(await api.get(f"/api/profiles/{pid}/relationships/lists"))
    ok(await api.get(f"/api/profiles/{pid}/segments"))
    ok(await api.get(f"/api/profiles/{pid}/relationships/segments"))
    ok(await api.get(f"/api/segments/{segment}/relationships/profiles"))
    ok(await api.get("/api/accounts"))
    ok(
        await api.post(
            "/api/profile-subscription-bulk-delete-jobs",
            json={
                "data": {
                    "type": "profile-subscription-bulk-delete-job",
                    "attributes": {
                        "profiles": {
                            "data": [
                                {
                                    "type": "profile",
                                    "attributes": {
                                        "email": "spec3@example.com",
                                        "subscriptions": {
                                            "email": {"marketing": {"consent": "UNSUBSCRIBED"}}
                                        },
                                    },
                                }
                            ]
                        }
                    },
                    "relationships": {"list": {"data": {"type": "list", "id": lid}}},
                }
            },
        ),
        202,
    )
    job = ok(
        await api.post(
            "/api/profile-suppression-bulk-create-jobs",
            json={
                "data": {
                    "type": "profile-suppression-bulk-create-job",
                    "attributes": {
                        "profiles": {
                            "data": [{"type": "profile", "attributes": {"email": "spec3@example.com"}}]
                        }
                    },
                }
            },
        ),
        202,
    )["data"]
    ok(await api.get(f"/api/profile-suppression-bulk-create-jobs/{job['id']}"))
    ok(
        await api.post(
            "/api/data-privacy-deletion-jobs",
            json={
                "data": {
                    "type": "data-privacy-deletion-job",
                    "attributes": {
                        "profile": {"data": {"type": "profile", "attributes": {"email": "spec2@example.com"}}}
                    },
                }
            },
        ),
        202,
    )
    ok(await api.delete(f"/api/campaigns/{cid}"), 204)
    ok(await api.delete(f"/api/templates/{tid}"), 204)
    ok(await api.delete(f"/api/lists/{lid}"), 204)

    # error answers validate too
    ok(await api.get("/api/profiles/01ZZZZZZZZZZZZZZZZZZZZZZZZ"), 404)
    ok(await api.get("/api/campaigns"), 400)
    ok(
        await api.post(
            "/api/profiles", json={"data": {"type": "profile", "attributes": {"email": "spec@example.com"}}}
        ),
        409,
    )
    api.headers.pop("Authorization")
    ok(
        await api.post(
            f"/client/profiles?company_id={DEMO_PUBLIC_KEY}",
            json={"data": {"type": "profile", "attributes": {"email": "c@example.com"}}},
        ),
        202,
    )
    ok(
        await api.post(
            f"/client/events?company_id={DEMO_PUBLIC_KEY}",
            json={
                "data": {
                    "type": "event",
                    "attributes": {
                        "properties": {},
                        "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed"}}},
                        "profile": {"data": {"type": "profile", "attributes": {"email": "c@example.com"}}},
                    },
                }
            },
        ),
        202,
    )
    list_id = store.add_list("Client list").id
    ok(
        await api.post(
            f"/client/subscriptions?company_id={DEMO_PUBLIC_KEY}",
            json={
                "data": {
                    "type": "subscription",
                    "attributes": {
                        "profile": {
                            "data": {
                                "type": "profile",
                                "attributes": {
                                    "email": "c@example.com",
                                    "subscriptions": {"email": {"marketing": {"consent": "SUBSCRIBED"}}},
                                },
                            }
                        }
                    },
                    "relationships": {"list": {"data": {"type": "list", "id": list_id}}},
                }
            },
        ),
        202,
    )


async def test_every_answer_matches_the_spec(
    openapi: OpenAPI, recorder: tuple[httpx.AsyncClient, list[httpx.Response], Store]
) -> None:
    api, seen, store = recorder
    await _scenario(api, store)
    assert len(seen) > 40
    problems = [problem for response in seen for problem in _problems(openapi, response)]
    assert problems == [], "\n".join(problems)
