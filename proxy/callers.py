"""Who a legacy call came from, as the traffic record and the access log keep it: a hash, never the key.

Only a well-formed credential names a caller. A private key that does not match the legacy
key format (``pk_`` and 20-64 word characters) and a public key that is not 6 letters or
digits are grouped as ``invalid-key`` / ``invalid-token``: a scanner or a broken app sending
a new junk value with every call is one caller, not thousands of report rows.
"""

from __future__ import annotations

import re

from mappings import protocol
from proxy.redact import fingerprint

INVALID_KEY = "invalid-key"
INVALID_TOKEN = "invalid-token"
PUBLIC_KEY_RE = re.compile(r"^[A-Za-z0-9]{6}$")  # a Klaviyo public key (company id)


def key_caller(key: str) -> str:
    return fingerprint(key, "key") if protocol.PRIVATE_KEY_RE.match(key) else INVALID_KEY


def token_caller(token: str) -> str:
    return fingerprint(token, "token") if PUBLIC_KEY_RE.match(token) else INVALID_TOKEN
