"""Command line: ``klaviyo-compat serve | sandbox | routes``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from proxy.settings import Settings, SettingsError, load

NO_UPSTREAM = (
    "klaviyo-compat: refusing to start without an upstream.\n"
    "  Production:  klaviyo-compat serve --upstream https://a.klaviyo.com\n"
    "  Demo/tests:  klaviyo-compat serve --sandbox\n"
    "(An explicit choice is required so production traffic never lands in the sandbox.)"
)


def _serve_settings(args: argparse.Namespace) -> Settings:
    flags: dict[str, Any] = {
        "upstream": args.upstream,
        "host": args.host,
        "port": args.port,
        "revision": args.revision,
        "log_level": args.log_level,
        "log_format": args.log_format,
        "transport": args.transport,
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
    )


def cmd_serve(args: argparse.Namespace) -> int:
    import httpx

    from proxy.app import create_app
    from proxy.logs import configure

    settings = _serve_settings(args)
    if settings.sandbox and settings.upstream:
        print("klaviyo-compat: choose either --upstream or --sandbox, not both.", file=sys.stderr)
        return 2
    if not settings.sandbox and not settings.upstream:
        print(NO_UPSTREAM, file=sys.stderr)
        return 2
    configure(settings.log_level, settings.log_format)
    transport: httpx.AsyncBaseTransport | None = None
    if settings.sandbox:
        from proxy.sandbox import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, create_sandbox_app

        transport = httpx.ASGITransport(app=create_sandbox_app())
        base = f"http://{settings.host}:{settings.port}"
        # The sandbox builds its `links` from this URL, so a passed-through client that
        # follows `links.next` comes back through the proxy.
        settings = replace(settings, upstream=base)
        print(
            "klaviyo-compat: SANDBOX upstream (in-memory, nothing leaves this process)\n"
            f"  legacy base URL:  {base}/api\n"
            f"  demo private key: {DEMO_PRIVATE_KEY}\n"
            f"  demo public key:  {DEMO_PUBLIC_KEY}\n"
            f"  try: curl '{base}/api/v2/lists?api_key={DEMO_PRIVATE_KEY}'",
            flush=True,
        )
    _run(create_app(settings, transport=transport), settings)
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from proxy.logs import configure
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


def routes_table(fmt: str = "table") -> str:
    from mappings.registry import REGISTRY

    rows = []
    for op in REGISTRY:
        fidelity = op.fidelity.value + (f": {op.lost}" if op.lost else "")
        rows.append((op.id, f"{op.method} {op.path}", ", ".join(op.upstream) or "-", fidelity, op.doc))
    if fmt == "markdown":
        lines = [
            "| ID | Legacy operation | New-API operation(s) | Fidelity | What it does |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {a} | `{b}` | {c} | {d} | {e} |" for a, b, c, d, e in rows]
        return "\n".join(lines)
    if fmt == "json":
        import orjson

        keys = ("id", "legacy", "upstream", "fidelity", "doc")
        return orjson.dumps(
            [dict(zip(keys, r, strict=True)) for r in rows], option=orjson.OPT_INDENT_2
        ).decode()
    header = ("ID", "LEGACY OPERATION", "NEW-API OPERATION(S)", "FIDELITY")
    table = [header, *(r[:4] for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(r)) for r in table
    )


def cmd_routes(args: argparse.Namespace) -> int:
    print(routes_table(args.format))
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
    serve.add_argument("--revision", help="new-API revision header (default 2026-07-15)")
    serve.add_argument("--log-level", dest="log_level")
    serve.add_argument("--log-format", dest="log_format", choices=["json", "console"])
    serve.add_argument("--transport", choices=["aiohttp", "httpx"])
    serve.set_defaults(func=cmd_serve)

    sandbox = sub.add_parser("sandbox", help="run the sandbox alone, as a new-API server")
    sandbox.add_argument("--host")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.set_defaults(func=cmd_sandbox)

    routes = sub.add_parser("routes", help="list every legacy operation, its target and fidelity")
    routes.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    routes.set_defaults(func=cmd_routes)
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
