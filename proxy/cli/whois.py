"""``klaviyo-compat whois KEY``: the hash a private key or public key records under.

The traffic record, the report, the dashboard and the access log name a caller only by an HMAC
of its key under the installation's hash secret. Given the key (or ``-`` to read it from stdin,
out of the shell history), this prints that hash so an operator can find the caller. A caller
label (``X-Compat-Caller``) is recorded as sent: given one, this lists the caller hashes the
traffic record holds under that label.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mappings import protocol
from proxy.observe.callers import key_caller, token_caller
from proxy.observe.hash_secret import secret_path
from proxy.observe.redact import configure_secret
from proxy.settings import Settings, load


def register(sub: Any) -> None:
    whois = sub.add_parser("whois", help="the caller hash a private or public key records under")
    whois.add_argument("key", help="a private key (pk_...), a public key (6 characters), or - for stdin")
    whois.add_argument("--config", help="TOML settings file (hash_secret, traffic_db)")
    whois.set_defaults(func=cmd_whois)


def _secret(settings: Settings) -> bytes | None:
    """The installation's secret, read but never created (a lookup must not invent one)."""
    if settings.hash_secret:
        return settings.hash_secret.encode("utf-8")
    path = secret_path(settings.traffic_db) if settings.records_traffic else None
    if path is None or not path.is_file():
        return None
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def cmd_whois(args: argparse.Namespace) -> int:
    settings = load(config=Path(args.config) if args.config else None)
    key = (sys.stdin.readline() if args.key == "-" else args.key).strip()
    try:
        secret = _secret(settings)
    except (OSError, ValueError) as exc:
        print(f"klaviyo-compat: the hash secret cannot be read: {exc}", file=sys.stderr)
        return 2
    if secret is None:
        where = f" nor {secret_path(settings.traffic_db)}" if settings.records_traffic else ""
        print(
            f"klaviyo-compat: no hash secret (neither hash_secret{where}): the proxy creates one "
            "next to traffic_db at its first start; without either, hashes change at every restart.",
            file=sys.stderr,
        )
        return 2
    configure_secret(secret)
    if protocol.PRIVATE_KEY_RE.match(key):
        print(f"{key_caller(key)}  (private key, as in the report's CALLER column and the access log)")
    elif protocol.PUBLIC_KEY_RE.match(key):
        print(f"{token_caller(key)}  (public key of track/identify calls)")
    else:
        return _label(settings, key)
    return 0


def _label(settings: Settings, label: str) -> int:
    """The caller hashes recorded under ``label`` (any time the record still holds)."""
    import sqlite3
    import time

    from proxy.traffic.sqlite_store import SqliteStore

    if not settings.records_traffic or not Path(settings.traffic_db).is_file():
        print(
            f"klaviyo-compat: {label!r} is not a key, and there is no traffic record to look up a label in",
            file=sys.stderr,
        )
        return 2
    try:
        store = SqliteStore(settings.traffic_db, readonly=True)
        try:
            usage = store.usage(0, time.time() + 1)
        finally:
            store.close()
    except sqlite3.DatabaseError as exc:
        print(
            f"klaviyo-compat: {settings.traffic_db} is not a klaviyo-compat traffic record ({exc})",
            file=sys.stderr,
        )
        return 2
    callers = sorted({u.caller for u in usage if u.label == label and u.caller})
    if not callers:
        print(f"klaviyo-compat: no caller recorded with label {label!r} (not a key either)", file=sys.stderr)
        return 1
    for caller in callers:
        print(f"{caller}  (recorded with label {label!r})")
    return 0
