"""The ``filter`` query language: parser, per-endpoint validation and evaluation.

Grammar (what Klaviyo documents, plus both quote styles seen in real traffic)::

    filter     := expression ("," expression)*          -- commas mean AND
    expression := "and(" filter ")" | "or(" filter ")" | "not(" expression ")"
                | operator "(" field ["," value] ")"
    value      := "..." | '...' | "[" [value ("," value)*] "]"
                | true | false | null | number | ISO-8601 datetime (unquoted)

Each endpoint declares which field/operator pairs it allows and what type the value has
(mirroring the spec's ``x-klaviyo-filters``); anything else is a 400 naming ``filter``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from proxy.sandbox.errors import invalid
from proxy.sandbox.ids import parse_iso

_NAIVE_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.]+")
_OFFSET_AFTER_SPACE = re.compile(r" \d{2}:\d{2}")
COMPARISONS = ("greater-than", "greater-or-equal", "less-than", "less-or-equal")
OPERATORS = ("equals", "any", "contains-any", "contains", "has", "starts-with", "ends-with", *COMPARISONS)


@dataclass(frozen=True)
class Condition:
    op: str
    field: str
    value: Any = None


@dataclass(frozen=True)
class Group:
    op: str  # "and" | "or" | "not"
    parts: tuple[Node, ...]


Node = Condition | Group


@dataclass(frozen=True)
class FieldRule:
    """Allowed operators for one field: ``single`` take a scalar, ``many`` a list."""

    kind: str  # "string" | "email" (case-insensitive) | "datetime" | "number" | "boolean" | "none"
    single: frozenset[str] = frozenset()
    many: frozenset[str] = frozenset()
    choices: frozenset[str] = frozenset()


def rule(kind: str, single: str = "", many: str = "", choices: str = "") -> FieldRule:
    return FieldRule(
        kind, frozenset(single.split()), frozenset(many.split()), frozenset(choices.split(",")) - {""}
    )


class FilterSyntaxError(ValueError):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> FilterSyntaxError:
        return FilterSyntaxError(f"{message} at position {self.pos} of {self.text!r}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1

    def word(self) -> str:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",()[]\"' ":
            self.pos += 1
        return self.text[start : self.pos]

    def parse(self) -> tuple[Node, ...]:
        nodes = self.sequence()
        if self.peek():
            raise self.error("unexpected trailing text")
        return nodes

    def sequence(self) -> tuple[Node, ...]:
        nodes = [self.expression()]
        while self.peek() == ",":
            self.pos += 1
            nodes.append(self.expression())
        return tuple(nodes)

    def expression(self) -> Node:
        name = self.word().lower()
        self.expect("(")
        if name in ("and", "or"):
            group = Group(name, self.sequence())
        elif name == "not":
            group = Group("not", (self.expression(),))
        elif name in OPERATORS:
            field = self.word()
            if not field:
                raise self.error("missing field name")
            value: Any = None
            if name != "has":
                self.expect(",")
                value = self.value()
            self.expect(")")
            return Condition(name, field, value)
        else:
            raise self.error(f"unknown operator {name!r}")
        self.expect(")")
        return group

    def value(self) -> Any:
        char = self.peek()
        if char in ("'", '"'):
            return self.quoted(char)
        if char == "[":
            self.pos += 1
            items: list[Any] = []
            if self.peek() == "]":
                self.pos += 1
                return items
            items.append(self.value())
            while self.peek() == ",":
                self.pos += 1
                items.append(self.value())
            self.expect("]")
            return items
        token = self.word()
        # An un-encoded '+' of a UTC offset arrives as a space: "...T00:00:00 00:00".
        if _NAIVE_DATETIME.fullmatch(token) and _OFFSET_AFTER_SPACE.match(self.text, self.pos):
            token += "+" + self.text[self.pos + 1 : self.pos + 6]
            self.pos += 6
        return self.bare(token)

    def quoted(self, quote: str) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
            elif char == quote:
                return "".join(out)
            else:
                out.append(char)
        raise self.error("unterminated string")

    def bare(self, token: str) -> Any:
        if not token:
            raise self.error("missing value")
        lowered = token.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        try:
            return int(token)
        except ValueError:
            pass
        try:
            return float(token)
        except ValueError:
            pass
        moment = parse_iso(token)
        if moment is None:
            raise self.error(f"cannot read value {token!r}")
        return moment


def parse(text: str) -> tuple[Node, ...]:
    """Parse a filter string into AND-ed nodes. Raises FilterSyntaxError."""
    if not text.strip():
        return ()
    return _Parser(text).parse()


def _coerce(value: Any, kind: str, field: str) -> Any:
    if kind == "datetime":
        moment = (
            value if isinstance(value, datetime) else parse_iso(value) if isinstance(value, str) else None
        )
        if moment is None:
            raise invalid(f"{field} expects an ISO-8601 datetime, got {value!r}.", parameter="filter")
        return moment
    if kind == "number" and not (isinstance(value, int | float) and not isinstance(value, bool)):
        raise invalid(f"{field} expects a number, got {value!r}.", parameter="filter")
    if kind == "boolean" and not isinstance(value, bool):
        raise invalid(f"{field} expects true or false, got {value!r}.", parameter="filter")
    if kind in ("string", "email") and not isinstance(value, str):
        raise invalid(f"{field} expects a quoted string, got {value!r}.", parameter="filter")
    return value.lower() if kind == "email" else value


def _validate(node: Node, rules: Mapping[str, FieldRule]) -> Node:
    if isinstance(node, Group):
        return Group(node.op, tuple(_validate(part, rules) for part in node.parts))
    field_rule = rules.get(node.field)
    if field_rule is None:
        raise invalid(f"'{node.field}' is not a valid field for this resource.", parameter="filter")
    if node.op == "has":
        if node.op not in field_rule.single | field_rule.many:
            raise invalid(f"'has' is not a valid operator for '{node.field}'.", parameter="filter")
        return node
    if isinstance(node.value, list):
        # equals with a one-item list and any are interchangeable; both need the list form.
        if node.op not in field_rule.many:
            raise invalid(f"'{node.op}' with a list is not valid for '{node.field}'.", parameter="filter")
        values = [_coerce(v, field_rule.kind, node.field) for v in node.value]
        _check_choices(values, field_rule, node.field)
        return Condition(node.op, node.field, values)
    # A scalar equals is accepted wherever the list form of equals is (same meaning).
    if node.op not in field_rule.single and not (node.op == "equals" and "equals" in field_rule.many):
        raise invalid(f"'{node.op}' is not a valid operator for '{node.field}'.", parameter="filter")
    value = _coerce(node.value, field_rule.kind, node.field)
    _check_choices([value], field_rule, node.field)
    return Condition(node.op, node.field, value)


def _check_choices(values: list[Any], field_rule: FieldRule, field: str) -> None:
    for value in values:
        if field_rule.choices and value not in field_rule.choices:
            allowed = ", ".join(sorted(field_rule.choices))
            raise invalid(
                f"'{value}' is not a valid value for {field}; expected one of {allowed}.", parameter="filter"
            )


def compile_filter(text: str | None, rules: Mapping[str, FieldRule]) -> tuple[Node, ...]:
    """Parse and validate ``text`` for an endpoint; 400 (parameter ``filter``) when invalid."""
    if text is None:
        return ()
    try:
        nodes = parse(text)
    except FilterSyntaxError as exc:
        raise invalid(f"Invalid filter provided: {exc}.", parameter="filter") from None
    return tuple(_validate(node, rules) for node in nodes)


def conditions(nodes: tuple[Node, ...]) -> list[Condition]:
    """Top-level AND-ed conditions, flattening ``and(...)`` (for required-filter checks)."""
    out: list[Condition] = []
    for node in nodes:
        if isinstance(node, Condition):
            out.append(node)
        elif node.op == "and":
            out.extend(conditions(node.parts))
    return out


Getter = Callable[[str], Any]
T = TypeVar("T")


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    if isinstance(expected, datetime):
        moment = (
            actual if isinstance(actual, datetime) else parse_iso(actual) if isinstance(actual, str) else None
        )
        return None if moment is None else (moment, expected)
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return actual, expected
    if isinstance(actual, str) and isinstance(expected, str):
        return actual, expected
    return None


def _one(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, list):
        # multi-valued fields (push tokens, suppressions): match when any element matches
        return expected in actual if op == "contains" else any(_one(item, op, expected) for item in actual)
    if op == "equals":
        if isinstance(expected, list):
            return any(_one(actual, "equals", item) for item in expected)
        pair = _comparable(actual, expected)
        return pair is not None and pair[0] == pair[1]
    if op in ("any", "contains-any"):  # reporting filters spell "any" as "contains-any"
        return any(_one(actual, "equals", item) for item in expected)
    if op == "contains":
        return isinstance(actual, str) and isinstance(expected, str) and expected.lower() in actual.lower()
    if op == "starts-with":
        return isinstance(actual, str) and actual.startswith(str(expected))
    if op == "ends-with":
        return isinstance(actual, str) and actual.endswith(str(expected))
    pair = _comparable(actual, expected)
    if pair is None:
        return False
    left, right = pair
    outcome: bool = {
        "greater-than": left > right,
        "greater-or-equal": left >= right,
        "less-than": left < right,
        "less-or-equal": left <= right,
    }[op]
    return outcome


def _node_matches(node: Node, get: Getter) -> bool:
    if isinstance(node, Group):
        if node.op == "or":
            return any(_node_matches(part, get) for part in node.parts)
        if node.op == "not":
            return not _node_matches(node.parts[0], get)
        return all(_node_matches(part, get) for part in node.parts)
    actual = get(node.field)
    if node.op == "has":
        return actual is not None
    return _one(actual, node.op, node.value)


def matches(nodes: tuple[Node, ...], get: Getter) -> bool:
    """True when the record (read through ``get(field)``) satisfies every node."""
    return all(_node_matches(node, get) for node in nodes)


def select(items: Iterable[T], nodes: tuple[Node, ...], value: Callable[[T, str], Any]) -> list[T]:
    """The items matching ``nodes``; ``value(item, field)`` reads a field of an item."""
    if not nodes:
        return list(items)
    return [item for item in items if matches(nodes, lambda name, item=item: value(item, name))]  # type: ignore[misc]
