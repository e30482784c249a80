"""One legacy call as the traffic record keeps it: what, how it went, and who (hashed) asked.

Nothing personal goes in: the caller is a hash of the key or public token, the client address
is hashed, the User-Agent and the caller label are scrubbed of anything that looks like a key,
an e-mail address or a phone number, and no path, query or body is kept.
"""

from __future__ import annotations

from typing import NamedTuple

from proxy.observe.redact import scrub_text

UNMAPPED = "unmapped"  # the operation of a legacy path no mapping serves


class TrafficRecord(NamedTuple):
    """Immutable; a named tuple rather than a frozen dataclass: one is built on every legacy call,
    and a tuple is built in C (a frozen dataclass sets each of its 13 fields one call at a time)."""

    ts: float  # Unix time the call arrived
    operation: str  # catalog id, or UNMAPPED
    mode: str  # the route's configured mode
    action: str  # what the call got: translate, reject or dry-run
    status: int  # HTTP status sent to the legacy client
    failed: bool  # an error answer (status >= 400, or a legacy "0")
    upstream_calls: int
    latency_ms: float
    fidelity: str
    caller: str | None  # fingerprint of the private key or public token
    label: str | None  # the optional caller label header
    user_agent: str | None
    client: str | None  # fingerprint of the client address

    @property
    def status_class(self) -> str:
        return f"{self.status // 100}xx"


def clean(value: str | None, limit: int) -> str | None:
    """A header value safe to keep: redacted, printable, bounded."""
    if not value:
        return None
    # Cut first (with room for a token cut at the edge), then scrub: a hostile 8 MB header costs
    # what a short one does.
    text = scrub_text(value[: limit + 256], limit + 256)
    if not text.isprintable():
        text = "".join(ch for ch in text if ch.isprintable())
    return text[:limit] or None
