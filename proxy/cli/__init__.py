"""Command line: ``klaviyo-compat serve | sandbox | routes | report | check | plan | cert | whois | spool |
recorder``.

This module holds the parser and the original commands; newer commands live in modules of this
package (``check``, ``plan``, ``cert``, ``whois``, ``recorder``, ``output``; ``spool`` in
``proxy.admin.spool_cli``), each registering its subparser.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxy.cli.startup import busy_port as _busy_port
from proxy.cli.startup import env_config as _env_config
from proxy.cli.startup import run as _run
from proxy.cli.startup import state_refusal as _state_refusal
from proxy.settings import DEFAULT_REVISION, LOG_LEVELS, Settings, SettingsError, load
from proxy.traffic.report import DEFAULT_WINDOW

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


def _serve_flags(args: argparse.Namespace) -> dict[str, Any]:
    flags: dict[str, Any] = {
        "upstream": args.upstream,
        "host": args.host,
        "port": args.port,
        "revision": args.revision,
        "log_level": args.log_level,
        "log_format": args.log_format,
        "transport": args.transport,
        "admin_port": args.admin_port,
        "tls_cert": args.tls_cert,
        "tls_key": args.tls_key,
    }
    if args.sandbox:
        flags["sandbox"] = True
    return flags


def _serve_settings(args: argparse.Namespace) -> Settings:
    return load(config=Path(args.config) if args.config else None, flags=_serve_flags(args))


def _refusal(settings: Settings, *, empty: bool) -> str | None:
    """Why ``serve`` must not start with these settings (one line), or None."""
    from mappings.registry import REGISTRY
    from proxy.policy.modes import from_settings

    if settings.sandbox and settings.upstream:
        return "klaviyo-compat: choose either --upstream or --sandbox, not both."
    if not settings.sandbox and not settings.upstream:
        return NO_UPSTREAM
    if empty and not settings.sandbox:
        return "klaviyo-compat: --empty empties the demo account of --sandbox; without it, it means nothing."
    from_settings(settings, REGISTRY)  # a bad [modes] table raises SettingsError (exit 2)
    tls_problem = _tls_problem(settings)
    if tls_problem:
        return f"klaviyo-compat: {tls_problem}"
    busy = _busy_port(settings.host, settings.port)
    if busy:
        return f"klaviyo-compat: port {settings.port} on {settings.host} is not available ({busy})."
    busy = _busy_port(settings.admin_host, settings.admin_port) if settings.admin_port else None
    if busy:
        return f"klaviyo-compat: admin port {settings.admin_port} is not available ({busy})."
    return None


def _workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why ``--workers N`` cannot run with these settings (one line), or None."""
    if workers < 1:
        return f"klaviyo-compat: --workers must be 1 or more, got {workers}."
    if workers == 1:
        return None
    if not settings.state_url:
        return (
            f"klaviyo-compat: --workers {workers} needs state_url (a shared Redis): each worker would "
            "keep its own continuation tokens and cache, so a marker minted by one is unknown to the next."
        )
    if settings.sandbox:
        return (
            "klaviyo-compat: --workers with --sandbox would give each worker its own demo account; "
            "run 'klaviyo-compat sandbox' and point --upstream at it."
        )
    if settings.admin_port:
        return "klaviyo-compat: --workers with admin_port: the workers cannot share one admin listener."
    return None


def _tls_problem(settings: Settings) -> str | None:
    """Why the TLS certificate and key cannot serve (checked up front: one line, not a traceback)."""
    if not settings.tls_cert:
        return None
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            settings.tls_cert, settings.tls_key
        )
    except ssl.SSLError as exc:
        return f"--tls-cert/--tls-key cannot be used together ({exc.reason or exc})"
    except OSError as exc:
        return f"--tls-cert/--tls-key cannot be read ({exc.strerror or exc})"
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
    workers = args.workers if args.workers is not None else 1
    refusal = (
        _refusal(settings, empty=args.empty)
        or _workers_refusal(settings, workers)
        or _state_refusal(settings)
    )
    if refusal:  # checked before anything is printed or bound: one line, exit 2
        print(refusal, file=sys.stderr)
        return 2
    from mappings.registry import REGISTRY

    configure(settings.log_level, settings.log_format)
    if not settings.sunset and not settings.sandbox:  # a demo needs no cut-off date
        import structlog

        structlog.get_logger("klaviyo_compat.cli").warning(
            "sunset.not_set",
            header="Sunset: 2024-06-30 (the legacy API's retirement, already past)",
            fix="set sunset (KLAVIYO_COMPAT_SUNSET) to your own cut-off date, e.g. 2027-01-31",
        )
    transport: httpx.AsyncBaseTransport | None = None
    if settings.sandbox:
        from proxy.cli.demo import sandbox_upstream

        transport, settings = sandbox_upstream(
            settings,
            empty=args.empty,
            base=f"{'https' if settings.tls_cert else 'http'}://{_url_host(settings.host)}:{settings.port}",
            example=example_path(REGISTRY),
        )
    config = Path(args.config) if args.config else _env_config()
    if workers > 1:
        from proxy.cli.workers import FACTORY, hand_over

        hand_over(_serve_flags(args), config)
        _run(FACTORY, settings, workers)
        return 0
    _run(create_app(settings, overrides=Overrides(transport=transport, config_path=config)), settings)
    return 0


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


def routes_table(fmt: str = "table", modes: ModeTable | None = None, width: int | None = None) -> str:
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
    cells = [header, *((r[0], r[1], mode_of[r[0]], r[2], r[5], r[3]) for r in rows)]
    from proxy.traffic import text_table

    return text_table.render(cells, shrinkable={1, 3, 4, 5}, width=width)


def _mode_table(config: str | None) -> ModeTable:
    from mappings.registry import REGISTRY
    from proxy.policy.modes import from_settings

    return from_settings(load(config=Path(config) if config else None), REGISTRY)


def cmd_routes(args: argparse.Namespace) -> int:
    from proxy.traffic.text_table import terminal_width

    print(routes_table(args.format, _mode_table(args.config), terminal_width(args.width)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from proxy.cli.report_source import recorded_report
    from proxy.traffic.report_format import render
    from proxy.traffic.text_table import terminal_width

    report = recorded_report(args)
    if isinstance(report, int):
        return report
    print(render(report, args.format, terminal_width(args.width)))
    return 0


WIDTH_HELP = (
    "table width: long columns are cut to fit (default: the terminal's when output is one, else "
    "unlimited; 0 = unlimited). markdown/csv/json always keep everything"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klaviyo-compat",
        description="Drop-in bridge from Klaviyo's retired v1/v2 API to the new API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the proxy")
    serve.add_argument("--upstream", help="new-API base URL, e.g. https://a.klaviyo.com")
    serve.add_argument(
        "--sandbox", action="store_true", help="use the embedded in-memory sandbox as upstream"
    )
    serve.add_argument(
        "--empty", action="store_true", help="with --sandbox: start with an empty account (no demo data)"
    )
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default 8080)")
    serve.add_argument("--config", help="TOML settings file")
    serve.add_argument("--revision", help=f"new-API revision header (default {DEFAULT_REVISION})")
    serve.add_argument("--log-level", dest="log_level", choices=LOG_LEVELS, help="default info")
    serve.add_argument("--log-format", dest="log_format", choices=["json", "console"])
    serve.add_argument("--transport", choices=["aiohttp", "h1", "httpx"])
    serve.add_argument(
        "--admin-port", dest="admin_port", type=int, help="serve /_compat/ and /metrics on this port only"
    )
    serve.add_argument(
        "--tls-cert", dest="tls_cert", help="serve HTTPS: certificate (chain) PEM, e.g. from 'cert'"
    )
    serve.add_argument("--tls-key", dest="tls_key", help="serve HTTPS: its private key PEM")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes on this port (default 1); more than 1 needs state_url (shared Redis)",
    )
    serve.set_defaults(func=cmd_serve)

    sandbox = sub.add_parser("sandbox", help="run the sandbox alone, as a new-API server")
    sandbox.add_argument("--host")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.set_defaults(func=cmd_sandbox)

    routes = sub.add_parser("routes", help="list every legacy operation, its target and fidelity")
    routes.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    routes.add_argument("--config", help="TOML settings file whose [modes] to show")
    routes.add_argument("--width", type=int, help=WIDTH_HELP)
    routes.set_defaults(func=cmd_routes)

    report = sub.add_parser("report", help="legacy calls still made: per operation and caller")
    report.add_argument(
        "--since", default=DEFAULT_WINDOW, help=f"window length, e.g. 24h, 7d, 2w (default {DEFAULT_WINDOW})"
    )
    report.add_argument("--format", choices=["table", "csv", "json", "markdown"], default="table")
    report.add_argument("--width", type=int, help=WIDTH_HELP)
    report.add_argument("--config", help="TOML settings file (traffic_db, modes)")
    report.add_argument("--db", help="traffic SQLite file (overrides traffic_db)")
    report.add_argument(
        "--max-callers",
        dest="max_callers",
        type=int,
        help="rows kept, top callers by calls; the rest fold into one 'other' row per operation (default 50)",
    )
    report.set_defaults(func=cmd_report)
    from proxy.cli import cert, check, plan, recorder, whois

    for module in (check, plan, cert, whois, recorder):
        module.register(sub)

    from proxy.admin.spool_cli import register as register_spool

    register_spool(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("klaviyo-compat")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a closed pipe (``report | head``) shows here, inside the handler
    except SettingsError as exc:
        print(f"klaviyo-compat: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        import os

        # The reader went away: say nothing more, and keep the interpreter's final flush quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for SIGPIPE
    return code


if __name__ == "__main__":
    raise SystemExit(main())
