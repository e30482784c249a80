"""Decoding of the track/identify ``data`` payload (legacy-endpoints.md A1-A4).

Accepted, in this order:

1. a ``data`` parameter (query or form field) holding a JSON object, or standard or
   URL-safe base64 of one, padding optional;
2. a raw JSON body that is the payload object itself (PHP SDK);
3. an unparsed body (no or wrong content type) that is JSON or ``data=...`` form text.

Anything else is invalid: the mapping answers ``0``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from mappings.core import LegacyRequest
from mappings.translate import json_text


class InvalidPayload(ValueError):
    """The request carries no decodable payload object."""


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidPayload("the payload is not a JSON object")
    return dict(value)


def decode_base64(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional, whitespace ignored.

    A space is read as ``+``: clients that did not URL-encode the query lose ``+`` to
    form decoding.
    """
    cleaned = "".join(text.replace(" ", "+").split())
    cleaned = cleaned.replace("-", "+").replace("_", "/").rstrip("=")
    if len(cleaned) % 4 == 1:
        raise InvalidPayload("base64 text has an impossible length")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidPayload(f"not base64: {exc}") from None


def decode_data(value: Any) -> dict[str, Any]:
    """One ``data`` value -> payload object: an object as-is, JSON text first, then base64."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise InvalidPayload("data must be a string")
    text = value.strip()
    if text.startswith("{"):
        try:
            return _object(json_text.loads(text))
        except ValueError:
            pass
    raw = decode_base64(text)
    try:
        return _object(json_text.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidPayload(f"decoded data is not JSON: {exc}") from None


def _from_raw_body(body: bytes) -> dict[str, Any]:
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            return _object(json_text.loads(text))
        except ValueError:
            raise InvalidPayload("the body is not valid JSON") from None
    fields = parse_qs(text, keep_blank_values=True)
    if "data" in fields:
        return decode_data(fields["data"][-1])
    raise InvalidPayload("no data field in the body")


def decode_payload(req: LegacyRequest) -> dict[str, Any]:
    """The track/identify payload of a legacy request; raises ``InvalidPayload``."""
    data = req.get("data")
    if data is not None:
        return decode_data(data)
    if isinstance(req.json, Mapping):
        return dict(req.json)
    if req.json is None and req.raw_body:
        return _from_raw_body(req.raw_body)
    raise InvalidPayload("no data parameter and no JSON body")
