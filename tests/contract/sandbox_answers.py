"""Every answer the sandbox gives, kept for validation against Klaviyo's pinned OpenAPI spec.

``record_answers(app, recorder)`` wraps the sandbox ASGI app (``tests.e2e.harness.build_stack``
does so for every real-socket stack, ``tests/proxy/sandbox/conftest.py`` for its in-process
clients); each exchange (request + response, bodies included) lands
in ``ANSWERS``, tagged with the test that caused it. ``tests/contract/test_sandbox_answers.py``
validates them all at the end of the session (contract tests run last).

``spec_openapi()`` is the validator both that test and ``tests/proxy/sandbox/conformance`` use:
the pinned spec with three artefacts loosened (see ``loosen``); ``answer_problems`` lists what is
wrong with one answer (status, content type, response schema). Sparse fieldsets
(``fields[...]``) legitimately omit required attributes, so for such answers "is a required
property" complaints about attributes are not reported.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import orjson
from openapi_core import Config, OpenAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.contract.validator import SpecRequest, beta_specs, pinned_spec


@dataclass
class SpecResponse:
    """openapi-core's ``Response`` protocol over recorded data."""

    status_code: int
    data: bytes
    content_type: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Answer:
    """One request the sandbox received and what it answered."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    test: str

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status} [{self.test}]"

    def response_header(self, name: str) -> str:
        return next((v for k, v in self.response_headers if k.lower() == name.lower()), "")


@dataclass
class AnswerLog:
    """Thread-safe sink for the answers of every sandbox the harness starts."""

    answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)


ANSWERS = AnswerLog()


class _Naming(Protocol):
    """What ``tests.e2e.harness.Recorder`` offers: the node id of the running test."""

    current_test: str


@dataclass
class TestName:
    """A fixed test name, for an in-process sandbox that serves a single test."""

    __test__ = False  # not a test class, whatever pytest thinks of the name
    current_test: str


def record_answers(app: ASGIApp, recorder: _Naming, log: AnswerLog = ANSWERS) -> ASGIApp:
    """``app`` with every HTTP exchange appended to ``log``."""

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_body = bytearray()
        status = 0
        response_headers: list[tuple[str, str]] = []
        response_body = bytearray()

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_headers.extend(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                )
            elif message["type"] == "http.response.body":
                response_body.extend(message.get("body", b""))
            await send(message)

        test = recorder.current_test
        await app(scope, receiving, sending)
        query = tuple(_query(scope.get("query_string", b"").decode("latin-1")))
        log.add(
            Answer(
                method=str(scope["method"]),
                path=str(scope["path"]),
                query=query,
                headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
                body=bytes(request_body),
                status=status,
                response_headers=tuple(response_headers),
                response_body=bytes(response_body),
                test=test,
            )
        )

    return recording


def _query(raw: str) -> Iterable[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(raw, keep_blank_values=True)


# --------------------------------------------------------------------------- validation


def loosen(node: Any) -> None:
    """Work around two spec artefacts that no real answer could satisfy.

    * ``oneOf`` alternatives that overlap (``send_options`` is Email/SMS/Push options, all
      ``{use_smart_sending}``): every valid value matches several, so read ``oneOf`` as ``anyOf``
      (the request check of ``tests/contract/validator.py`` tolerates the same ambiguity);
    * ``links.next`` / ``links.prev`` are not nullable in the spec, but Klaviyo answers ``null``
      on the first / last page, and so does the sandbox (set in ``spec_openapi``).

    ``nullable`` next to ``oneOf`` (location ``latitude``) is left strict: under OpenAPI 3.0.3
    ``nullable`` does not reach the alternatives, so the sandbox leaves an unknown coordinate out.
    """
    if isinstance(node, dict):
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            loosen(value)
    elif isinstance(node, list):
        for value in node:
            loosen(value)


@cache
def spec_openapi() -> OpenAPI:
    """The pinned spec (loosened) as an openapi-core validator; skips/fails as ``pinned_spec``."""
    spec = orjson.loads(pinned_spec().read_bytes())
    loosen(spec["components"]["schemas"])
    for name in ("next", "prev"):
        spec["components"]["schemas"]["CollectionLinks"]["properties"][name]["nullable"] = True
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def beta_openapis() -> list[OpenAPI]:
    """Each vendored beta document (loosened likewise) as a validator, in ``beta_specs`` order."""
    found = []
    for path in beta_specs():
        spec = orjson.loads(path.read_bytes())
        loosen(spec["components"]["schemas"])
        found.append(OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None)))
    return found


def _sparse(query: Iterable[tuple[str, str]]) -> bool:
    return any(name.startswith("fields[") for name, _ in query)


def answer_problems(
    openapi: OpenAPI,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Iterable[tuple[str, str]],
    body: bytes | None,
    status: int,
    response_body: bytes,
    content_type: str,
    label: str,
    check_request: bool = False,
) -> list[str]:
    """What is wrong with one answer (and, with ``check_request``, with its request)."""
    query = list(query)
    spec_request = SpecRequest.build(method, path, query, headers, body)
    spec_response = SpecResponse(status, response_body, content_type, {"content-type": content_type})
    errors = list(openapi.iter_response_errors(spec_request, spec_response))
    if check_request:
        errors += list(openapi.iter_request_errors(spec_request))
    sparse = _sparse(query)
    out = []
    for error in errors:
        cause = error.__cause__
        schema_errors = list(getattr(cause, "schema_errors", None) or [])
        if sparse and schema_errors:
            schema_errors = [e for e in schema_errors if not _omitted_by_fieldset(e)]
            if not schema_errors:
                continue
        details = [
            f"{'/'.join(str(p) for p in getattr(e, 'absolute_path', []))}: {getattr(e, 'message', e)}"[:300]
            for e in schema_errors
        ]
        out.append(f"{label}: {type(error).__name__}: {details or str(error)[:300]}")
    return out


def _omitted_by_fieldset(schema_error: Any) -> bool:
    """A required attribute left out of a sparse fieldset (``.../attributes: 'x' is a required ...``)."""
    path = [str(p) for p in getattr(schema_error, "absolute_path", [])]
    return getattr(schema_error, "validator", None) == "required" and bool(path) and path[-1] == "attributes"


def problems_of(openapi: OpenAPI, answer: Answer) -> list[str]:
    return answer_problems(
        openapi,
        answer.method,
        answer.path,
        answer.query,
        answer.headers,
        answer.body,
        answer.status,
        answer.response_body,
        answer.response_header("content-type"),
        answer.describe(),
    )
