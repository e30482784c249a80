"""Decoding of the track/identify ``data`` payload (legacy-endpoints.md A1-A4).

Accepted, in this order:

1. a ``data`` parameter (query or form field) holding a JSON object, or standard or
   URL-safe base64 of one, padding optional;
2. a raw JSON body that is the payload object itself (PHP SDK);
3. a JSON object posted with a form content type.

The body is parsed once, by the engine (``LegacyRequest.params`` and ``json``): form text,
``data=...`` included, arrives as parameters whatever its content type, and a JSON body (by
content type or by its look) as ``json``. Only a JSON object the engine read as form fields,
because the client labelled it a form, is parsed here, from ``raw_body``.

Anything else is invalid: the mapping answers ``0``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

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


def _json_labelled_form(body: bytes) -> dict[str, Any]:
    """A JSON object the client sent as a form: the engine parsed it as form fields (no ``data``)."""
    text = body.decode("utf-8", "replace").strip()
    if not text.startswith("{"):
        raise InvalidPayload("no data field in the body")
    try:
        return _object(json_text.loads(text))
    except ValueError:
        raise InvalidPayload("the body is not valid JSON") from None


def decode_payload(req: LegacyRequest) -> dict[str, Any]:
    """The track/identify payload of a legacy request; raises ``InvalidPayload``.

    Decoded once per request (``req.memo``); each caller gets its own top-level copy."""
    decoded = req.memo.get("payload")
    if decoded is None:
        decoded = req.memo["payload"] = _decode_payload(req)
    return dict(decoded)


def _decode_payload(req: LegacyRequest) -> dict[str, Any]:
    data = req.get("data")
    if data is not None:
        return decode_data(data)
    if isinstance(req.json, Mapping):
        return dict(req.json)
    if req.json is None and req.raw_body:
        return _json_labelled_form(req.raw_body)
    raise InvalidPayload("no data parameter and no JSON body")
