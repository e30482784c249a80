"""The filter parser and evaluator on their own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from proxy.sandbox.errors import ApiError
from proxy.sandbox.filters import Condition, FilterSyntaxError, Group, compile_filter, matches, parse, rule

RULES = {
    "email": rule("string", single="equals", many="any equals"),
    "messages.channel": rule("string", single="equals", choices="email,sms"),
    "datetime": rule("datetime", single="greater-or-equal less-than"),
    "archived": rule("boolean", single="equals"),
    "timestamp": rule("number", single="greater-than"),
    "name": rule("string", single="contains"),
    "profile": rule("none", single="has"),
}


def test_parses_both_quote_styles_lists_and_nesting() -> None:
    nodes = parse(
        """and(equals(messages.channel,'email'),any(email,["a@b.co","c\\"d@e.co"])),equals(x,"y")"""
    )
    assert nodes == (
        Group(
            "and",
            (
                Condition("equals", "messages.channel", "email"),
                Condition("any", "email", ["a@b.co", 'c"d@e.co']),
            ),
        ),
        Condition("equals", "x", "y"),
    )


def test_parses_bare_values() -> None:
    [dt, flag, number, nothing] = parse(
        "greater-or-equal(datetime,2024-01-13T00:00:00+00:00),equals(archived,false),"
        "greater-than(timestamp,1.5),equals(x,null)"
    )
    assert isinstance(dt, Condition) and dt.value == datetime(2024, 1, 13, tzinfo=UTC)
    assert isinstance(flag, Condition) and flag.value is False
    assert isinstance(number, Condition) and number.value == 1.5
    assert isinstance(nothing, Condition) and nothing.value is None


def test_unencoded_plus_in_a_datetime_is_tolerated() -> None:
    [node] = parse("less-than(datetime,2024-01-13T00:00:00 00:00)")
    assert isinstance(node, Condition) and node.value == datetime(2024, 1, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "equals(email",
        "equals(email,)",
        "nope(email,'x')",
        "equals(email,'x'",
        "equals(,'x')",
        "equals(email,'x') trailing",
        "equals(email,bare-word)",
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(FilterSyntaxError):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "equals(first_name,'x')",  # field not allowed
        "any(messages.channel,['email'])",  # list form not allowed
        "equals(messages.channel,'fax')",  # not one of the enum values
        "equals(archived,'false')",  # boolean expected
        "greater-or-equal(datetime,'soon')",
        "less-or-equal(datetime,2024-01-01T00:00:00Z)",  # operator not allowed for the field
    ],
)
def test_validation_errors_name_the_filter_parameter(text: str) -> None:
    with pytest.raises(ApiError) as caught:
        compile_filter(text, RULES)
    assert caught.value.status == 400 and caught.value.parameter == "filter"


def test_evaluation() -> None:
    record: dict[str, Any] = {
        "email": "a@b.co",
        "datetime": "2024-01-02T00:00:00+00:00",
        "archived": False,
        "timestamp": 10,
        "name": "Spring Sale",
        "profile": "01X",
        "messages.channel": "email",
    }

    def check(text: str) -> bool:
        return matches(compile_filter(text, RULES), record.get)

    assert check("equals(email,'a@b.co')")
    assert check('equals(email,["x@y.z","a@b.co"])')
    assert not check('any(email,["x@y.z"])')
    assert check(
        "greater-or-equal(datetime,2024-01-02T00:00:00+00:00),less-than(datetime,2024-01-03T00:00:00Z)"
    )
    assert not check("less-than(datetime,2024-01-02T00:00:00+00:00)")
    assert check("equals(archived,false),greater-than(timestamp,9)")
    assert check("contains(name,'sale')")
    assert check("has(profile)")
    assert check("and(equals(messages.channel,'email'),equals(archived,false))")
    assert matches(parse("or(equals(email,'no'),equals(email,'a@b.co'))"), record.get)
    assert matches(parse("not(equals(email,'no'))"), record.get)
