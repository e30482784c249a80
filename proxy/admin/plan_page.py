"""The dashboard's "Plan" view (``/_compat/plan``): the migration plan per caller as one HTML page.

Same rules as the dashboard: self-contained (inline CSS, no script), nothing fetched.
"""

from __future__ import annotations

from html import escape

from proxy.admin.dashboard import CSS
from proxy.traffic.plan import CallerPlan, MigrationPlan, Step

PLAN_CSS = "pre{background:#f4f4f4;padding:6px;font-size:12px;white-space:pre-wrap}.caller{margin-top:28px}"


def _step(step: Step) -> str:
    if step.next_mode:
        setting = f'[modes] {step.operation} = "{step.next_mode}"'
        switch = (
            f"<b>{escape(step.next_mode)}</b> (<code>{escape(setting)}</code>): {escape(step.next_mode_why)}"
        )
    else:
        switch = escape(step.next_mode_why)
    lost = f": {escape(step.lost)}" if step.lost else ""
    return (
        f'<tr data-operation="{escape(step.operation)}"><td><code>{escape(step.operation)}</code><br>'
        f"<code>{escape(step.legacy)}</code></td>"
        f'<td class="n">{step.calls}</td><td>{escape(step.last_seen)}</td>'
        f"<td><code>{escape(step.successor)}</code><br>"
        f'<a href="{escape(step.doc)}">{escape(step.successor_id)}</a>'
        f"<pre>{escape(step.curl)}</pre>Python: <code>{escape(step.python_sdk or '-')}</code><br>"
        f"Node: <code>{escape(step.node_sdk or '-')}</code></td>"
        f"<td>{escape(step.fidelity)}{lost}</td><td>{escape(step.mode)}</td><td>{switch}</td></tr>"
    )


def _caller(plan: CallerPlan) -> str:
    label = f" ({escape(plan.label)})" if plan.label else ""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Legacy operation", "Calls", "Last seen", "Successor", "Fidelity", "Mode now", "Next mode")
    )
    rows = "".join(_step(s) for s in plan.steps)
    return (
        f'<section class="caller" data-caller="{escape(plan.caller)}">'
        f"<h2>Caller <code>{escape(plan.caller)}</code>"
        f'{label}</h2><p class="muted">{plan.calls:,} legacy call(s), last {escape(plan.last_seen)}; '
        f"User-Agent: {escape(plan.user_agent or '-')}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def render_plan(plan: MigrationPlan, dashboard_href: str) -> str:
    nothing = f"No legacy calls recorded in the last {escape(plan.window)}: nothing left to migrate."
    body = "".join(_caller(c) for c in plan.callers) or f'<p id="nothing">{nothing}</p>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>klaviyo-compat: migration plan</title>"
        f'<meta name="viewport" content="width=device-width"><style>{CSS}{PLAN_CSS}</style></head><body>'
        "<h1>Migration plan per caller</h1>"
        f'<p class="muted">Window {escape(plan.since)} to {escape(plan.until)} ({escape(plan.window)}); '
        f'<a href="{escape(dashboard_href)}">dashboard</a>. Find a caller\'s hash with '
        "<code>klaviyo-compat whois KEY</code>.</p>"
        f"{body}</body></html>"
    )
