"""``klaviyo-compat check`` (validate every configuration source) and ``probe`` (container health check).

``check [--config FILE]`` loads the settings as ``serve`` would (defaults < file < environment <
flags), parses the mode table, and prints each effective setting with its source, secrets
masked. With ``state_url`` it also asks that Redis: PING, then its persistence and eviction
policy (the verdict ``serve`` would reach), and fails when it does not answer (``serve`` would
start without it; ``check`` is the place to find out). Exit 0 when ``serve`` would accept it, 2
with the reason otherwise (``main`` prints ``SettingsError``). ``probe`` GETs
``/_compat/health`` on the configured port: exit 0 or 1.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from proxy.settings import Settings, load, load_with_sources, mask_url

SECRETS = ("admin_token", "hash_secret", "state_url")


def register(sub: Any) -> None:
    check = sub.add_parser("check", help="validate the configuration and show the effective settings")
    check.add_argument("--config", help="TOML settings file (else KLAVIYO_COMPAT_CONFIG)")
    check.add_argument("--upstream", help="as serve's --upstream")
    check.add_argument("--sandbox", action="store_true", help="as serve's --sandbox")
    check.set_defaults(func=cmd_check)
    probe = sub.add_parser(
        "probe", help="exit 0 if the proxy on the configured port answers its health check"
    )
    probe.add_argument("--config", help="TOML settings file (else KLAVIYO_COMPAT_CONFIG)")
    probe.add_argument("--timeout", type=float, default=2.0)
    probe.set_defaults(func=cmd_probe)


def shown(name: str, value: Any) -> str:
    """A setting as ``check`` prints it: secrets masked, never their value."""
    if name == "token_keys":
        return ", ".join(f"{token} = pk_***" for token in value) or "(none)"
    if name in SECRETS:
        return "*** (set)" if value else "(not set)"
    if name == "modes":
        return ", ".join(f"{k} = {v!r}" for k, v in value.items()) or "(all translate)"
    if name == "sunset" and not value:
        return "(not set: the Sunset header says 2024-06-30, the legacy API's retirement)"
    return repr(value) if isinstance(value, str) else str(value)


def report_lines(settings: Settings, sources: dict[str, str]) -> list[str]:
    rows = [
        (f.name, shown(f.name, getattr(settings, f.name)), sources.get(f.name, "default"))
        for f in fields(settings)
    ]
    width = max(len(name) for name, _, _ in rows)
    value_width = min(48, max(len(value) for _, value, _ in rows))
    return [f"{name.ljust(width)}  {value.ljust(value_width)}  [{source}]" for name, value, source in rows]


def cmd_check(args: argparse.Namespace) -> int:
    from mappings.registry import REGISTRY
    from proxy.policy.modes import from_settings

    flags: dict[str, Any] = {"upstream": args.upstream, "sandbox": True if args.sandbox else None}
    settings, sources = load_with_sources(config=Path(args.config) if args.config else None, flags=flags)
    from_settings(settings, REGISTRY)  # a bad [modes] table or sunset raises SettingsError: exit 2
    problems = []
    if settings.sandbox and settings.upstream:
        problems.append("both upstream and sandbox are set: serve refuses that")
    if not settings.sandbox and not settings.upstream:
        problems.append("no upstream: serve needs --upstream (or upstream in the file) or --sandbox")
    print("\n".join(report_lines(settings, sources)))
    if settings.state_url:
        line, problem = probe_state(settings)
        print(line)
        problems += [problem] if problem else []
    if problems:
        print("\n".join(f"klaviyo-compat: {p}" for p in problems), file=sys.stderr)
        return 2
    print("configuration OK", file=sys.stderr)
    return 0


def probe_state(settings: Settings) -> tuple[str, str | None]:
    """What the Redis of ``state_url`` answers (PING, persistence and eviction policy), and the
    problem that fails ``check``: it does not answer, or it may lose entries and
    ``state_accept_volatile`` is off (``serve`` refuses that Redis). Never shows the URL."""
    shown = f"state_url ({mask_url(settings.state_url)})"
    try:
        from proxy.state.redis_backend import RedisBackend
    except ImportError:
        return f"{shown}: not probed", "state_url needs the redis extra: pip install 'klaviyo-compat[redis]'"
    import asyncio

    from proxy.state.shared import StateUnavailable

    try:
        problem = asyncio.run(RedisBackend.verdict(settings, ping=True))
    except StateUnavailable as exc:
        reason = mask_secrets(str(exc), settings.state_url)
        return f"{shown}: does not answer ({reason})", f"the Redis of state_url does not answer ({reason})"
    if problem is None:
        return f"{shown}: answers PING; appendonly on, no allkeys-* eviction: entries are kept", None
    if settings.state_accept_volatile:
        return f"{shown}: answers PING; may lose entries ({problem}), accepted (state_accept_volatile)", None
    return (
        f"{shown}: answers PING; may lose entries ({problem})",
        f"the Redis of state_url may lose entries: {problem}; serve refuses it unless state_accept_volatile",
    )


def mask_secrets(text: str, url: str) -> str:
    """``text`` without the URL, its user name, password or host (an error may quote them)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    for secret in (url, parts.password, parts.username, parts.hostname):
        if secret:
            text = text.replace(secret, "***")
    return text


def cmd_probe(args: argparse.Namespace) -> int:
    import ssl
    import urllib.request

    settings = load(config=Path(args.config) if args.config else None)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    scheme, context = "http", None
    if settings.tls_cert:  # our own certificate, made for the legacy host name: liveness only
        scheme, context = "https", ssl._create_unverified_context()
    url = f"{scheme}://{host}:{settings.port}/_compat/health"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout, context=context) as answer:
            return 0 if answer.status == 200 else 1
    except OSError as exc:
        print(f"klaviyo-compat: health check failed: {exc}", file=sys.stderr)
        return 1
