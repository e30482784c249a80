"""Who a legacy call came from, as the traffic record and the access log keep it: a hash, never the key.

Only a well-formed credential names a caller. A private key and a public key that do not
match the formats ``mappings.protocol`` declares (``PRIVATE_KEY_RE``, ``PUBLIC_KEY_RE``) are
grouped as ``invalid-key`` / ``invalid-token``: a scanner or a broken app sending a new junk
value with every call is one caller, not thousands of report rows.
"""

from __future__ import annotations

from mappings import protocol
from proxy.observe.redact import fingerprint

INVALID_KEY = "invalid-key"
INVALID_TOKEN = "invalid-token"


def key_caller(key: str) -> str:
    return fingerprint(key, "key") if protocol.PRIVATE_KEY_RE.match(key) else INVALID_KEY


def token_caller(token: str) -> str:
    return fingerprint(token, "token") if protocol.PUBLIC_KEY_RE.match(token) else INVALID_TOKEN
