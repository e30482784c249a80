"""Sealing spooled payloads: what the spool keeps is unreadable without the installation's key.

A spooled write carries what is needed to deliver it later: the translated body (e-mail
addresses, phone numbers), the public token it came with and, for a call authenticated with
the caller's own private key, that key. All of it is sealed with Fernet (AES-128-CBC plus
HMAC-SHA256) under a key kept in ``<spool>.key`` (0600, created at first start), so a copied
spool file, a backup or ``klaviyo-compat spool list`` shows nothing in clear. Whoever can read
both files can read the payloads: keep the folder private (it is created 0700). The spool
shared on Redis (``state_url``) is sealed under a key derived from ``hash_secret`` instead, the
same on every replica: whoever can read Redis and knows ``hash_secret`` can read the payloads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken

from proxy.observe.hash_secret import persisted

KEY_SUFFIX = ".key"


class Unsealable(Exception):
    """A payload sealed under another key, or damaged."""


def key_path(spool_path: str | Path) -> Path:
    path = Path(spool_path)
    return path.with_name(path.name + KEY_SUFFIX)


class Sealer:
    def __init__(self, secret: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(secret[:32].ljust(32, b"\0")))

    @classmethod
    def for_spool(cls, spool_path: str | Path) -> Sealer:
        return cls(persisted(key_path(spool_path)))

    @classmethod
    def from_secret(cls, secret: str) -> Sealer:
        """A key derived from a shared secret (``hash_secret``), for a purpose of its own."""
        return cls(hmac.new(secret.encode(), b"klaviyo-compat spool seal v1", hashlib.sha256).digest())

    def seal(self, value: Any) -> bytes:
        return self._fernet.encrypt(orjson.dumps(value))

    def open(self, blob: bytes) -> Any:
        try:
            return orjson.loads(self._fernet.decrypt(blob))
        except (InvalidToken, orjson.JSONDecodeError) as exc:
            raise Unsealable(type(exc).__name__) from None
