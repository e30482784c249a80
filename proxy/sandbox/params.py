"""Query parameters other than ``filter`` and paging: sort, fields[...], include, additional-fields[...]."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from proxy.sandbox.errors import invalid
from proxy.sandbox.jsonapi import Ctx

T = TypeVar("T")


def _csv(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def sort_spec(ctx: Ctx, allowed: Iterable[str]) -> tuple[str, bool] | None:
    """``sort=field`` / ``sort=-field`` -> (field, descending); 400 for fields not in ``allowed``."""
    raw = ctx.param("sort")
    if raw is None or raw == "":
        return None
    names = set(allowed)
    descending = raw.startswith("-")
    field = raw[1:] if descending else raw
    if field not in names:
        choices = ", ".join(sorted(names))
        raise invalid(
            f"'{raw}' is not a valid sort field; expected one of {choices} (prefix - for descending).",
            parameter="sort",
        )
    return field, descending


def apply_sort(items: Sequence[T], spec: tuple[str, bool] | None, key: Callable[[T, str], Any]) -> list[T]:
    """Stable sort; missing values go last ascending and first descending (as in Postgres)."""
    if spec is None:
        return list(items)
    field, descending = spec

    def sort_key(item: T) -> tuple[bool, Any]:
        value = key(item, field)
        return (value is None, value if value is not None else "")

    return sorted(items, key=sort_key, reverse=descending)


def fieldset(ctx: Ctx, type_: str, allowed: Iterable[str]) -> set[str] | None:
    """``fields[type]=a,b`` -> {"a", "b"}; None when absent (all fields)."""
    raw = ctx.param(f"fields[{type_}]")
    if raw is None:
        return None
    names = set(allowed)
    wanted = _csv(raw)
    for name in wanted:
        if name not in names:
            raise invalid(f"'{name}' is not a valid field for fields[{type_}].", parameter=f"fields[{type_}]")
    return set(wanted)


def includes(ctx: Ctx, allowed: Iterable[str]) -> set[str]:
    raw = ctx.param("include")
    if raw is None:
        return set()
    names = set(allowed)
    wanted = _csv(raw)
    for name in wanted:
        if name not in names:
            raise invalid(
                f"'{name}' is not a valid include; expected one of {', '.join(sorted(names))}.",
                parameter="include",
            )
    return set(wanted)


def additional_fields(ctx: Ctx, type_: str, allowed: Iterable[str]) -> set[str]:
    key = f"additional-fields[{type_}]"
    raw = ctx.param(key)
    if raw is None:
        return set()
    names = set(allowed)
    wanted = _csv(raw)
    for name in wanted:
        if name not in names:
            raise invalid(f"'{name}' is not a valid value for {key}.", parameter=key)
    return set(wanted)
