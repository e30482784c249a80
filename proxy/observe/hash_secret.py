"""The secret behind every fingerprint (``proxy.observe.redact``): per installation, never in the source.

With a constant salt, a hash of a short value (an IPv4 address, a phone number, a 6-character
public key) is reversed by trying every candidate. Fingerprints are therefore HMAC-SHA256 under
a secret only this installation knows:

* ``hash_secret`` (``KLAVIYO_COMPAT_HASH_SECRET``) when set: e.g. shared by replicas that must
  produce the same caller hashes;
* else a random one generated at first start and kept next to the traffic record
  (``<traffic_db>.hash-secret``, mode 0600), so caller hashes in the record stay comparable
  across restarts;
* else (recording off) a random one per process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

import structlog

from proxy.settings import Settings

log = structlog.get_logger("klaviyo_compat.redact")

SUFFIX = ".hash-secret"
_BYTES = 32


def secret_path(traffic_db: str | Path) -> Path:
    db = Path(traffic_db)
    return db.with_name(db.name + SUFFIX)


def _read(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    if len(text) < 2 * _BYTES:
        raise OSError(f"{path} holds no usable secret (expected {2 * _BYTES} hex characters)")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("hash_secret.permissive", path=str(path), fix=f"chmod 600 {path}")
    return bytes.fromhex(text)


def persisted(path: Path) -> bytes:
    """The secret kept in ``path``, created (0600, exclusively: one winner if two start) if absent."""
    found = _read(path)
    if found is not None:
        return found
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, like the traffic record
    value = secrets.token_bytes(_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        again = _read(path)
        if again is None:
            raise
        return again
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(value.hex() + "\n")
        out.flush()
        with contextlib.suppress(OSError):
            os.fsync(out.fileno())
    log.info("hash_secret.created", path=str(path))
    return value


def resolve(settings: Settings) -> bytes | None:
    """The installation's secret; None means the per-process one (``proxy.observe.redact``'s default)."""
    if settings.hash_secret:
        return settings.hash_secret.encode("utf-8")
    if not settings.records_traffic:
        return None
    path = secret_path(settings.traffic_db)
    try:
        return persisted(path)
    except (OSError, ValueError) as exc:
        log.error(
            "hash_secret.unavailable",
            path=str(path),
            reason=f"{type(exc).__name__}: {exc}",
            effect="a per-process secret is used: caller hashes change at every restart",
        )
        return None
