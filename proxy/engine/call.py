"""What one request tells its access line: a typed slot in the ASGI scope instead of a loose dict.

The middleware opens a :class:`CallSlot` with the request id; whoever serves the call (the legacy
handler, the pass-through) records what it has learnt in its :class:`CallOutcome` as it learns
it, so a call that fails half-way still reports how far it got.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

from proxy.observe.redact import fingerprint

SLOT_KEY = "klaviyo_compat.call"


@dataclass(slots=True)
class CallOutcome:
    """The access line's view of a call, beyond method, path and status.

    Set field by field as the call goes (a slotted object: a field set costs a store, where a
    named tuple's ``_replace`` built a new tuple in Python, several times on every call)."""

    kind: str = "other"  # legacy | passthrough | other (health, admin, unknown)
    operation: str | None = None
    mode: str | None = None  # what this call got (brownout decides per call)
    caller: str | None = None  # a key or token hash, never the key
    upstream_calls: int = 0
    reason: str | None = None  # why a track/identify answered 0 (LegacyReply.reason), never personal data


class CallSlot:
    """Per request: its id (set by the middleware) and the latest outcome (set by the server)."""

    __slots__ = ("hidden", "outcome", "request_id", "status")

    def __init__(self, request_id: str | None = None) -> None:
        self.request_id = request_id
        self.status: int | None = None  # the answer's status once it started (set by the middleware)
        self.outcome = CallOutcome()
        # Values the access line must not show even where no pattern finds them (the caller's
        # 6-character public key in a path): replaced by their fingerprint.
        self.hidden: tuple[str, ...] = ()

    def hide(self, text: str) -> str:
        """``text`` with every hidden value replaced by its fingerprint."""
        for value in self.hidden:
            if value and value in text:
                text = text.replace(value, f"<{fingerprint(value, 'token')}>")
        return text


def call_slot(scope: Scope) -> CallSlot:
    """The request's slot; an app served without the middleware (a unit test) gets a fresh one."""
    slot = scope.get(SLOT_KEY)
    if not isinstance(slot, CallSlot):
        slot = scope[SLOT_KEY] = CallSlot()
    return slot
