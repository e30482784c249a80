"""What every state backend shares: the "backend down" error and the up/down callback."""

from __future__ import annotations

from collections.abc import Callable

OnChange = Callable[[bool], None]  # called with False when a shared backend stops answering, True when back


class StateUnavailable(Exception):
    """The shared state backend did not answer; the legacy caller gets a 503."""
