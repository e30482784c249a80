"""Golden error cases for A1-A4 (track / identify): 401, 409 and 429 from upstream.

Legacy track/identify never answered an error status: ``0`` (HTTP 200, text/html, CORS) means
"rejected". The mappings keep that for every upstream error, with one exception: a POST
(A2/A4) passes a 429 through with ``Retry-After`` so a server-side caller can back off (GET
is a browser beacon, so A1/A3 answer ``0`` for a 429 too). A 401 can only happen server-side
(the token is mapped to a private key in ``token_keys``, and that key is refused): it answers
``0`` like every other upstream error, since the legacy contract has no 403 here.
Format: tests/mappings/test_golden.py.
"""

from __future__ import annotations

import json
from typing import Any

from tests.mappings.golden.track_identify import (
    IDENTIFY,
    IDENTIFY_PROFILE,
    SERVER,
    TRACK,
    TRACK_EVENT,
    b64,
    client_profile,
    get_track,
    profile_import,
    server_event,
    throttle,
)

CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, GET, OPTIONS",
    "access-control-allow-credentials": "true",
}
ZERO = {"status": 200, "headers": {"content-type": "text/html; charset=utf-8", **CORS}, "text": "0"}
UNAUTHORIZED = {
    "status": 401,
    "headers": {},
    "json": {
        "errors": [
            {
                "id": "x",
                "status": 401,
                "code": "not_authenticated",
                "title": "Authentication credentials were not provided.",
                "detail": "Incorrect authentication credentials.",
            }
        ]
    },
}
DUPLICATE = {
    "status": 409,
    "headers": {},
    "json": {
        "errors": [
            {
                "id": "x",
                "status": 409,
                "code": "duplicate_profile",
                "title": "Conflict.",
                "detail": "A profile already exists with one of these identifiers.",
                "meta": {"duplicate_profile_id": "01GDDKASAP8TKDDA2GRZDSVP4H"},
            }
        ]
    },
}


def identify_get(payload: Any) -> dict[str, Any]:
    return {"method": "GET", "path": "/api/identify", "query": [("data", b64(payload))]}


def post(path: str, payload: Any) -> dict[str, Any]:
    return {"method": "POST", "path": path, "form": [("data", json.dumps(payload))]}


CASES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ A1 GET /api/track
    {
        # The operator's private key for this token is refused: the beacon answers 0.
        "id": "A1-get-server-side-401-answers-0",
        "settings": SERVER,
        **get_track(TRACK, [server_event(TRACK_EVENT, UNAUTHORIZED)], ZERO),
    },
    {
        "id": "A1-get-server-side-429-answers-0-beacon",
        "settings": SERVER,
        **get_track(TRACK, [server_event(TRACK_EVENT, throttle("5"))], ZERO),
    },
    # ------------------------------------------------------------------ A2 POST /api/track
    {
        "id": "A2-post-server-side-401-answers-0",
        "settings": SERVER,
        "request": post("/api/track", TRACK),
        "upstream": [server_event(TRACK_EVENT, UNAUTHORIZED)],
        "response": ZERO,
    },
    {
        "id": "A2-post-server-side-429-passed-through",
        "settings": SERVER,
        "request": post("/api/track", TRACK),
        "upstream": [server_event(TRACK_EVENT, throttle("9"))],
        "response": {
            "status": 429,
            "headers": {"retry-after": "9", **CORS},
            "json": {"detail": "Request was throttled. Expected available in 9.0 seconds."},
        },
    },
    # ------------------------------------------------------------------ A3 GET /api/identify
    {
        # Identifiers belonging to two different profiles: answered 0 (IDENTIFY_LOST).
        "id": "A3-get-server-side-409-duplicate-answers-0",
        "settings": SERVER,
        "request": identify_get(IDENTIFY),
        "upstream": [profile_import(IDENTIFY_PROFILE, DUPLICATE)],
        "response": ZERO,
    },
    {
        "id": "A3-get-429-answers-0-beacon",
        "request": identify_get(IDENTIFY),
        "upstream": [client_profile(IDENTIFY_PROFILE, throttle("4"))],
        "response": ZERO,
    },
    {
        "id": "A3-get-server-side-401-answers-0",
        "settings": SERVER,
        "request": identify_get(IDENTIFY),
        "upstream": [profile_import(IDENTIFY_PROFILE, UNAUTHORIZED)],
        "response": ZERO,
    },
    # ------------------------------------------------------------------ A4 POST /api/identify
    {
        "id": "A4-post-server-side-401-answers-0",
        "settings": SERVER,
        "request": post("/api/identify", IDENTIFY),
        "upstream": [profile_import(IDENTIFY_PROFILE, UNAUTHORIZED)],
        "response": ZERO,
    },
    {
        "id": "A4-post-server-side-429-passed-through",
        "settings": SERVER,
        "request": post("/api/identify", IDENTIFY),
        "upstream": [profile_import(IDENTIFY_PROFILE, throttle("30"))],
        "response": {
            "status": 429,
            "headers": {"retry-after": "30", **CORS},
            "json": {"detail": "Request was throttled. Expected available in 30.0 seconds."},
        },
    },
]
