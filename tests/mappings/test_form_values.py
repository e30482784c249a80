"""Unit tests: legacy v1 write parameters as clients send them (form, query or JSON)."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.core import LegacyRequest
from mappings.translate.form_values import BadInput, boolean, json_object, text


def req(*pairs: tuple[str, Any]) -> LegacyRequest:
    params: dict[str, list[Any]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return LegacyRequest(method="POST", path="/api/v1/x", params=params)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((("name", "Spring"),), "Spring"),
        ((("name", 12),), "12"),  # a JSON number
        ((("name", "a"), ("name", "b")), "b"),  # the last value wins (query, then body)
        ((("name", "a"), ("name", None)), "a"),  # PHP null = not supplied
        ((("name", ""),), None),
        ((), None),
    ],
)
def test_text(pairs: tuple[tuple[str, Any], ...], expected: str | None) -> None:
    assert text(req(*pairs), "name") == expected


@pytest.mark.parametrize("value", [None, ""])
def test_required_text_missing(value: Any) -> None:
    with pytest.raises(BadInput, match="The 'name' parameter is required"):
        text(req(("name", value)), "name", required=True)


@pytest.mark.parametrize("value", [{"a": 1}, ["a"], True])
def test_text_rejects_structures(value: Any) -> None:
    with pytest.raises(BadInput, match="must be a string"):
        text(req(("name", value)), "name")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("True", True),  # the generated SDK form-encodes Python booleans
        ("true", True),
        ("1", True),
        (True, True),
        (1, True),
        ("False", False),
        ("false", False),
        ("0", False),
        (False, False),
        ("", None),
        (None, None),
    ],
)
def test_boolean(value: Any, expected: bool | None) -> None:
    assert boolean(req(("flag", value)), "flag") is expected


@pytest.mark.parametrize("value", ["maybe", 2, 1.5, ["true"]])
def test_boolean_rejects(value: Any) -> None:
    with pytest.raises(BadInput, match="must be true or false"):
        boolean(req(("flag", value)), "flag")


def test_json_object_from_string_and_json_body() -> None:
    assert json_object(req(("context", '{"a": {"b": 1}}')), "context") == {"a": {"b": 1}}
    assert json_object(req(("context", {"a": 1})), "context") == {"a": 1}
    assert json_object(req(("context", "null")), "context") == {}
    assert json_object(req(), "context") == {}


def test_json_object_from_bracketed_form_keys() -> None:
    got = json_object(
        req(
            ("context[first_name]", "George"),
            ("context[order][total]", "12"),
            ("context[items][]", "a"),
            ("context[items][]", "b"),
            ("other", "x"),
        ),
        "context",
    )
    assert got == {"first_name": "George", "order": {"total": "12"}, "items": ["a", "b"]}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ((("context", "{nope"),), "must be a JSON-encoded object"),
        ((("context", "[1]"),), "must be a JSON object, not list"),
        ((("context", 3),), "must be a JSON object, not int"),
        ((("context[a]", "1"), ("context[a][b]", "2")), "mixes"),
        ((("context[]", "1"),), "mixes"),
        ((("context[a]x", "1"),), "Cannot read parameter"),
    ],
)
def test_json_object_rejects(pairs: tuple[tuple[str, Any], ...], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        json_object(req(*pairs), "context")
