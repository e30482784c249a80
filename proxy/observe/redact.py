"""Redaction of secrets and personal data before anything reaches a log line.

Private keys, public tokens, Authorization values, e-mail addresses and phone numbers are
replaced by a short stable hash, so two log lines about the same caller still correlate.

A value stored under a sensitive field name is redacted whatever it looks like. This module
knows only generic credential names; the wire protocol adds its own with
``add_sensitive_keys`` (``proxy.engine.app`` registers ``mappings.protocol.SENSITIVE_FIELDS`` when it
is imported, so a logger configured before the app is built is covered too).

The hash is HMAC-SHA256 under a secret (``configure_secret``, called at app start with the
installation's secret from ``proxy.observe.hash_secret``; until then, or without one, a random
per-process secret), so a short value cannot be recovered by hashing every candidate.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

_PROCESS_SECRET = secrets.token_bytes(32)
_secret = _PROCESS_SECRET

# Credential and session names any HTTP API may use (lower-case).
GENERIC_SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "api_key",
        "api-key",
        "key",
        "private_key",
        "public_key",
        "token",
    }
)
_sensitive: set[str] = set(GENERIC_SENSITIVE_KEYS)

# Every pattern is linear in its input: possessive runs (``++``) that never give back, and a run
# is only tried where it starts (a lookbehind), so no character is scanned twice per pattern.
_PRIVATE_KEY = re.compile(r"pk_\w{6,}+")
_LOCAL_CHAR = r"[\w.!#$%&'*+/=?^`{|}~-]"
_EMAIL = re.compile(rf"(?<!{_LOCAL_CHAR}){_LOCAL_CHAR}++@[\w-]++(?:\.[\w-]++)+")
# Phone numbers: international (+ and 8-15 digits, grouped by single spaces, dots, dashes or an
# "(area)" group), and national 3-3-4 numbers written "(415) 555-0111", "415-555-0111",
# "415.555.0111" or "415 555 0111". Dates, times, ids, durations and IP addresses do not fit:
# the digits must not continue a word, a dotted or dashed token, or a number. Both are bounded
# (at most 20 groups), so a long run of digits costs a constant per starting point.
_PHONE_INTL = re.compile(r"\+(?<![\w+]\+)\d(?:[ .-]?(?:\(\d{1,5}\)|\d)){7,20}(?!\d)")
_PHONE_LOCAL = re.compile(r"(?<![\w.+-])(?:\(\d{3}\) ?\d{3}[-. ]|\d{3}([-. ])\d{3}\1)\d{4}(?![\w-]|\.\d)")
_PHONE_DIGITS = (8, 15)
_BEARER = re.compile(r"(Klaviyo-API-Key|Bearer)\s++\S++", re.IGNORECASE)
# No log value is scrubbed (nor kept) beyond this many characters: the rest is cut first, so the
# cost of a hostile value is bounded whatever its size (a 1 MB value costs what 16 KB does).
MAX_SCRUB_CHARS = 16_384
_CUT_BACK = 256  # a value cut mid-token loses that token, so a half e-mail or key never shows
# What every pattern above needs somewhere in the text: a key's "pk_", an e-mail's "@", an
# international number's "+", a national number's "ddd-ddd" or "ddd) ddd", a credential scheme.
# ``_may_hold_secret`` finding none of these proves no pattern can match, so most values (paths,
# user agents, ids, timestamps) skip the five substitutions.
_NATIONAL_HINT = re.compile(r"\d{3}(?:[-. ]|\) ?)\d{3}")


def add_sensitive_keys(names: Iterable[str]) -> None:
    """Redact values stored under these field names too (case-insensitive), in every log from now on."""
    _sensitive.update(name.lower() for name in names)


def sensitive_keys() -> frozenset[str]:
    """The field names currently redacted whatever their value."""
    return frozenset(_sensitive)


def configure_secret(secret: bytes | None) -> None:
    """Hash under ``secret`` from now on (None: this process's random secret)."""
    global _secret
    _secret = secret or _PROCESS_SECRET
    _tags.clear()


# Tags of the identities every call of a caller repeats (its key or token, account, address),
# so the HMAC runs once per caller, not once per request. Bounded: emptied when full. E-mail
# addresses, phone numbers and other personal values are never kept here.
_CACHED_KINDS = frozenset({"key", "token", "acct", "ip"})
_TAGS_MAX = 1024
_tags: dict[tuple[str, str], str] = {}


def fingerprint(value: str, kind: str = "") -> str:
    """A short, stable, non-reversible tag for a secret or personal value."""
    cached = kind in _CACHED_KINDS
    if cached:
        tag = _tags.get((value, kind))
        if tag is not None:
            return tag
    digest = hmac.digest(_secret, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hex()[:12]
    tag = f"{kind}#{digest}" if kind else digest
    if cached:
        if len(_tags) >= _TAGS_MAX:
            _tags.clear()
        _tags[(value, kind)] = tag
    return tag


def _may_hold_secret(text: str) -> bool:
    if "@" in text or "+" in text or not text.isascii():  # non-ASCII: case folding has surprises
        return True
    lower = text.lower()
    if "pk_" in lower or "bearer" in lower or "klaviyo-api-key" in lower:
        return True
    return _NATIONAL_HINT.search(text) is not None


# Short values seen to hold nothing to redact (the same paths, user agents, operation names come
# back on every request): a set lookup instead of the check. Bounded: emptied when full.
_CLEAN: set[str] = set()
_CLEAN_MAX = 4096
_CLEAN_MAX_LEN = 256  # longer values are checked each time, never kept


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters (plus a marker), never mid-token when avoidable."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(" ", limit - _CUT_BACK), head.rfind("\n", limit - _CUT_BACK))
    if cut > 0:
        head = head[:cut]
    return f"{head}...[cut {len(text) - len(head)} chars]"


def scrub_text(text: str, limit: int = MAX_SCRUB_CHARS) -> str:
    """``text`` cut to ``limit`` characters first, then with keys and personal data replaced."""
    if len(text) > limit:
        return scrub_unbounded(truncate(text, limit))
    if text in _CLEAN:
        return text
    if _may_hold_secret(text):
        return scrub_unbounded(text)
    if len(text) <= _CLEAN_MAX_LEN:
        if len(_CLEAN) >= _CLEAN_MAX:
            _CLEAN.clear()
        _CLEAN.add(text)
    return text


def scrub_unbounded(text: str) -> str:
    """Every pattern over the whole of ``text`` (linear, but callers bound it: ``scrub_text``)."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} <{fingerprint(m.group(0), 'key')}>", text)
    text = _PRIVATE_KEY.sub(lambda m: f"<{fingerprint(m.group(0), 'key')}>", text)
    text = _EMAIL.sub(lambda m: f"<{fingerprint(m.group(0).lower(), 'email')}>", text)
    text = _PHONE_INTL.sub(_phone, text)
    return _PHONE_LOCAL.sub(_phone, text)


_PLAIN = frozenset({int, float, bool})


def _phone(match: re.Match[str]) -> str:
    """The fingerprint of a phone number (by its digits, so every spelling correlates)."""
    digits = "".join(ch for ch in match.group(0) if ch.isdigit())
    low, high = _PHONE_DIGITS
    if not low <= len(digits) <= high:
        return match.group(0)
    plus = "+" if match.group(0).startswith("+") else ""
    return f"<{fingerprint(plus + digits, 'phone')}>"


def scrub(value: Any, key: str = "") -> Any:
    """Recursively redact a log value; ``key`` is the name it is stored under."""
    if value is None:
        return None
    if key and key.lower() in _sensitive:
        return f"<{fingerprint(str(value), 'redacted')}>"
    if type(value) in _PLAIN:  # numbers and booleans carry nothing to redact
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def scrub_fields(fields: Mapping[str, Any], trusted: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``scrub`` of each value under its name: a log line's fields, in one pass (no call per value).

    Values under ``trusted`` names are the proxy's own (hashes, operation ids, enums, times) and
    are kept as they are."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None or key in trusted:
            out[key] = value
        elif key.lower() in _sensitive:
            out[key] = f"<{fingerprint(str(value), 'redacted')}>"
        elif type(value) is str:
            out[key] = scrub_text(value)
        elif type(value) in _PLAIN:
            out[key] = value
        else:
            out[key] = scrub(value, str(key))
    return out
