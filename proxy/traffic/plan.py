"""The migration plan per caller: what each caller still calls, and what to change it to.

Generated from the report's rows (who calls which legacy operation, how often, when last) and
the mapping declarations (successor, fidelity, what is lost), so a new mapping gets its plan
entry for free. For each legacy operation a caller uses: the successor new-API endpoint with a
minimal curl request and the official SDKs' method names (Python ``klaviyo-api``:
``klaviyo.<Tag>.<operation_id>``; Node ``klaviyo-api``: ``<Tag>Api.<operationId>``, the tag
being the spec's), the fidelity notes, and the mode to switch the route to next
(dry-run for a write, then brownout, then reject).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mappings.core import Operation
from proxy.traffic.report import Report
from proxy.traffic.report_row import ReportRow

API_HOST = "https://a.klaviyo.com"
NEXT_MODE_WHY = {
    "dry-run": "writes are answered as before but no longer sent: switch once the caller writes "
    "through the successor, to prove nothing still depends on the legacy call",
    "brownout": "a share of calls (or time windows) is refused with 410: forgotten callers show up",
    "reject": "every call is refused with 410 naming the successor",
    "": "already rejected: remove the call from the caller",
}


@dataclass(frozen=True)
class Step:
    """One legacy operation a caller still uses, and its way out."""

    operation: str
    legacy: str
    calls: int
    last_seen: str
    mode: str
    next_mode: str  # "" when already rejected
    next_mode_why: str
    successor: str  # METHOD /path
    successor_id: str  # spec operation id
    doc: str
    curl: str
    python_sdk: str
    node_sdk: str
    fidelity: str
    lost: str | None


@dataclass(frozen=True)
class CallerPlan:
    caller: str
    label: str | None
    user_agent: str | None
    calls: int
    last_seen: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class MigrationPlan:
    window: str
    since: str
    until: str
    callers: tuple[CallerPlan, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def next_mode(mode: str, op: Operation) -> str:
    """dry-run (writes only) -> brownout -> reject; "" once rejected."""
    current = mode.split(" ", 1)[0]
    if current == "translate":
        return "dry-run" if op.is_write else "brownout"
    return {"dry-run": "brownout", "brownout": "reject"}.get(current, "")


def camel(operation_id: str) -> str:
    head, *rest = operation_id.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def sdk_names(operation_id: str, tags: Mapping[str, str]) -> tuple[str, str]:
    """(Python, Node) SDK methods, e.g. ``klaviyo.Profiles.get_profile``, ``ProfilesApi.getProfile``."""
    tag = tags.get(operation_id, "")
    if not tag:
        return "", ""
    return (
        f"klaviyo.{tag.replace(' ', '_')}.{operation_id}",
        f"{tag.replace(' ', '')}Api.{camel(operation_id)}",
    )


@dataclass(frozen=True)
class SpecFacts:
    """What the plan takes from the pinned spec besides the operation table."""

    tags: Mapping[str, str]  # operation id -> first tag (the SDKs' resource)
    body_types: Mapping[str, str]  # operation id -> its request body's data.type
    revision: str  # the revision header the examples send


def curl_example(operation_id: str, spec: Mapping[str, Mapping[str, Any]], facts: SpecFacts) -> str:
    row = spec.get(operation_id)
    if row is None:
        return ""
    path = str(row["path"]).replace("{", "<").replace("}", ">")
    client = path.startswith("/client/")
    parts = [f"curl -X {row['method']} '{API_HOST}{path}{'?company_id=<public key>' if client else ''}'"]
    if not client:
        parts.append("-H 'Authorization: Klaviyo-API-Key <private key>'")
    parts += [f"-H 'revision: {facts.revision}'", "-H 'accept: application/vnd.api+json'"]
    if row["method"] in ("POST", "PATCH", "PUT"):
        kind = facts.body_types.get(operation_id) or row.get("type") or "<type>"
        parts.append("-H 'content-type: application/vnd.api+json'")
        parts.append(f'--data \'{{"data": {{"type": "{kind}", "attributes": {{}}}}}}\'')
    return " \\\n  ".join(parts)


def _step(
    row: ReportRow,
    op: Operation,
    spec: Mapping[str, Mapping[str, Any]],
    facts: SpecFacts,
) -> Step:
    successor_id = op.successor.rstrip("/").rsplit("/", 1)[-1]
    python, node = sdk_names(successor_id, facts.tags)
    following = next_mode(row.mode, op)
    return Step(
        operation=op.id,
        legacy=row.legacy,
        calls=row.count,
        last_seen=row.last_seen,
        mode=row.mode,
        next_mode=following,
        next_mode_why=NEXT_MODE_WHY[following],
        successor=row.successor,
        successor_id=successor_id,
        doc=op.successor,
        curl=curl_example(successor_id, spec, facts),
        python_sdk=python,
        node_sdk=node,
        fidelity=op.fidelity.value,
        lost=op.lost,
    )


def build_plan(
    report: Report,
    operations: Sequence[Operation],
    spec: Mapping[str, Mapping[str, Any]],
    facts: SpecFacts,
    caller: str | None = None,
) -> MigrationPlan:
    """One plan per caller of the report (hash and label), most calls first; ``caller`` keeps the
    callers whose hash or label equals it."""
    by_id = {op.id: op for op in operations}
    grouped: dict[tuple[str, str | None], list[ReportRow]] = {}
    for row in report.rows:
        if row.operation not in by_id:
            continue  # unmapped paths: no successor to plan
        who = (row.caller or "-") if row.callers == 1 else f"other ({row.callers} callers)"
        grouped.setdefault((who, row.label), []).append(row)
    plans = []
    for (who, label), rows in grouped.items():
        if caller is not None and caller not in (who, label):
            continue
        steps = tuple(_step(r, by_id[r.operation], spec, facts) for r in sorted(rows, key=lambda r: -r.count))
        agents = sorted({r.user_agent for r in rows if r.user_agent})
        plans.append(
            CallerPlan(
                who,
                label,
                ", ".join(agents) or None,
                sum(s.calls for s in steps),
                max(r.last_seen for r in rows),
                steps,
            )
        )
    plans.sort(key=lambda p: -p.calls)
    return MigrationPlan(report.window, report.since, report.until, tuple(plans))


def as_markdown(plan: MigrationPlan) -> str:
    lines = [f"# Migration plan ({plan.window}: {plan.since} to {plan.until})", ""]
    if not plan.callers:
        lines.append(f"No legacy calls recorded in the last {plan.window}: nothing left to migrate.")
    for who in plan.callers:
        name = f"`{who.caller}`" + (f" ({who.label})" if who.label else "")
        lines += [f"## Caller {name}", ""]
        lines.append(
            f"{who.calls:,} legacy call(s), last {who.last_seen}; User-Agent: {who.user_agent or '-'}"
        )
        lines.append("")
        for step in who.steps:
            lines += _step_markdown(step)
    return "\n".join(lines).rstrip() + "\n"


def _step_markdown(step: Step) -> list[str]:
    if step.next_mode:
        setting = f'[modes] {step.operation} = "{step.next_mode}"'
        switch = f"switch to **{step.next_mode}** (`{setting}`): {step.next_mode_why}"
    else:
        switch = step.next_mode_why
    lines = [
        f"### {step.operation} `{step.legacy}`: {step.calls:,} call(s), last {step.last_seen}",
        "",
        f"- Successor: `{step.successor}` ([{step.successor_id}]({step.doc}))",
        f"- Python SDK: `{step.python_sdk or '-'}`; Node SDK: `{step.node_sdk or '-'}`",
        f"- Fidelity: {step.fidelity}" + (f": {step.lost}" if step.lost else ""),
        f"- Mode now: {step.mode}; next: {switch}",
        "",
    ]
    if step.curl:
        lines += ["```sh", step.curl, "```", ""]
    return lines
