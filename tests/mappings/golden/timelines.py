"""Golden cases: D2/D3/E3/E4 timelines (GET /api/events, style-2 ``since``/``next`` pages).

A ``next`` token is minted by the engine's token store (random), so expected answers use
``TOKEN``, which equals any ``kxp1.`` token. Resuming a token needs two requests against
one proxy: that flow is in tests/mappings/test_timelines.py.
"""

from __future__ import annotations

from typing import Any

from tests.mappings.golden.profiles import ATTRIBUTES, PERSON, PID

KEY = "pk_0123456789abcdef0123456789abcdef01"
METRIC = "VRj3ac"
METRIC_PATH = f"/api/v1/metric/{METRIC}/timeline"
ALL_PATH = "/api/v1/metrics/timeline"
PERSON_PATH = f"/api/v1/person/{PID}/metrics/timeline"
PERSON_METRIC_PATH = f"/api/v1/person/{PID}/metric/{METRIC}/timeline"
SINCE = "1604078804"  # 2020-10-30T17:26:44+00:00
INCLUDE = "metric,profile"
NEXT_CURSOR = "bmV4dC1jdXJzb3I="
NEXT = (
    f"https://a.klaviyo.com/api/events/?page%5Bcursor%5D={NEXT_CURSOR.replace('=', '%3D')}&page%5Bsize%5D=2"
)
JSON = {"content-type": "application/json"}


class _AnyToken:
    """Equals any continuation token minted by klaviyo-compat."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith("kxp1.") and len(other) > 10

    def __repr__(self) -> str:
        return "<kxp1 token>"

    __hash__ = None  # type: ignore[assignment]


TOKEN = _AnyToken()


# --------------------------------------------------------------------------- upstream fixtures


def event(
    eid: str,
    stamp: int,
    iso: str,
    props: dict[str, Any],
    *,
    metric: str = METRIC,
    profile: str | None = PID,
    uuid: str = "8a0b9c00-1ad1-11eb-8001-8d1a9a2e7c3f",
) -> dict[str, Any]:
    relationships: dict[str, Any] = {"metric": {"data": {"type": "metric", "id": metric}, "links": {}}}
    if profile is not None:
        relationships["profile"] = {"data": {"type": "profile", "id": profile}, "links": {}}
    return {
        "type": "event",
        "id": eid,
        "attributes": {"timestamp": stamp, "event_properties": props, "datetime": iso, "uuid": uuid},
        "relationships": relationships,
        "links": {"self": f"https://a.klaviyo.com/api/events/{eid}/"},
    }


def metric(mid: str = METRIC, name: str = "Placed Order") -> dict[str, Any]:
    return {
        "type": "metric",
        "id": mid,
        "attributes": {"name": name},
        "links": {"self": f"https://a.klaviyo.com/api/metrics/{mid}/"},
    }


def profile() -> dict[str, Any]:
    return {"type": "profile", "id": PID, "attributes": ATTRIBUTES, "links": {"self": "x"}}


ORDER = event(
    "3jNvgTkG",
    1604078804,
    "2020-10-30T17:26:44+00:00",
    {"$event_id": "1604078804", "$value": 35, "Items": [{"Name": "Wooden Tooth", "Price": 29}]},
)
LEGACY_ORDER = {
    "object": "event",
    "id": "3jNvgTkG",
    "statistic_id": METRIC,
    "timestamp": 1604078804,
    "event_name": "Placed Order",
    "event_properties": {
        "$event_id": "1604078804",
        "$value": 35,
        "Items": [{"Name": "Wooden Tooth", "Price": 29}],
    },
    "datetime": "2020-10-30 17:26:44+00:00",
    "uuid": "8a0b9c00-1ad1-11eb-8001-8d1a9a2e7c3f",
    "person": PERSON,
}


def events_call(
    query: dict[str, str],
    data: list[dict[str, Any]],
    included: list[dict[str, Any]] | None = None,
    *,
    next_link: str | None = None,
) -> dict[str, Any]:
    body = {
        "data": data,
        "included": included if included is not None else [metric(), profile()],
        "links": {"self": "https://a.klaviyo.com/api/events/", "next": next_link, "prev": None},
    }
    return {
        "method": "GET",
        "path": "/api/events",
        "query": query,
        "auth": KEY,
        "reply": {"status": 200, "json": body},
    }


def events_error(
    query: dict[str, str], status: int, detail: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    body = {"errors": [{"id": "e1", "status": status, "code": "x", "title": detail, "detail": detail}]}
    reply = {"status": status, "headers": headers or {}, "json": body}
    return {"method": "GET", "path": "/api/events", "query": query, "auth": KEY, "reply": reply}


def lookup(path: str, query: dict[str, str], status: int = 200) -> dict[str, Any]:
    body: Any = {"data": {"type": "x", "id": "y", "attributes": {}}}
    if status != 200:
        body = {
            "errors": [
                {
                    "id": "e",
                    "status": status,
                    "code": "not_found",
                    "title": "Not found.",
                    "detail": "Not found.",
                }
            ]
        }
    return {
        "method": "GET",
        "path": path,
        "query": query,
        "auth": KEY,
        "reply": {"status": status, "json": body},
    }


def q(filter_: str | None = None, sort: str = "-datetime", size: str = "50") -> dict[str, str]:
    query = {"sort": sort, "include": INCLUDE, "page[size]": size}
    if filter_ is not None:
        query["filter"] = filter_
    return query


def get(path: str, *pairs: tuple[str, str]) -> dict[str, Any]:
    return {"method": "GET", "path": path, "query": [*pairs, ("api_key", KEY)]}


def page(data: list[Any], next_token: Any = None) -> dict[str, Any]:
    return {
        "status": 200,
        "headers": JSON,
        "json": {"object": "$list", "count": len(data), "data": data, "next": next_token},
    }


def v1(status: int, message: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "headers": {**JSON, **(headers or {})},
        "json": {"status": status, "message": message},
    }


BY_METRIC = f'equals(metric_id,"{METRIC}")'
BY_PROFILE = f'equals(profile_id,"{PID}")'
FROM_SINCE = "greater-or-equal(datetime,2020-10-30T17:26:44+00:00)"
BEFORE_SINCE = "less-than(datetime,2020-10-30T17:26:44+00:00)"
# A profile deleted since the event: the person object keeps its ID, every field empty.
EMPTY_PERSON = {
    "object": "person", "id": "01GONE",
    "$address1": "", "$address2": "", "$city": "", "$country": "", "$latitude": "", "$longitude": "",
    "$region": "", "$zip": "", "$email": "", "$first_name": "", "$last_name": "", "$phone_number": "",
    "$title": "", "$organization": "", "$timezone": "", "$id": "",
    "email": "", "first_name": "", "last_name": "", "created": "", "updated": "",
}  # fmt: skip
RESTART = "Restart the timeline with a 10-digit UNIX timestamp in since."
THROTTLED_5 = "Request was throttled. Expected available in 5 seconds."

CASES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ D2
    {
        "id": "D2-default-newest-first-last-page",
        "request": get(ALL_PATH),
        "upstream": [events_call(q(), [ORDER])],
        "response": page([LEGACY_ORDER]),
    },
    {
        "id": "D2-python-sdk-since-asc-count-100-more-pages",
        "request": get(ALL_PATH, ("count", "100"), ("sort", "asc"), ("since", SINCE)),
        "upstream": [events_call(q(FROM_SINCE, "datetime", "100"), [ORDER], next_link=NEXT)],
        "response": page([LEGACY_ORDER], TOKEN),
    },
    {
        "id": "D2-since-without-sort-is-desc",
        "request": get(ALL_PATH, ("since", SINCE), ("count", "2")),
        "upstream": [events_call(q(BEFORE_SINCE, size="2"), [ORDER])],
        "response": page([LEGACY_ORDER]),
    },
    {
        "id": "D2-no-since-forces-desc",
        "request": get(ALL_PATH, ("sort", "asc")),
        "upstream": [events_call(q(), [])],
        "response": page([]),
    },
    {
        "id": "D2-ruby-json-body-integer-since",
        "request": {
            "method": "GET",
            "path": ALL_PATH,
            "json": {"api_key": KEY, "since": 1604078804, "count": 5},
        },
        "upstream": [events_call(q(BEFORE_SINCE, size="5"), [ORDER])],
        "response": page([LEGACY_ORDER]),
    },
    {
        "id": "D2-value-and-unique-id-attributes-put-back-and-missing-profile",
        "request": get(ALL_PATH),
        "upstream": [
            events_call(
                q(),
                [
                    {
                        **event(
                            "4kP", 1604078900, "2020-10-30T19:28:20+02:00", {"Plan": "Gold"}, profile="01GONE"
                        ),
                        "attributes": {
                            "timestamp": None,
                            "event_properties": {"Plan": "Gold"},
                            "datetime": "2020-10-30T19:28:20+02:00",
                            "uuid": "u-2",
                            "value": 9.5,
                            "unique_id": "ord-2",
                        },
                    }
                ],
                [metric(METRIC, "Subscribed")],
            )
        ],
        "response": page(
            [
                {
                    "object": "event",
                    "id": "4kP",
                    "statistic_id": METRIC,
                    "timestamp": 1604078900,
                    "event_name": "Subscribed",
                    "event_properties": {"Plan": "Gold", "$value": 9.5, "$event_id": "ord-2"},
                    "datetime": "2020-10-30 17:28:20+00:00",
                    "uuid": "u-2",
                    "person": EMPTY_PERSON,
                }
            ]
        ),
    },
    {
        "id": "D2-429-retry-after",
        "request": get(ALL_PATH),
        "upstream": [events_error(q(), 429, THROTTLED_5, {"retry-after": "5"})],
        "response": v1(429, THROTTLED_5, {"retry-after": "5"}),
    },
    {
        "id": "D2-401-becomes-403",
        "request": get(ALL_PATH),
        "upstream": [events_error(q(), 401, "Incorrect authentication credentials.")],
        "response": v1(403, "Incorrect authentication credentials."),
    },
    {
        "id": "D2-count-zero",
        "request": get(ALL_PATH, ("count", "0")),
        "upstream": [],
        "response": v1(400, "Invalid count '0': count must be an integer between 1 and 100."),
    },
    {
        "id": "D2-since-not-a-timestamp-or-token",
        "request": get(ALL_PATH, ("since", "2020-10-30")),
        "upstream": [],
        "response": v1(400, f"The since token '2020-10-30' is unknown or has expired. {RESTART}"),
    },
    # ------------------------------------------------------------------ D3
    {
        "id": "D3-tap-klaviyo-since-asc",
        "request": get(METRIC_PATH, ("since", SINCE), ("sort", "asc")),
        "upstream": [events_call(q(f"{BY_METRIC},{FROM_SINCE}", "datetime"), [ORDER], next_link=NEXT)],
        "response": page([LEGACY_ORDER], TOKEN),
    },
    {
        "id": "D3-since-desc",
        "request": get(METRIC_PATH, ("since", SINCE), ("sort", "desc"), ("count", "100")),
        "upstream": [events_call(q(f"{BY_METRIC},{BEFORE_SINCE}", size="100"), [ORDER])],
        "response": page([LEGACY_ORDER]),
    },
    {
        "id": "D3-empty-page-of-existing-metric",
        "request": get(METRIC_PATH, ("since", SINCE), ("sort", "asc")),
        "upstream": [
            events_call(q(f"{BY_METRIC},{FROM_SINCE}", "datetime"), [], []),
            lookup(f"/api/metrics/{METRIC}", {"fields[metric]": "name"}),
        ],
        "response": page([]),
    },
    {
        "id": "D3-unknown-metric-404",
        "request": get(METRIC_PATH),
        "upstream": [
            events_call(q(BY_METRIC), [], []),
            lookup(f"/api/metrics/{METRIC}", {"fields[metric]": "name"}, status=404),
        ],
        "response": v1(404, "The requested resource does not exist."),
    },
    {
        "id": "D3-429-retry-after",
        "request": get(METRIC_PATH),
        "upstream": [
            events_error(
                q(BY_METRIC),
                429,
                "Request was throttled. Expected available in 7 seconds.",
                {"retry-after": "7"},
            )
        ],
        "response": v1(429, "Request was throttled. Expected available in 7 seconds.", {"retry-after": "7"}),
    },
    {
        "id": "D3-401-becomes-403",
        "request": get(METRIC_PATH),
        "upstream": [events_error(q(BY_METRIC), 401, "Incorrect authentication credentials.")],
        "response": v1(403, "Incorrect authentication credentials."),
    },
    {
        "id": "D3-count-over-100",
        "request": get(METRIC_PATH, ("count", "500")),
        "upstream": [],
        "response": v1(400, "Invalid count '500': count must be an integer between 1 and 100."),
    },
    {
        "id": "D3-bad-sort",
        "request": get(METRIC_PATH, ("sort", "newest")),
        "upstream": [],
        "response": v1(400, "Invalid sort 'newest': sort must be asc or desc."),
    },
    {
        "id": "D3-legacy-uuid-token",
        "request": get(METRIC_PATH, ("since", "8a0b9c00-1ad1-11eb-8001-8d1a9a2e7c3f")),
        "upstream": [],
        "response": v1(
            400,
            "The since token '8a0b9c00-1ad1-11eb-8001-8d1a9a2e7c3f' was issued by the retired Klaviyo API "
            f"and cannot be resumed through the new API. {RESTART}",
        ),
    },
    {
        "id": "D3-unknown-or-expired-token",
        "request": get(METRIC_PATH, ("since", "kxp1.expired-token-xyz")),
        "upstream": [],
        "response": v1(400, f"The since token 'kxp1.expired-token-xyz' is unknown or has expired. {RESTART}"),
    },
    # ------------------------------------------------------------------ E3 / E4
    {
        "id": "E3-person-timeline",
        "request": get(PERSON_PATH, ("count", "100"), ("sort", "desc")),
        "upstream": [events_call(q(BY_PROFILE, size="100"), [ORDER], next_link=NEXT)],
        "response": page([LEGACY_ORDER], TOKEN),
    },
    {
        "id": "E3-unknown-person-404",
        "request": get(PERSON_PATH),
        "upstream": [
            events_call(q(BY_PROFILE), [], []),
            lookup(f"/api/profiles/{PID}", {"fields[profile]": "email"}, status=404),
        ],
        "response": v1(404, "The requested resource does not exist."),
    },
    {
        "id": "E3-429-retry-after",
        "request": get(PERSON_PATH),
        "upstream": [events_error(q(BY_PROFILE), 429, THROTTLED_5, {"retry-after": "5"})],
        "response": v1(429, THROTTLED_5, {"retry-after": "5"}),
    },
    {
        "id": "E3-401-becomes-403",
        "request": get(PERSON_PATH),
        "upstream": [events_error(q(BY_PROFILE), 401, "Incorrect authentication credentials.")],
        "response": v1(403, "Incorrect authentication credentials."),
    },
    {
        "id": "E3-count-over-100",
        "request": get(PERSON_PATH, ("count", "101")),
        "upstream": [],
        "response": v1(400, "Invalid count '101': count must be an integer between 1 and 100."),
    },
    {
        "id": "E3-legacy-uuid-since",
        "request": get(PERSON_PATH, ("since", "8a0b9c00-1ad1-11eb-8001-8d1a9a2e7c3f")),
        "upstream": [],
        "response": v1(
            400,
            "The since token '8a0b9c00-1ad1-11eb-8001-8d1a9a2e7c3f' was issued by the retired Klaviyo API "
            f"and cannot be resumed through the new API. {RESTART}",
        ),
    },
    {
        "id": "E4-person-metric-timeline-asc",
        "request": get(PERSON_METRIC_PATH, ("since", SINCE), ("sort", "asc"), ("count", "100")),
        "upstream": [events_call(q(f"{BY_METRIC},{BY_PROFILE},{FROM_SINCE}", "datetime", "100"), [ORDER])],
        "response": page([LEGACY_ORDER]),
    },
    {
        "id": "E4-empty-checks-person-and-metric",
        "request": get(PERSON_METRIC_PATH),
        "upstream": [
            events_call(q(f"{BY_METRIC},{BY_PROFILE}"), [], []),
            lookup(f"/api/profiles/{PID}", {"fields[profile]": "email"}),
            lookup(f"/api/metrics/{METRIC}", {"fields[metric]": "name"}, status=404),
        ],
        "response": v1(404, "The requested resource does not exist."),
    },
    {
        "id": "E4-bad-since-timestamp",
        "request": get(PERSON_METRIC_PATH, ("since", "99999999999999999999")),
        "upstream": [],
        "response": v1(400, "Invalid since '99999999999999999999': not a usable UNIX timestamp."),
    },
    {
        "id": "E4-429-retry-after",
        "request": get(PERSON_METRIC_PATH),
        "upstream": [events_error(q(f"{BY_METRIC},{BY_PROFILE}"), 429, THROTTLED_5, {"retry-after": "5"})],
        "response": v1(429, THROTTLED_5, {"retry-after": "5"}),
    },
    {
        "id": "E4-401-becomes-403",
        "request": get(PERSON_METRIC_PATH),
        "upstream": [
            events_error(q(f"{BY_METRIC},{BY_PROFILE}"), 401, "Incorrect authentication credentials.")
        ],
        "response": v1(403, "Incorrect authentication credentials."),
    },
]
