from datetime import UTC, datetime
from typing import Any

import pytest

from proxy.engine.parse import BadLegacyRequest, Parsed, parse

KEY = "pk_" + "0" * 34


def _parse(**kw: Any) -> Parsed:
    base: dict[str, Any] = {
        "method": "GET",
        "path": "/api/v2/x",
        "path_params": {},
        "query_items": [],
        "headers": {},
        "body": b"",
        "server_side_tokens": frozenset(),
        "now": datetime(2026, 1, 15, 12, tzinfo=UTC),
    }
    base.update(kw)
    return parse(**base)


def test_key_order_header_query_json_form_and_stripped() -> None:
    p = _parse(
        headers={"api-key": "pk_header", "content-type": "application/json"},
        query_items=[("api_key", "pk_query"), ("a", "1")],
        body=b'{"api_key": "pk_json", "b": 2}',
    )
    assert p.private_key == "pk_header"
    assert "api_key" not in p.request.params
    assert p.request.json == {"b": 2}
    assert p.request.get("a") == "1" and p.request.get("b") == 2


def test_json_body_on_get_is_merged() -> None:
    p = _parse(
        body=b'{"emails": ["a@b.c"], "api_key": "%s"}' % KEY.encode(),
        headers={"content-type": "application/json"},
    )
    assert p.private_key == KEY
    assert p.request.get("emails") == ["a@b.c"]


def test_json_body_without_content_type_is_detected() -> None:
    p = _parse(body=b'{"list_name": "x"}')
    assert p.request.get("list_name") == "x"


def test_form_body_and_repeated_query_params() -> None:
    p = _parse(
        method="PUT",
        query_items=[("$unset", "a"), ("$unset", "b")],
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"list_name=New+name&api_key=" + KEY.encode(),
    )
    assert p.private_key == KEY
    assert p.request.get_all("$unset") == ["a", "b"]
    assert p.request.get("list_name") == "New name"


def test_php_nulls_mean_not_supplied() -> None:
    p = _parse(body=b'{"email": "a@b.c", "email2": null}', headers={"content-type": "application/json"})
    assert p.request.get("email2") is None
    assert p.request.get("email2", "dflt") == "dflt"


def test_invalid_json_is_a_bad_request() -> None:
    with pytest.raises(BadLegacyRequest, match="JSON"):
        _parse(body=b"{not json", headers={"content-type": "application/json"})


def test_oversized_body_is_refused() -> None:
    with pytest.raises(BadLegacyRequest) as exc:
        _parse(body=b"x" * (5 * 1024 * 1024 + 1))
    assert exc.value.status == 413
