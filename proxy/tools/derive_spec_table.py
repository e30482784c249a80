"""Derive the compact upstream-operation table from an OpenAPI document.

Usage::

    python -m proxy.tools.derive_spec_table tests/vendor/openapi/stable.json \
        --beta tests/vendor/openapi/beta/create_template_preview_send_job_beta.json \
        > mappings/upstream_ops.py

The output is a plain Python module (no I/O at import) listing, per operation id: HTTP
method, path template, rate limit (burst/steady), scopes, the query parameter names the
operation accepts, its documented success statuses, the JSON:API resource type its success
answer carries and that resource's creation/update timestamp attributes. The registry
validates every mapping against it at start-up; dry-run mode uses the last three to
simulate a write's answer (``proxy.policy.dry_run``).

Each ``--beta`` document (one beta operation of Klaviyo's per-operation beta files, vendored
beside the pinned spec) adds a row to ``BETA_OPERATIONS``: the same columns plus the beta
``revision`` the document describes and its ``daily`` rate limit. Beta operations are called
only by opted-in mappings, with the operator's ``beta_revision`` (``proxy.engine.upstream``).
The stable table does not depend on them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")
STAMP_PREFIXES = ("created", "updated")


def _schema(spec: dict[str, Any], node: Any, depth: int = 0) -> dict[str, Any]:
    """``node`` with ``$ref`` followed and ``allOf`` parts merged (properties of every part)."""
    if not isinstance(node, dict) or depth > 20:
        return {}
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        return _schema(spec, spec.get("components", {}).get("schemas", {}).get(name), depth + 1)
    if "allOf" in node:
        out: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        props: dict[str, Any] = dict(out.get("properties", {}))
        for part in node["allOf"]:
            resolved = _schema(spec, part, depth + 1)
            for key, value in resolved.items():
                if key == "properties":
                    props.update(value)
                else:
                    out.setdefault(key, value)
        out["properties"] = props
        return out
    return node


def _resource(spec: dict[str, Any], op: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """The JSON:API type of the success answer's ``data`` and its created/updated date-times."""
    for status, response in sorted(op.get("responses", {}).items()):
        if not status.startswith("2") or not isinstance(response, dict):
            continue
        for content in response.get("content", {}).values():
            document = _schema(spec, content.get("schema"))
            data = _schema(spec, document.get("properties", {}).get("data"))
            if data.get("type") == "array":
                data = _schema(spec, data.get("items"))
            props = data.get("properties", {})
            enum = _schema(spec, props.get("type")).get("enum") or []
            if len(enum) != 1:
                continue
            attributes = _schema(spec, props.get("attributes")).get("properties", {})
            stamps = tuple(
                sorted(
                    name
                    for name, schema in attributes.items()
                    if name.startswith(STAMP_PREFIXES) and _schema(spec, schema).get("format") == "date-time"
                )
            )
            return str(enum[0]), stamps
    return None, ()


def derive(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for path, item in sorted(spec["paths"].items()):
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            params = [p for p in op.get("parameters", []) + item.get("parameters", []) if "name" in p]
            rate = op.get("x-klaviyo-ratelimit") or {}
            kind, stamps = _resource(spec, op)
            table[op["operationId"]] = {
                "method": method.upper(),
                "path": path,
                "burst": rate.get("burst", ""),
                "steady": rate.get("steady", ""),
                "scopes": tuple(op.get("x-klaviyo-scopes", [])),
                "query": tuple(sorted(p["name"] for p in params if p.get("in") == "query")),
                "beta": str(op.get("x-klaviyo-pre-release", "None")) not in ("None", "False", "false", ""),
                "success": tuple(
                    sorted(int(s) for s in op.get("responses", {}) if s.isdigit() and s[0] == "2")
                ),
                "type": kind,
                "stamps": stamps,
            }
    return table


def derive_beta(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``derive`` of a beta document, each row also naming its revision and daily rate limit."""
    table: dict[str, dict[str, Any]] = {}
    for op_id, row in derive(spec).items():
        method, path = row["method"], row["path"]
        rate = spec["paths"][path][method.lower()].get("x-klaviyo-ratelimit") or {}
        rest = {k: v for k, v in row.items() if k not in ("method", "path", "burst", "steady")}
        table[op_id] = {
            "method": method,
            "path": path,
            "revision": str(spec["info"]["version"]),
            "burst": row["burst"],
            "steady": row["steady"],
            "daily": rate.get("daily", ""),
            **rest,
        }
    return table


def render_beta(beta_paths: Sequence[Path]) -> list[str]:
    lines = [
        "",
        "# Beta operations (one vendored per-operation beta document each), called only by opted-in",
        "# mappings and sent with the operator's beta_revision; the stable table above ignores them.",
        "BETA_SHA256: dict[str, str] = {",
    ]
    rows: dict[str, dict[str, Any]] = {}
    for beta_path in beta_paths:
        raw = beta_path.read_bytes()
        lines.append(f"    {beta_path.name!r}: {hashlib.sha256(raw).hexdigest()!r},")
        rows.update(derive_beta(json.loads(raw)))
    lines += ["}", "", "BETA_OPERATIONS: dict[str, dict[str, Any]] = {"]
    lines += [f"    {op_id!r}: {row!r}," for op_id, row in rows.items()]
    lines.append("}")
    return lines


def render(spec_path: Path, beta_paths: Sequence[Path] = ()) -> str:
    raw = spec_path.read_bytes()
    spec = json.loads(raw)
    table = derive(spec)
    lines = [
        '"""Upstream operations of the new Klaviyo API, derived from the pinned OpenAPI spec.',
        "",
        "GENERATED by ``python -m proxy.tools.derive_spec_table``: do not edit by hand.",
        '"""',
        "",
        "from typing import Any",
        "",
        f"REVISION = {spec['info']['version']!r}",
        f"SPEC_SHA256 = {hashlib.sha256(raw).hexdigest()!r}",
        "",
        "SPEC_OPERATIONS: dict[str, dict[str, Any]] = {",
    ]
    for op_id, row in table.items():
        lines.append(f"    {op_id!r}: {row!r},")
    lines.append("}")
    lines += [
        "",
        "# Each operation's first tag: the official SDKs' resource (klaviyo.<Tag>, <Tag>Api).",
        "SPEC_TAGS: dict[str, str] = {",
    ]
    lines += [f"    {op_id!r}: {tag!r}," for op_id, tag in tags(spec).items()]
    lines.append("}")
    lines += [
        "",
        "# The JSON:API type of each request body's data (a minimal request example).",
        "SPEC_BODY_TYPES: dict[str, str] = {",
    ]
    lines += [f"    {op_id!r}: {kind!r}," for op_id, kind in body_types(spec).items()]
    lines.append("}")
    if beta_paths:
        lines += render_beta(beta_paths)
    return "\n".join(lines) + "\n"


def body_types(spec: dict[str, Any]) -> dict[str, str]:
    """Operation id -> the single ``data.type`` its request body accepts (operations with a body)."""
    found: dict[str, str] = {}
    for _, item in sorted(spec["paths"].items()):
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            for content in op.get("requestBody", {}).get("content", {}).values():
                data = _schema(spec, _schema(spec, content.get("schema")).get("properties", {}).get("data"))
                if data.get("type") == "array":
                    data = _schema(spec, data.get("items"))
                enum = _schema(spec, data.get("properties", {}).get("type")).get("enum") or []
                if len(enum) == 1:
                    found[op["operationId"]] = str(enum[0])
    return found


def tags(spec: dict[str, Any]) -> dict[str, str]:
    """Operation id -> its first tag (the resource the official SDKs group it under)."""
    found: dict[str, str] = {}
    for _, item in sorted(spec["paths"].items()):
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict) and "operationId" in op and op.get("tags"):
                found[op["operationId"]] = str(op["tags"][0])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument(
        "--beta", type=Path, action="append", default=[], help="a per-operation beta document (repeatable)"
    )
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.spec, args.beta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
