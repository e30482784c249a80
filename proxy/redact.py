"""Redaction of secrets and personal data before anything reaches a log line.

Private keys, public tokens, Authorization values, e-mail addresses and phone numbers are
replaced by a short stable hash, so two log lines about the same caller still correlate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

_SALT = b"klaviyo-compat:v1:"

SENSITIVE_KEYS = frozenset(
    {
        "api_key",
        "api-key",
        "authorization",
        "token",
        "company_id",
        "key",
        "private_key",
        "public_key",
        "email",
        "$email",
        "phone_number",
        "$phone_number",
        "cookie",
        "set-cookie",
        "data",
    }
)

_PRIVATE_KEY = re.compile(r"pk_\w{6,}")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+\d{8,15}\b")
_BEARER = re.compile(r"(Klaviyo-API-Key|Bearer)\s+\S+", re.IGNORECASE)


def fingerprint(value: str, kind: str = "") -> str:
    """A short, stable, non-reversible tag for a secret or personal value."""
    digest = hashlib.sha256(_SALT + value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{kind}#{digest}" if kind else digest


def scrub_text(text: str) -> str:
    text = _BEARER.sub(lambda m: f"{m.group(1)} <{fingerprint(m.group(0), 'key')}>", text)
    text = _PRIVATE_KEY.sub(lambda m: f"<{fingerprint(m.group(0), 'key')}>", text)
    text = _EMAIL.sub(lambda m: f"<{fingerprint(m.group(0).lower(), 'email')}>", text)
    return _PHONE.sub(lambda m: f"<{fingerprint(m.group(0), 'phone')}>", text)


def scrub(value: Any, key: str = "") -> Any:
    """Recursively redact a log value; ``key`` is the name it is stored under."""
    if key.lower() in SENSITIVE_KEYS and value is not None:
        return f"<{fingerprint(str(value), 'redacted')}>"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value
