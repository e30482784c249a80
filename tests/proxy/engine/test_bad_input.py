"""Bad input through a real uvicorn proxy (sandbox behind it): legacy-shaped answers, never a 500.

Each family keeps its own error shape (legacy-endpoints.md §0.4): track/identify answer
``200 text/html`` ``0``; v1 ``{"status": n, "message": ...}``; v2 ``{"detail": ...}``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.harness import HTTP_TIMEOUT, Recorder, Stack, build_stack

PUBLIC = "SbX123"


@pytest.fixture(scope="module")
def stack(upstream_recorder: Recorder) -> Iterator[Stack]:
    with build_stack(upstream_recorder, source="bad-input") as running:
        yield running


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.proxy_url, timeout=HTTP_TIMEOUT, trust_env=False) as c:
        yield c


def b64(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def assert_no_traceback(response: httpx.Response) -> None:
    """Never a 500 (501 is the designed answer for an untranslated legacy path), never a trace."""
    assert response.status_code < 500 or response.status_code == 501, (
        f"{response.status_code}: {response.text[:500]}"
    )
    for marker in ("Traceback", 'File "', "Internal Server Error", "<html"):
        assert marker not in response.text, response.text[:500]


def assert_zero(response: httpx.Response) -> None:
    assert_no_traceback(response)
    assert response.status_code == 200
    assert response.headers["content-type"].lower().startswith("text/html")
    assert response.text == "0"


def assert_v1_error(response: httpx.Response, status: int) -> str:
    assert_no_traceback(response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"status", "message"} and body["status"] == status, body
    assert isinstance(body["message"], str) and body["message"]
    return str(body["message"])


def assert_v2_error(response: httpx.Response, status: int) -> str:
    assert_no_traceback(response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"], body
    return str(body["detail"])


# --------------------------------------------------------------------------- track / identify


@pytest.mark.parametrize(
    "data",
    [
        "!!!not-base64!!!",
        "eyJ0b2tlbiI6",  # truncated base64 of '{"token":'
        base64.b64encode(b"\xff\xfe\x00garbage").decode(),  # not UTF-8 JSON
        b64(["not", "an", "object"]),
        b64({"token": PUBLIC, "customer_properties": {"$email": "a@example.com"}}),  # no event
        b64({"event": "Viewed", "customer_properties": {"$email": "a@example.com"}}),  # no token
        b64(
            {"token": PUBLIC, "event": "Viewed", "customer_properties": {"$first_name": "A"}}
        ),  # no identifier
        "",
    ],
    ids=["garbage", "truncated", "not-utf8", "json-array", "no-event", "no-token", "no-identifier", "empty"],
)
def test_malformed_track_data_answers_zero_without_upstream_call(
    client: httpx.Client, stack: Stack, data: str
) -> None:
    mark = stack.recorder.mark()
    assert_zero(client.get("/api/track", params={"data": data}))
    assert_zero(client.post("/api/track", data={"data": data}))
    assert stack.recorder.since(mark) == []


def test_track_without_data_and_identify_with_bad_properties_answer_zero(client: httpx.Client) -> None:
    assert_zero(client.get("/api/track"))
    assert_zero(
        client.post("/api/identify", content=b"{not json", headers={"content-type": "application/json"})
    )
    assert_zero(client.get("/api/identify", params={"data": b64({"token": PUBLIC, "properties": "abc"})}))
    assert_zero(client.post("/api/identify", data={"data": "%%%"}))


def test_oversized_track_body_answers_zero(client: httpx.Client) -> None:
    assert_zero(client.post("/api/track", data={"data": "A" * (6 * 1024 * 1024)}))


# --------------------------------------------------------------------------- v1 / v2 errors


def test_invalid_json_body_on_v2_subscribe_is_400_detail(client: httpx.Client, stack: Stack) -> None:
    mark = stack.recorder.mark()
    response = client.post(
        "/api/v2/list/AbCdEf/subscribe",
        params={"api_key": stack.private_key},
        content=b'{"profiles": [{"email": "a@example.com"',
        headers={"content-type": "application/json"},
    )
    detail = assert_v2_error(response, 400)
    assert "json" in detail.lower()
    assert stack.recorder.since(mark) == []


@pytest.mark.parametrize(
    "body",
    [
        {"profiles": "a@example.com"},
        {"profiles": [1, 2]},
        {"profiles": [{"first_name": "No identifier"}]},
        {},
    ],
    ids=["profiles-not-list", "profiles-not-objects", "no-identifier", "no-profiles"],
)
def test_bad_subscribe_bodies_are_400_detail(
    client: httpx.Client, stack: Stack, body: dict[str, Any]
) -> None:
    response = client.post("/api/v2/list/AbCdEf/subscribe", json={**body, "api_key": stack.private_key})
    assert_v2_error(response, 400)


def test_subscribe_to_unknown_list_is_404_detail(client: httpx.Client, stack: Stack) -> None:
    response = client.post(
        "/api/v2/list/NoSuch/subscribe",
        json={"api_key": stack.private_key, "profiles": [{"email": "nobody@example.com"}]},
    )
    assert_v2_error(response, 404)


@pytest.mark.parametrize(
    "key", [None, "", "abc", "pk_short", "SbX123"], ids=["absent", "empty", "junk", "short", "public"]
)
def test_missing_or_malformed_key_on_v1_person_is_403(client: httpx.Client, key: str | None) -> None:
    params = {} if key is None else {"api_key": key}
    assert_v1_error(client.get("/api/v1/person/01ABCDEFGHJKMNPQRSTVWXYZ00", params=params), 403)
    assert_v1_error(
        client.put("/api/v1/person/01ABCDEFGHJKMNPQRSTVWXYZ00", params={**params, "$city": "X"}), 403
    )


def test_missing_key_on_v2_is_403_detail(client: httpx.Client) -> None:
    response = client.post("/api/v2/list/AbCdEf/subscribe", json={"profiles": [{"email": "a@example.com"}]})
    assert_v2_error(response, 403)


def test_missing_key_on_v1_campaigns_is_403(client: httpx.Client) -> None:
    assert_v1_error(client.get("/api/v1/campaigns", params={"page": 0, "count": 3}), 403)


@pytest.mark.parametrize(
    ("params", "status"),
    [({"page": "-1"}, 400), ({"count": "0"}, 400), ({"count": "abc"}, 400), ({"count": "101"}, 400)],
)
def test_bad_campaign_paging_is_v1_400(
    client: httpx.Client, stack: Stack, params: dict[str, str], status: int
) -> None:
    assert_v1_error(client.get("/api/v1/campaigns", params={**params, "api_key": stack.private_key}), status)


def test_unknown_person_is_v1_404(client: httpx.Client, stack: Stack) -> None:
    response = client.get("/api/v1/person/01ZZZZZZZZZZZZZZZZZZZZZZZZ", params={"api_key": stack.private_key})
    assert assert_v1_error(response, 404) == "The requested resource does not exist."


# --------------------------------------------------------------------------- unknown legacy paths


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/flows"), ("GET", "/api/v1/flow/abc/actions"), ("DELETE", "/api/v1/person/01ABC")],
)
def test_unknown_v1_path_is_a_clear_v1_error(
    client: httpx.Client, stack: Stack, method: str, path: str
) -> None:
    response = client.request(method, path, params={"api_key": stack.private_key})
    assert 400 <= response.status_code < 600 and response.status_code != 500
    message = assert_v1_error(response, response.status_code)
    assert path in message and "klaviyo-compat" in message, message


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v2/whatever"), ("POST", "/api/v2/list/abc/nonsense")]
)
def test_unknown_v2_path_is_a_clear_v2_error(
    client: httpx.Client, stack: Stack, method: str, path: str
) -> None:
    response = client.request(method, path, json={"api_key": stack.private_key})
    assert 400 <= response.status_code < 600 and response.status_code != 500
    detail = assert_v2_error(response, response.status_code)
    assert path in detail and "klaviyo-compat" in detail, detail


# --------------------------------------------------------------------------- nothing ever 500s


ODD_REQUESTS: list[Any] = [
    (
        "POST",
        "/api/track",
        {"content": b"\xff\xfe\xfa", "headers": {"content-type": "application/x-www-form-urlencoded"}},
    ),
    ("POST", "/api/track", {"content": b"[1, 2, 3]", "headers": {"content-type": "application/json"}}),
    ("POST", "/api/track", {"content": b"null", "headers": {"content-type": "application/json"}}),
    (
        "POST",
        "/api/identify",
        {"content": b'"just a string"', "headers": {"content-type": "application/json"}},
    ),
    ("GET", "/api/identify", {"params": {"data": b64({"token": PUBLIC, "properties": {"$email": 12345}})}}),
    (
        "GET",
        "/api/track",
        {
            "params": {
                "data": b64(
                    {"token": PUBLIC, "event": ["x"], "customer_properties": {"$email": "a@example.com"}}
                )
            }
        },
    ),
    (
        "GET",
        "/api/track",
        {
            "params": {
                "data": b64(
                    {
                        "token": PUBLIC,
                        "event": "E",
                        "customer_properties": {"$email": "a@example.com"},
                        "time": "yesterday",
                    }
                )
            }
        },
    ),
    (
        "GET",
        "/api/track",
        {"params": {"data": b64({"token": PUBLIC, "event": "E", "customer_properties": "a@example.com"})}},
    ),
    (
        "PUT",
        "/api/v1/person/01ZZZZZZZZZZZZZZZZZZZZZZZZ",
        {"params": {"$unset": "[not json", "$email": "not-an-email"}},
    ),
    ("PUT", "/api/v1/person/%00%01", {"params": {"$first_name": "X"}}),
    ("GET", "/api/v1/person/" + "x" * 2000, {}),
    ("GET", "/api/v1/campaigns", {"params": {"page": "99999999999999999999", "count": "3"}}),
    (
        "POST",
        "/api/v2/list/AbCdEf/subscribe",
        {"content": b"profiles=abc", "headers": {"content-type": "application/x-www-form-urlencoded"}},
    ),
    (
        "POST",
        "/api/v2/list/AbCdEf/subscribe",
        {"content": b"[]", "headers": {"content-type": "application/json"}},
    ),
    ("POST", "/api/v2/list/%2F..%2F/subscribe", {"json": {"profiles": [{"email": "a@example.com"}]}}),
    (
        "POST",
        "/api/v2/list/AbCdEf/subscribe",
        {
            "json": {
                "profiles": [
                    {"email": "a@example.com", "phone_number": "not a phone", "sms_consent": "maybe"}
                ]
            }
        },
    ),
]


def _odd_id(case: Any) -> str:
    method, path, _ = case.values if hasattr(case, "values") else case
    return f"{method} {path[:40]}"


@pytest.mark.parametrize(("method", "path", "kwargs"), ODD_REQUESTS, ids=[_odd_id(c) for c in ODD_REQUESTS])
def test_odd_input_never_500s(
    client: httpx.Client, stack: Stack, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    kwargs = dict(kwargs)
    headers = {**kwargs.pop("headers", {}), "api-key": stack.private_key}
    response = client.request(method, path, headers=headers, **kwargs)
    assert_no_traceback(response)
    if path.startswith(("/api/track", "/api/identify")):
        assert response.headers["content-type"].startswith("text/html") and response.text in ("0", "1")
    else:
        assert response.headers["content-type"].startswith("application/json"), response.headers
        body = response.json()
        if response.status_code >= 400:
            assert (set(body) == {"detail"}) if "/v2/" in path else (set(body) == {"status", "message"}), body


def test_deeply_nested_subscribe_property_is_a_400_not_a_500(client: httpx.Client, stack: Stack) -> None:
    list_id = stack.store.add_list("Deep", "single_opt_in").id
    nested = b"[" * 600 + b"]" * 600
    response = client.post(
        f"/api/v2/list/{list_id}/subscribe",
        params={"api_key": stack.private_key},
        content=b'{"profiles": [{"email": "deep@example.com", "D": ' + nested + b"}]}",
        headers={"content-type": "application/json"},
    )
    assert_v2_error(response, 400)
