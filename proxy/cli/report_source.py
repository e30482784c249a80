"""The report of the recorded traffic, as ``report`` and ``plan`` read it from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from proxy.settings import load
from proxy.traffic.report import Report


def recorded_report(args: argparse.Namespace) -> Report | int:
    """The report of the recorded traffic (``--since``, ``--config``, ``--db``, ``--max-callers``),
    or the exit code after a one-line reason on stderr."""
    import time

    from mappings.registry import REGISTRY
    from mappings.upstream_ops import SPEC_OPERATIONS
    from proxy.policy.modes import from_settings
    from proxy.traffic.report import build_report, parse_since
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
        where = (
            "with state_url the replicas send their record to `klaviyo-compat recorder`: run report "
            "where the recorder runs, or GET /_compat/report from it"
            if settings.state_url
            else "is this the proxy's traffic_db? use --config or --db"
        )
        print(f"klaviyo-compat: no traffic record at {settings.traffic_db} ({where})", file=sys.stderr)
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
    return report
