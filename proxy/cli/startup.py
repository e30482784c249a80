"""What ``serve`` and ``recorder`` share at start-up: the checks that need the network (a port
in use, the Redis of ``state_url``), the config file named in the environment, and the uvicorn run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from proxy.settings import Settings


def run(app: Any, settings: Settings, workers: int = 1) -> None:
    import uvicorn

    from proxy.engine.serving import tune_gc, uvicorn_options

    options = uvicorn_options(settings)
    if workers > 1:  # each worker imports its protocol class by name (proxy.cli.workers)
        from proxy.cli.workers import PROTOCOL

        options["http"] = PROTOCOL
    # httptools with a header timeout and header caps, connection and keep-alive limits
    # (proxy.engine.serving), plus shutdown and TLS.
    if workers <= 1:  # each worker tunes its own collector once its app is built (proxy.cli.workers)
        tune_gc()
    uvicorn.run(
        app,
        workers=workers,
        factory=isinstance(app, str),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        # SIGTERM: stop accepting, give in-flight calls this long, then close (traffic flushed,
        # spool consistent: an unfinished delivery stays pending).
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout)),
        ssl_certfile=settings.tls_cert or None,
        ssl_keyfile=settings.tls_key or None,
        **options,
    )


def busy_port(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None (checked up front for a one-line error)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def state_refusal(settings: Settings) -> str | None:
    """Why the Redis of ``state_url`` must not be used (one line), or None.

    A Redis that may lose entries (AOF off, an ``allkeys-*`` eviction policy) is refused unless
    ``state_accept_volatile``; one that does not answer yet is not: the proxy serves without it
    (cache walks directly, tokens answer 503) and uses it once it answers.
    """
    if not settings.state_url:
        return None
    try:
        from proxy.state.redis_backend import RedisBackend
    except ImportError:
        return "klaviyo-compat: state_url needs the redis extra: pip install 'klaviyo-compat[redis]'."
    import asyncio

    from proxy.state.shared import StateUnavailable

    try:
        problem = asyncio.run(RedisBackend.verdict(settings))
    except StateUnavailable as exc:
        print(
            f"klaviyo-compat: warning: state_url does not answer ({exc}); starting without it, "
            "its persistence policy unverified.",
            file=sys.stderr,
        )
        return None
    if problem and not settings.state_accept_volatile:
        return (
            f"klaviyo-compat: the Redis of state_url may lose entries: {problem}. Set appendonly yes "
            "and maxmemory-policy noeviction, or state_accept_volatile = true to accept the loss."
        )
    return None


def env_config() -> Path | None:
    import os

    value = os.environ.get("KLAVIYO_COMPAT_CONFIG")
    return Path(value) if value else None
