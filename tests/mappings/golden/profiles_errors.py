"""Golden error cases for E1/E2 (GET / PUT /api/v1/person/{id}): 429, 401 and bad input.

The 404 and 409 cases live with the success cases in ``profiles``. Format:
tests/mappings/test_golden.py.
"""

from __future__ import annotations

from typing import Any

from tests.mappings.golden.profiles import KEY, PATH, error, get, patch, put, v1

THROTTLED = "Request was throttled. Expected available in 11 seconds."

CASES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ E1 GET person
    {
        "id": "E1-get-person-429-retry-after",
        "request": {"method": "GET", "path": PATH, "query": KEY},
        "upstream": [get(error(429, "throttled", THROTTLED, {"retry-after": "11"}))],
        "response": v1(429, THROTTLED, {"retry-after": "11"}),
    },
    # ------------------------------------------------------------------ E2 PUT person
    {
        "id": "E2-put-401-becomes-403",
        "request": put([("$first_name", "John")]),
        "upstream": [
            patch(
                {"first_name": "John"},
                error(401, "not_authenticated", "Incorrect authentication credentials."),
            )
        ],
        "response": v1(403, "Incorrect authentication credentials."),
    },
    {
        # Ruby/Node send PUT parameters as a JSON body: a truncated one never reaches upstream.
        "id": "E2-put-malformed-json-body",
        "request": put([], headers={"content-type": "application/json"}, content=b'{"$first_name": "John", '),
        "upstream": [],
        "response": v1(400, "Request body is not valid JSON."),
    },
]
