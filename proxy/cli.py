"""Command line: ``klaviyo-compat serve | sandbox | routes | report | spool``."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxy.settings import DEFAULT_REVISION, Settings, SettingsError, load

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mappings.core import Operation
    from proxy.policy.modes import ModeTable

NO_UPSTREAM = (
    "klaviyo-compat: refusing to start without an upstream.\n"
    "  Production:  klaviyo-compat serve --upstream https://a.klaviyo.com\n"
    "  Demo/tests:  klaviyo-compat serve --sandbox\n"
    "(An explicit choice is required so production traffic never lands in the sandbox.)"
)


def example_path(operations: Iterable[Operation]) -> str | None:
    """A legacy read to try first: the shortest private-key GET without path parameters.

    The shortest is a top-level collection, which answers without any further parameter (a
    longer one may be a search that needs one); catalog order breaks ties.
    """
    reads = [op.path for op in operations if op.method == "GET" and op.requires_private_key]
    collections = [path for path in reads if "{" not in path]
    return min(collections, key=lambda path: (path.count("/"), len(path)), default=None)


def _serve_settings(args: argparse.Namespace) -> Settings:
    flags: dict[str, Any] = {
        "upstream": args.upstream,
        "host": args.host,
        "port": args.port,
        "revision": args.revision,
        "log_level": args.log_level,
        "log_format": args.log_format,
        "transport": args.transport,
        "admin_port": args.admin_port,
    }
    if args.sandbox:
        flags["sandbox"] = True
    return load(config=Path(args.config) if args.config else None, flags=flags)


def _run(app: Any, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,  # replaced by our redacted access line
        log_config=None,
        server_header=False,
        proxy_headers=False,
        # SIGTERM: stop accepting, give in-flight calls this long, then close (traffic flushed,
        # spool consistent: an unfinished delivery stays pending).
        timeout_graceful_shutdown=max(1, math.ceil(settings.shutdown_timeout)),
    )


def _busy_port(host: str, port: int) -> str | None:
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


def _url_host(host: str) -> str:
    """A listen address as URL host: wildcards become loopback, IPv6 literals get brackets."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def cmd_serve(args: argparse.Namespace) -> int:
    import httpx

    from proxy.engine.app import create_app
    from proxy.engine.engine import Overrides
    from proxy.observe.logs import configure

    settings = _serve_settings(args)
    if settings.sandbox and settings.upstream:
        print("klaviyo-compat: choose either --upstream or --sandbox, not both.", file=sys.stderr)
        return 2
    if not settings.sandbox and not settings.upstream:
        print(NO_UPSTREAM, file=sys.stderr)
        return 2
    from mappings.registry import REGISTRY
    from proxy.policy.modes import from_settings

    from_settings(settings, REGISTRY)  # a bad [modes] table stops here, before anything is printed
    busy = _busy_port(settings.admin_host, settings.admin_port) if settings.admin_port else None
    if busy:
        print(f"klaviyo-compat: admin port {settings.admin_port} is not available ({busy}).", file=sys.stderr)
        return 2
    configure(settings.log_level, settings.log_format)
    transport: httpx.AsyncBaseTransport | None = None
    if settings.sandbox:
        from proxy.sandbox import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, create_sandbox_app

        transport = httpx.ASGITransport(app=create_sandbox_app())
        base = f"http://{_url_host(settings.host)}:{settings.port}"
        # The sandbox builds its `links` from this URL, so a passed-through client that
        # follows `links.next` comes back through the proxy.
        settings = replace(settings, upstream=base)
        example = example_path(REGISTRY)
        try_line = f"\n  try: curl '{base}{example}?api_key={DEMO_PRIVATE_KEY}'" if example else ""
        print(
            "klaviyo-compat: SANDBOX upstream (in-memory, nothing leaves this process)\n"
            f"  legacy base URL:  {base}/api\n"
            f"  demo private key: {DEMO_PRIVATE_KEY}\n"
            f"  demo public key:  {DEMO_PUBLIC_KEY}" + try_line,
            flush=True,
        )
    config = Path(args.config) if args.config else _env_config()
    _run(create_app(settings, overrides=Overrides(transport=transport, config_path=config)), settings)
    return 0


def _env_config() -> Path | None:
    import os

    value = os.environ.get("KLAVIYO_COMPAT_CONFIG")
    return Path(value) if value else None


def cmd_sandbox(args: argparse.Namespace) -> int:
    from proxy.observe.logs import configure
    from proxy.sandbox import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, create_sandbox_app

    settings = load(flags={"host": args.host, "port": args.port})
    configure(settings.log_level, settings.log_format)
    print(
        f"klaviyo-compat sandbox (new API, revision {settings.revision}) on http://{settings.host}:{settings.port}\n"
        f"  demo private key: {DEMO_PRIVATE_KEY}\n  demo public key:  {DEMO_PUBLIC_KEY}",
        flush=True,
    )
    _run(create_sandbox_app(), settings)
    return 0


def routes_table(fmt: str = "table", modes: ModeTable | None = None) -> str:
    """The catalog; ``table`` and ``json`` also show each operation's mode (``markdown`` is the README's)."""
    from mappings.registry import REGISTRY
    from proxy.policy.modes import ModeTable

    table = modes if modes is not None else ModeTable()
    rows = []
    for op in REGISTRY:
        fidelity = op.fidelity.value + (f": {op.lost}" if op.lost else "")
        upstream = ", ".join(op.upstream) or "-"
        rows.append((op.id, f"{op.method} {op.path}", upstream, fidelity, op.doc, str(op.max_upstream_calls)))
    mode_of = {op.id: table.for_op(op.id).describe() for op in REGISTRY}
    if fmt == "markdown":
        lines = [
            "| ID | Legacy operation | New-API operation(s) | Upstream calls (max) | Fidelity "
            "| What it does |",
            "|---|---|---|---|---|---|",
        ]
        lines += [f"| {a} | `{b}` | {c} | {f} | {d} | {e} |" for a, b, c, d, e, f in rows]
        return "\n".join(lines)
    if fmt == "json":
        import orjson

        keys = ("id", "legacy", "upstream", "fidelity", "doc", "max_upstream_calls")
        return orjson.dumps(
            [{**dict(zip(keys, r, strict=True)), "mode": mode_of[r[0]]} for r in rows],
            option=orjson.OPT_INDENT_2,
        ).decode()
    header = ("ID", "LEGACY OPERATION", "MODE", "NEW-API OPERATION(S)", "MAX CALLS", "FIDELITY")
    cells = [header, *((r[0], r[1], mode_of[r[0]], r[2], _short(r[5]), r[3]) for r in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(r)) for r in cells
    )


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _mode_table(config: str | None) -> ModeTable:
    from mappings.registry import REGISTRY
    from proxy.policy.modes import from_settings

    return from_settings(load(config=Path(config) if config else None), REGISTRY)


def cmd_routes(args: argparse.Namespace) -> int:
    print(routes_table(args.format, _mode_table(args.config)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import time

    from mappings.registry import REGISTRY
    from mappings.upstream_ops import SPEC_OPERATIONS
    from proxy.policy.modes import from_settings
    from proxy.traffic.report import build_report, parse_since
    from proxy.traffic.report_format import render
    from proxy.traffic.sqlite_store import SqliteStore

    try:
        window = parse_since(args.since)
    except ValueError as exc:
        print(f"klaviyo-compat: --{exc}", file=sys.stderr)
        return 2
    flags = {"traffic_db": args.db, "report_max_callers": args.max_callers}
    settings = load(config=Path(args.config) if args.config else None, flags=flags)
    if not settings.records_traffic:
        print(
            'klaviyo-compat: traffic recording is off (traffic_db = "off"): nothing to report.',
            file=sys.stderr,
        )
        return 1
    if not Path(settings.traffic_db).is_file():
        print(
            f"klaviyo-compat: no traffic record at {settings.traffic_db} "
            "(is this the proxy's traffic_db? use --config or --db)",
            file=sys.stderr,
        )
        return 1
    import sqlite3

    try:
        store = SqliteStore(settings.traffic_db, readonly=True)
    except sqlite3.DatabaseError as exc:
        print(
            f"klaviyo-compat: {settings.traffic_db} is not a klaviyo-compat traffic record ({exc})",
            file=sys.stderr,
        )
        return 1
    try:
        report = build_report(
            store,
            window_seconds=window,
            window=args.since.strip(),
            now=time.time(),
            operations=REGISTRY,
            spec=SPEC_OPERATIONS,
            modes=from_settings(settings, REGISTRY),
            max_callers=settings.report_max_callers,
        )
    except sqlite3.DatabaseError as exc:
        print(
            f"klaviyo-compat: {settings.traffic_db} is not a klaviyo-compat traffic record ({exc})",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()
    print(render(report, args.format))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klaviyo-compat",
        description="Drop-in bridge from Klaviyo's retired v1/v2 API to the new API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the proxy")
    serve.add_argument("--upstream", help="new-API base URL, e.g. https://a.klaviyo.com")
    serve.add_argument(
        "--sandbox", action="store_true", help="use the embedded in-memory sandbox as upstream"
    )
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default 8080)")
    serve.add_argument("--config", help="TOML settings file")
    serve.add_argument("--revision", help=f"new-API revision header (default {DEFAULT_REVISION})")
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument("--log-format", dest="log_format", choices=["json", "console"])
    serve.add_argument("--transport", choices=["aiohttp", "httpx"])
    serve.add_argument(
        "--admin-port", dest="admin_port", type=int, help="serve /_compat/ and /metrics on this port only"
    )
    serve.set_defaults(func=cmd_serve)

    sandbox = sub.add_parser("sandbox", help="run the sandbox alone, as a new-API server")
    sandbox.add_argument("--host")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.set_defaults(func=cmd_sandbox)

    routes = sub.add_parser("routes", help="list every legacy operation, its target and fidelity")
    routes.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    routes.add_argument("--config", help="TOML settings file whose [modes] to show")
    routes.set_defaults(func=cmd_routes)

    report = sub.add_parser("report", help="legacy calls still made: per operation and caller")
    report.add_argument("--since", default="7d", help="window length, e.g. 24h, 7d, 2w (default 7d)")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.add_argument("--config", help="TOML settings file (traffic_db, modes)")
    report.add_argument("--db", help="traffic SQLite file (overrides traffic_db)")
    report.add_argument(
        "--max-callers",
        dest="max_callers",
        type=int,
        help="rows kept, top callers by calls; the rest fold into one 'other' row per operation (default 50)",
    )
    report.set_defaults(func=cmd_report)

    from proxy.admin.spool_cli import register as register_spool

    register_spool(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        print(f"klaviyo-compat: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
