"""Dry-run of a write: the upstream write is logged, not sent, and answered with a synthetic success.

The synthetic answer echoes the request's JSON:API resource (with the path's ``id``, or a
placeholder ``dry-run-N`` id), so a plan that reads back what it wrote can still build the
legacy success answer. Upstream reads still run, so a plan that needs them proceeds.
"""

from __future__ import annotations

from typing import Any

import structlog

from mappings.base import Call, Reply

log = structlog.get_logger("klaviyo_compat.dry_run")

DRY_RUN_HEADER = "x-compat-dry-run"
_MAX_FIELDS = 60


def field_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted key paths of a JSON body (``data.attributes.email``): the shape, not the values."""
    if isinstance(value, dict):
        paths: list[str] = []
        for key, item in value.items():
            paths.extend(field_paths(item, f"{prefix}.{key}" if prefix else str(key)))
        return paths[:_MAX_FIELDS]
    if isinstance(value, list):
        seen: list[str] = []
        for item in value:
            seen.extend(p for p in field_paths(item, prefix + "[]") if p not in seen)
        return seen[:_MAX_FIELDS]
    return [prefix] if prefix else []


def simulated_reply(step: Call, n: int) -> Reply:
    status = next((s for s in step.expect if 200 <= s < 300), 200)
    data = step.body.get("data") if isinstance(step.body, dict) else None
    if not isinstance(data, dict):
        return Reply(status=status, body=None, headers={DRY_RUN_HEADER: "1"})
    ident = data.get("id") or step.path_params.get("id") or f"dry-run-{n}"
    return Reply(status=status, body={"data": {**data, "id": ident}}, headers={DRY_RUN_HEADER: "1"})


def not_sent(operation: str, step: Call, method: str, path: str, n: int) -> Reply:
    """Log the write that would have been sent: its operation, path and field names (never values)."""
    log.info(
        "dry_run.not_sent",
        operation=operation,
        upstream=step.op,
        method=method,
        path=path,
        fields=field_paths(step.body),
    )
    return simulated_reply(step, n)
