"""Parse a legacy request the way legacy clients really send it.

Query string, JSON body and form body (``application/x-www-form-urlencoded`` or
``multipart/form-data``, read alike) are merged for every method (legacy clients send bodies
on GET and DELETE too). The private key is looked up in the header, then in the parameters (query,
JSON body, form body, merged in that order; names from ``mappings.protocol``), and removed before
translation. A repeated parameter resolves as every parameter does: its last value wins.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

import orjson

from mappings import protocol
from mappings.core import LegacyRequest
from mappings.translate.json_text import MAX_DEPTH, too_deep

MAX_BODY = 5 * 1024 * 1024  # the upstream API's own payload ceiling
MAX_PARTS = 1000  # multipart/form-data fields read from one body (the body is within MAX_BODY)


class BadLegacyRequest(Exception):
    """Input the proxy cannot parse; answered with the family's legacy error."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Parsed:
    request: LegacyRequest
    private_key: str | None


def _is_json(content_type: str) -> bool:
    ct = content_type.split(";", 1)[0].strip().lower()
    return ct == "application/json" or ct.endswith("+json")


def _is_form(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded"


def _is_multipart(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def multipart_fields(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The fields of a ``multipart/form-data`` body, read like form-encoded ones (stdlib ``email``).

    Every part with a ``name`` counts, a file part included (its content is the value: a track
    ``data`` field sent as a file is still the payload). The body is already within
    ``MAX_BODY``; at most ``MAX_PARTS`` fields are read. A body that is not valid multipart
    (no boundary, no closing delimiter) or a field that is not UTF-8 is refused.
    """
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise BadLegacyRequest("Request body is not valid multipart/form-data.")
    fields: list[tuple[str, str]] = []
    for part in message.get_payload():
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        if len(fields) >= MAX_PARTS:
            raise BadLegacyRequest(f"Request body has more than {MAX_PARTS} multipart fields.")
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        try:
            fields.append((name, raw.decode(part.get_content_charset() or "utf-8")))
        except (UnicodeDecodeError, LookupError):
            raise BadLegacyRequest("Request body is not valid UTF-8.") from None
    return fields


def parse(
    *,
    method: str,
    path: str,
    path_params: Mapping[str, str],
    query_items: list[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    server_side_tokens: frozenset[str],
    now: datetime,
    opt_ins: frozenset[str] = frozenset(),
) -> Parsed:
    """Build the ``LegacyRequest``; raises ``BadLegacyRequest`` for unparseable input.

    ``now`` (UTC, aware) is the arrival time from the engine's clock: the only time a plan sees.
    """
    if len(body) > MAX_BODY:
        raise BadLegacyRequest("Request body too large.", status=413)
    content_type = headers.get("content-type", "")
    params: dict[str, list[Any]] = {}
    keys: list[str] = []
    header_key = headers.get(protocol.KEY_HEADER)
    if header_key:
        keys.append(header_key)

    def add(name: str, value: Any) -> None:
        if name == protocol.KEY_PARAM:
            if isinstance(value, str) and value:
                keys.append(value)
            return
        params.setdefault(name, []).append(value)

    for name, value in query_items:
        add(name, value)

    json_body: Any = None
    stripped = body.strip()
    looks_json = stripped[:1] in (b"{", b"[")
    if stripped and (_is_json(content_type) or (not _is_form(content_type) and looks_json)):
        try:
            json_body = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            raise BadLegacyRequest("Request body is not valid JSON.") from None
        if too_deep(json_body):
            raise BadLegacyRequest(f"Request body is nested deeper than {MAX_DEPTH} levels.")
        if isinstance(json_body, dict):
            for name, value in json_body.items():
                add(str(name), value)
            json_body = {k: v for k, v in json_body.items() if k != protocol.KEY_PARAM}
    elif stripped and _is_multipart(content_type):
        for name, value in multipart_fields(content_type, body):
            add(name, value)
    elif stripped:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadLegacyRequest("Request body is not valid UTF-8.") from None
        for name, value in parse_qsl(text, keep_blank_values=True):
            add(name, value)

    request = LegacyRequest(
        method=method,
        path=path,
        path_params=dict(path_params),
        params=params,
        json=json_body,
        raw_body=body,
        content_type=content_type,
        server_side_tokens=server_side_tokens,
        now=now,
        opt_ins=opt_ins,
    )
    # One rule for every parameter (README, "Repeated parameters"): the last value wins, the key
    # included; the api-key header, a different name, comes before any parameter.
    if header_key:
        return Parsed(request=request, private_key=header_key)
    return Parsed(request=request, private_key=keys[-1] if keys else None)
