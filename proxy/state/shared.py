"""What every state backend shares: the "backend down" error, the up/down callback and state."""

from __future__ import annotations

from collections.abc import Callable

import structlog

_log = structlog.get_logger("klaviyo_compat.state")
OnChange = Callable[[bool], None]  # called with False when a shared backend stops answering, True when back


class StateUnavailable(Exception):
    """The shared state backend did not answer; the legacy caller gets a 503."""


class Availability:
    """Whether one shared backend answers, with one log line per change (never one per failure).

    ``mark(up, reason)`` records the latest outcome; only a change logs: ``down_event`` (error,
    with the reason and ``down_effect``) or ``up_event`` (``up_level``, with ``up_effect``), then
    tells ``on_change``. Every Redis-backed part (state backend, budgets, spool, the traffic
    stream's sink and consumer) keeps one.
    """

    __slots__ = (
        "down_effect",
        "down_event",
        "fields",
        "on_change",
        "up",
        "up_effect",
        "up_event",
        "up_level",
    )

    def __init__(
        self,
        *,
        down_event: str,
        down_effect: str,
        up_event: str,
        up_effect: str | None = None,
        up_level: str = "warning",
        up: bool = True,
        on_change: OnChange | None = None,
        **fields: str,
    ) -> None:
        self.down_event, self.down_effect = down_event, down_effect
        self.up_event, self.up_effect, self.up_level = up_event, up_effect, up_level
        self.up = up
        self.on_change = on_change
        self.fields = fields  # logged with both lines (e.g. the stream's key)

    def mark(self, up: bool, reason: str = "") -> None:
        if up == self.up:
            return
        self.up = up
        if up:
            extra = {"effect": self.up_effect} if self.up_effect is not None else {}
            getattr(_log, self.up_level)(self.up_event, **self.fields, **extra)
        else:
            _log.error(self.down_event, **self.fields, reason=reason, effect=self.down_effect)
        if self.on_change is not None:
            self.on_change(up)
