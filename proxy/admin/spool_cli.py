"""``klaviyo-compat spool list|retry|purge``: the write spool's dead letters, for operators.

``list`` shows the counts and the dead letters (id, when, upstream operation, status, attempts,
the upstream's error code and the account's hash: never the sealed payload); ``retry`` moves
dead letters back to the queue, at their original place in their account's order (a running
proxy picks them up at its next poll); ``purge`` deletes them. Without ids, ``--all`` is needed.

The spool is the one ``serve`` would use: the Redis of ``state_url`` when set (in the config
file or ``KLAVIYO_COMPAT_STATE_URL``; every replica's dead letters), else the SQLite file
``spool_db``; ``--db`` names a SQLite file explicitly. On Redis a retried dead letter goes to the
end of its account's queue (a stream only grows at its end); in SQLite back to its old place.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from proxy.settings import Settings, load
from proxy.state.shared import StateUnavailable
from proxy.state.spool import Spool
from proxy.state.sqlite_spool import SqliteSpool


def register(sub: Any) -> None:
    spool = sub.add_parser("spool", help="the write spool's dead letters: list, retry or purge them")
    spool.add_argument("action", choices=["list", "retry", "purge"])
    spool.add_argument("ids", nargs="*", help="dead-letter ids (retry/purge)")
    spool.add_argument("--all", action="store_true", help="every dead letter (retry/purge)")
    spool.add_argument("--config", help="TOML settings file (state_url or spool_db)")
    spool.add_argument("--db", help="spool SQLite file (overrides spool_db and state_url)")
    spool.add_argument("--limit", type=int, default=100, help="dead letters listed (default 100)")
    spool.add_argument("--format", choices=["table", "json"], default="table")
    spool.set_defaults(func=cmd_spool)


def cmd_spool(args: argparse.Namespace) -> int:
    flags = {"spool_db": args.db, "state_url": "" if args.db else None}
    settings = load(config=Path(args.config) if args.config else None, flags=flags)
    if not settings.spools:
        print('klaviyo-compat: the write spool is off (spool_db = "off").', file=sys.stderr)
        return 1
    if not settings.state_url and not Path(settings.spool_db).exists():
        print(f"klaviyo-compat: no spool at {settings.spool_db} (nothing was ever spooled).", file=sys.stderr)
        return 1
    if args.action != "list" and not args.ids and not args.all:
        print(f"klaviyo-compat: spool {args.action} needs dead-letter ids or --all.", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(_act(settings, args)))
    except StateUnavailable as exc:
        print(f"klaviyo-compat: the Redis of state_url does not answer ({exc}).", file=sys.stderr)
        return 1
    return 0


def _open(settings: Settings) -> Spool:
    if settings.state_url:
        from proxy.state.redis_spool import RedisSpool

        return RedisSpool.from_settings(settings)
    return SqliteSpool(settings.spool_db, max_entries=settings.spool_max_entries)


async def _act(settings: Settings, args: argparse.Namespace) -> str:
    spool = _open(settings)
    try:
        ids = None if args.all else list(args.ids)
        if args.action == "retry":
            return f"{await spool.retry(ids, time.time())} dead letter(s) queued again"
        if args.action == "purge":
            return f"{await spool.purge(ids)} dead letter(s) deleted"
        return await _listing(spool, args.limit, args.format)
    finally:
        await spool.aclose()


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _listing(spool: Spool, limit: int, fmt: str) -> str:
    counts = await spool.counts()
    letters = await spool.dead_letters(limit)
    rows = [
        {
            "id": d.id,
            "failed": _when(d.failed),
            "accepted": _when(d.accepted),
            "operation": d.operation,
            "status": d.status,
            "attempts": d.attempts,
            "reason": d.reason,
            "account": d.account,
        }
        for d in letters
    ]
    if fmt == "json":
        body = {"pending": counts.pending, "dead": counts.dead, "dead_letters": rows}
        return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
    lines = [f"pending: {counts.pending}  dead letters: {counts.dead}"]
    if rows:
        header = ("ID", "FAILED", "OPERATION", "STATUS", "ATTEMPTS", "ACCOUNT", "REASON")
        cells = [header] + [
            (str(r["id"]), str(r["failed"]), str(r["operation"]), str(r["status"]), str(r["attempts"]),
             str(r["account"])[:16], str(r["reason"]))
            for r in rows
        ]  # fmt: skip
        widths = [max(len(c[i]) for c in cells) for i in range(len(header) - 1)]
        lines += [
            "  ".join(c.ljust(widths[i]) for i, c in enumerate(row[:-1])) + "  " + row[-1] for row in cells
        ]
    return "\n".join(lines)
