"""Checks recorded upstream requests against Klaviyo's pinned OpenAPI document.

openapi-core validates method + path, path/query/header parameter schemas, security (the
``Authorization: Klaviyo-API-Key`` scheme on /api endpoints) and the request body schema.
On top of it, because openapi-core lets these through, this module also requires:

* every ``required`` header parameter to be present (openapi-core accepts a missing
  ``revision`` because the spec gives it a default; the real API does not), and the
  ``revision`` value to be the spec's own ``info.version``;
* no query parameter the operation does not declare;
* ``filter`` expressions to use only the field/operator pairs of ``x-klaviyo-filters``;
* no ``Authorization`` header on ``/client/`` endpoints (a private key must never be sent
  where only the public ``company_id`` belongs);
* a JSON:API content type on every body.

One relaxation, and only one: a ``oneOf`` whose value is valid under *more than one*
alternative is accepted. The spec declares campaign ``send_options`` / ``tracking_options``
(and some assign-template content) as a ``oneOf`` of alternatives that are identical and
accept extra keys, so every value is "valid under each of" them and strict ``oneOf`` would
reject what Klaviyo accepts. Such an error proves the value matches at least one
alternative; every other schema error (no alternative matches, wrong type, missing
member, ...) still fails. The accepted ambiguities are listed in ``Verdict.tolerated``.

The spec's only server is ``https://a.klaviyo.com``: recorded requests (to the sandbox on
127.0.0.1) are validated as if sent to that host, with the same path and query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_HOST = "https://a.klaviyo.com"
JSONAPI_TYPES = ("application/vnd.api+json", "application/json")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
VENDOR = Path(__file__).resolve().parents[1] / "vendor"
# Klaviyo's GA document of revision 2026-07-15 (github.com/klaviyo/openapi at this commit), MIT.
SPEC_PATH = VENDOR / "openapi" / "stable.json"
SPEC_COMMIT = "7584f62b0a1bb36f22b22d79a3c3a0385833d1f2"
SPEC_SHA256 = "deb88f1dfad82fd530433555d3180fdc29633143d21e7347a9726cbea3fae2a9"
# Beta operations the opted-in mappings call: Klaviyo's per-operation beta documents, same
# repository and licence. The pinned commit's branch (2026-07-15) has no beta documents; these are
# from the tip of branch 2026-07-15.pre (byte-identical on main at the pinned commit's date).
BETA_DIR = VENDOR / "openapi" / "beta"
BETA_COMMIT = "7d4d14317b5816fe74dcc31165424d934781df2b"
BETA_SHA256 = {
    "create_template_preview_send_job_beta.json": "bb99533160ef626b67d7a7be61a42e130e479b7b113c3ed1ec81d0571e23e50d",
}


def reference_file(path: Path, what: str) -> Path:
    """``path``, a file vendored in ``tests/vendor``; its absence fails the test, never skips it."""
    if not path.is_file():
        pytest.fail(f"{what} not found at {path}: it is vendored in tests/vendor/ (a partial checkout?)")
    return path


def pinned_spec() -> Path:
    """The pinned OpenAPI document (``tests/vendor/openapi/stable.json``)."""
    return reference_file(SPEC_PATH, "OpenAPI spec")


def beta_specs() -> list[Path]:
    """The vendored beta documents (``tests/vendor/openapi/beta/``), in name order."""
    return [reference_file(BETA_DIR / name, "beta OpenAPI document") for name in sorted(BETA_SHA256)]


# --------------------------------------------------------------------------- request adapter


@dataclass
class SpecRequest:
    """openapi-core's ``Request`` protocol over recorded data, re-hosted on the spec's server."""

    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = SPEC_HOST

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Iterable[tuple[str, str]],
        body: bytes | None,
    ) -> SpecRequest:
        header_list = list(headers)
        content_type = next((v for k, v in header_list if k.lower() == "content-type"), "")
        return cls(
            method=method.lower(),
            path=path,
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(query)),
                header=Headers(header_list),
                cookie=ImmutableMultiDict(),
                path={},
            ),
            body=body or None,
            content_type=content_type.lower(),
        )


# --------------------------------------------------------------------------- filter syntax


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside quotes, parentheses and brackets."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


_TERM = re.compile(r"^([a-z-]+)\((.*)\)$", re.DOTALL)


def filter_problems(expression: str, allowed: Mapping[str, Any]) -> list[str]:
    """Problems with a ``filter`` value given the operation's ``x-klaviyo-filters``."""
    problems: list[str] = []
    for term in _split_top(expression):
        m = _TERM.match(term)
        if not m:
            problems.append(f"filter term {term!r} is not op(field,value)")
            continue
        op, inner = m.group(1), m.group(2)
        if op in ("and", "or", "not"):
            problems.extend(filter_problems(inner, allowed))
            continue
        args = _split_top(inner)
        if len(args) not in (1, 2):
            problems.append(f"filter term {term!r} needs a field and at most one value")
            continue
        name = args[0]
        rule = allowed.get(name)
        if rule is None:
            problems.append(f"filter field {name!r} is not filterable here (allowed: {sorted(allowed)})")
            continue
        # x-klaviyo-filters splits operators by value kind: none (has(field)), single, list.
        kind = "none" if len(args) == 1 else "list" if args[1].startswith("[") else "single"
        ops = (rule.get("operators") or {}).get(kind) or []
        if op not in ops:
            problems.append(f"filter {op}({name}, <{kind}>) not allowed; {kind} operators for {name}: {ops}")
    return problems


# --------------------------------------------------------------------------- the checker


@dataclass(frozen=True)
class Route:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int


@dataclass(frozen=True)
class OperationInfo:
    operation_id: str
    required_headers: tuple[str, ...]
    query_names: frozenset[str]
    filters: Mapping[str, Any]
    has_body: bool
    body_types: tuple[str, ...]


@dataclass
class Verdict:
    request: str
    operation_id: str | None
    problems: list[str] = field(default_factory=list)
    tolerated: list[str] = field(default_factory=list)  # ambiguous-oneOf errors accepted


AMBIGUOUS_ONE_OF = re.compile(r" is valid under each of ")


def is_ambiguous_one_of(schema_error: Any) -> bool:
    """A jsonschema error saying a value matched several ``oneOf`` alternatives (and so is valid)."""
    return (
        getattr(schema_error, "validator", None) == "oneOf"
        and isinstance(getattr(schema_error, "validator_value", None), list)
        and len(schema_error.validator_value) > 1
        and AMBIGUOUS_ONE_OF.search(str(getattr(schema_error, "message", ""))) is not None
    )


def _schema_errors(error: BaseException) -> list[Any]:
    cause = error.__cause__
    return list(getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None) or [])


def _schema_path(schema_error: Any) -> str:
    return "/".join(str(p) for p in getattr(schema_error, "absolute_path", []) or []) or "<root>"


def _template_regex(template: str) -> re.Pattern[str]:
    out = ""
    for piece in re.split(r"(\{[^/}]+\})", template):
        out += "[^/]+" if piece.startswith("{") else re.escape(piece)
    return re.compile(f"^{out}$")


class ContractChecker:
    """Load the spec once (``from_path``), then ``check(...)`` requests quickly."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.revision = str(spec.get("info", {}).get("version", ""))
        # The spec is Klaviyo's published document: skip meta-validation (seconds, no value here).
        self.openapi = OpenAPI.from_dict(dict(spec), config=Config(spec_validator_cls=None))
        self.routes: list[Route] = []
        self.operations: dict[tuple[str, str], OperationInfo] = {}
        for template, item in spec.get("paths", {}).items():
            literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            self.routes.append(Route(template, _template_regex(template), literal))
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in METHODS or not isinstance(op, dict):
                    continue
                params = [*shared, *op.get("parameters", [])]
                content = ((op.get("requestBody") or {}).get("content")) or {}
                self.operations[(template, method)] = OperationInfo(
                    operation_id=str(op.get("operationId", f"{method} {template}")),
                    required_headers=tuple(
                        p["name"].lower() for p in params if p.get("in") == "header" and p.get("required")
                    ),
                    query_names=frozenset(p["name"] for p in params if p.get("in") == "query"),
                    filters=op.get("x-klaviyo-filters") or {},
                    has_body="requestBody" in op,
                    body_types=tuple(content),
                )
        # Most literal segments first: /api/lists/{id}/profiles before /api/lists/{id}/{related}.
        self.routes.sort(key=lambda r: (-r.literal_segments, r.template))

    @classmethod
    def from_path(cls, path: Path) -> ContractChecker:
        return cls(orjson.loads(path.read_bytes()))

    def route(self, method: str, path: str) -> tuple[str, OperationInfo] | None:
        for route in self.routes:
            if route.pattern.match(path):
                info = self.operations.get((route.template, method.lower()))
                if info is not None:
                    return route.template, info
        return None

    def check(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: list[tuple[str, str]],
        body: bytes | None,
        label: str = "",
    ) -> Verdict:
        label = label or f"{method} {path}"
        found = self.route(method, path)
        verdict = Verdict(request=label, operation_id=found[1].operation_id if found else None)
        problems = verdict.problems
        if found is None:
            problems.append(f"{method.upper()} {path}: no such operation in the spec")
            return verdict
        template, info = found
        lower = {k.lower(): v for k, v in headers}

        request = SpecRequest.build(method, path, query, headers, body)
        for error in self.openapi.iter_request_errors(request):
            schema_errors = _schema_errors(error)
            ambiguous = [e for e in schema_errors if is_ambiguous_one_of(e)]
            verdict.tolerated.extend(f"{_schema_path(e)}: ambiguous oneOf accepted" for e in ambiguous)
            if ambiguous and len(ambiguous) == len(schema_errors):
                continue  # the only complaint: valid under several alternatives
            strict = [e for e in schema_errors if not is_ambiguous_one_of(e)]
            problems.append(_describe(error, strict if ambiguous else None))

        for name in info.required_headers:
            if name not in lower:
                problems.append(f"required header {name!r} missing")
        if "revision" in lower and self.revision and lower["revision"] != self.revision:
            problems.append(
                f"revision header {lower['revision']!r} != pinned spec revision {self.revision!r}"
            )

        for name, value in query:
            if name not in info.query_names:
                problems.append(f"query parameter {name!r} is not declared by {info.operation_id}")
            elif name == "filter":
                problems.extend(filter_problems(value, info.filters))

        if template.startswith("/client/") and "authorization" in lower:
            problems.append("Authorization header sent to a /client/ endpoint (private key exposed)")

        if body:
            ctype = lower.get("content-type", "").split(";", 1)[0].strip().lower()
            if ctype not in JSONAPI_TYPES:
                problems.append(f"body sent with content-type {ctype!r}, not JSON:API")
            if not info.has_body:
                problems.append(f"{info.operation_id} takes no request body, but one was sent")
        elif info.has_body:
            problems.append(f"{info.operation_id} requires a request body; none sent")
        return verdict


def _describe(error: BaseException, schema_errors: list[Any] | None = None) -> str:
    """One problem line; ``schema_errors`` replaces the error's own list (ambiguous oneOfs left out)."""
    if schema_errors is None:
        text = f"{type(error).__name__}: {error}"
        schema_errors = _schema_errors(error)
    else:
        text = f"{type(error).__name__}: request body validation error"
    cause = error.__cause__
    details = [f"{_schema_path(inner)}: {getattr(inner, 'message', inner)}" for inner in schema_errors]
    if cause is not None and not details:
        details.append(str(cause))
    if details:
        text += " -- " + "; ".join(d[:300] for d in details)
    return text
