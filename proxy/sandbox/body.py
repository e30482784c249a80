"""Request-body checks: the JSON:API envelope, resource type, and typed attribute access.

Every failure is a 400 whose ``source.pointer`` names the offending member, as Klaviyo does.
"""

from __future__ import annotations

from typing import Any

from proxy.sandbox.errors import invalid, required
from proxy.sandbox.ids import parse_iso


def data_object(
    body: Any, type_: str, *, need_id: bool = False, path_id: str | None = None
) -> dict[str, Any]:
    """The ``data`` member of a single-resource document, checked for type and id."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.", pointer="/data")
    data = body.get("data")
    if data is None:
        raise required("/data")
    if not isinstance(data, dict):
        raise invalid("'data' must be an object.", pointer="/data")
    check_type(data, type_, "/data")
    if need_id:
        ident = data.get("id")
        if not isinstance(ident, str) or not ident:
            raise required("/data/id")
        if path_id is not None and ident != path_id:
            raise invalid("The id in the body does not match the id in the URL.", pointer="/data/id")
    return data


def check_type(obj: dict[str, Any], type_: str, pointer: str) -> None:
    actual = obj.get("type")
    if actual is None:
        raise required(f"{pointer}/type")
    if actual != type_:
        raise invalid(
            f"The type '{actual}' does not match the expected type '{type_}'.", pointer=f"{pointer}/type"
        )


def attributes(data: dict[str, Any], pointer: str = "/data", *, needed: bool = True) -> dict[str, Any]:
    attrs = data.get("attributes")
    if attrs is None:
        if needed:
            raise required(f"{pointer}/attributes")
        return {}
    if not isinstance(attrs, dict):
        raise invalid("'attributes' must be an object.", pointer=f"{pointer}/attributes")
    return attrs


def string(attrs: dict[str, Any], name: str, pointer: str, *, needed: bool = False) -> str | None:
    value = attrs.get(name)
    if value is None:
        if needed:
            raise required(f"{pointer}/{name}")
        return None
    if not isinstance(value, str):
        raise invalid(f"'{name}' must be a string.", pointer=f"{pointer}/{name}")
    if needed and not value.strip():
        raise invalid(f"'{name}' may not be blank.", pointer=f"{pointer}/{name}")
    return value


def obj(attrs: dict[str, Any], name: str, pointer: str, *, needed: bool = False) -> dict[str, Any] | None:
    value = attrs.get(name)
    if value is None:
        if needed:
            raise required(f"{pointer}/{name}")
        return None
    if not isinstance(value, dict):
        raise invalid(f"'{name}' must be an object.", pointer=f"{pointer}/{name}")
    return value


def boolean(attrs: dict[str, Any], name: str, pointer: str) -> bool | None:
    value = attrs.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(f"'{name}' must be a boolean.", pointer=f"{pointer}/{name}")
    return value


def string_list(attrs: dict[str, Any], name: str, pointer: str) -> list[str] | None:
    value = attrs.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(f"'{name}' must be a list of strings.", pointer=f"{pointer}/{name}")
    return list(value)


def datetime_text(attrs: dict[str, Any], name: str, pointer: str, *, needed: bool = False) -> str | None:
    """Validated ISO-8601 timestamp, returned as given."""
    value = string(attrs, name, pointer, needed=needed)
    if value is not None and parse_iso(value) is None:
        raise invalid(f"'{value}' is not a valid ISO-8601 datetime.", pointer=f"{pointer}/{name}")
    return value


def choice(
    attrs: dict[str, Any], name: str, pointer: str, options: tuple[str, ...], *, needed: bool = False
) -> str | None:
    value = string(attrs, name, pointer, needed=needed)
    if value is not None and value not in options:
        raise invalid(
            f"'{value}' is not a valid choice for '{name}'; expected one of {', '.join(options)}.",
            pointer=f"{pointer}/{name}",
        )
    return value


def identifiers(body: Any, type_: str, pointer: str = "/data") -> list[str]:
    """The ids of a to-many relationship document ``{"data": [{"type", "id"}, ...]}``."""
    if not isinstance(body, dict) or "data" not in body:
        raise required(pointer)
    items = body["data"]
    if not isinstance(items, list):
        raise invalid("'data' must be a list of resource identifiers.", pointer=pointer)
    ids: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid("Each item must be a resource identifier.", pointer=f"{pointer}/{index}")
        check_type(item, type_, f"{pointer}/{index}")
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            raise required(f"{pointer}/{index}/id")
        ids.append(ident)
    return ids
