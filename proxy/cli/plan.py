"""``klaviyo-compat plan [--caller X] [--format markdown|json]``: the migration plan per caller."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from proxy.traffic.report import DEFAULT_WINDOW


def register(sub: Any) -> None:
    plan = sub.add_parser("plan", help="per caller: what it still calls and what to change it to")
    plan.add_argument("--caller", help="only this caller: its hash (see 'whois') or its label")
    plan.add_argument("--format", choices=["markdown", "json"], default="markdown")
    plan.add_argument("--since", default=DEFAULT_WINDOW, help=f"window length (default {DEFAULT_WINDOW})")
    plan.add_argument("--config", help="TOML settings file (traffic_db, modes, revision)")
    plan.add_argument("--db", help="traffic SQLite file (overrides traffic_db)")
    plan.set_defaults(func=cmd_plan, max_callers=None)


def cmd_plan(args: argparse.Namespace) -> int:
    import orjson

    from mappings.registry import REGISTRY
    from mappings.upstream_ops import REVISION, SPEC_BODY_TYPES, SPEC_OPERATIONS, SPEC_TAGS
    from proxy.cli.report_source import recorded_report
    from proxy.traffic.plan import SpecFacts, as_markdown, build_plan

    report = recorded_report(args)
    if isinstance(report, int):
        return report
    facts = SpecFacts(SPEC_TAGS, SPEC_BODY_TYPES, REVISION)
    plan = build_plan(report, REGISTRY, SPEC_OPERATIONS, facts, caller=args.caller)
    if args.caller and not plan.callers:
        print(f"klaviyo-compat: no caller {args.caller!r} in the last {report.window}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(orjson.dumps(plan.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        print(as_markdown(plan), end="")
    return 0
