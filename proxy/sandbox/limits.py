"""Lower rate limits some parameters bring (documented in the operation's description, not in
``x-klaviyo-ratelimit``, so not in the spec table), and their optional enforcement.

The pinned spec's get_list / get_segment descriptions say: "Rate limits when using the
``additional-fields[list]=profile_count`` parameter in your API request: Burst: ``1/s``
Steady: ``15/m``" (``[segment]`` for segments). A request using such a parameter echoes the lower
limits in its ``RateLimit-*`` headers; with ``Store.enforce_rate_limits`` the sandbox also
answers 429 (with ``Retry-After``) beyond them, as Klaviyo does.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from starlette.requests import Request

from proxy.sandbox.errors import ApiError


@dataclass(frozen=True)
class ParamLimit:
    parameter: str
    value: str
    burst: int  # per second
    steady: int  # per minute


# Spec operation id -> the lower limit its description documents for a parameter value.
PARAM_LIMITS: dict[str, ParamLimit] = {
    "get_list": ParamLimit("additional-fields[list]", "profile_count", 1, 15),
    "get_segment": ParamLimit("additional-fields[segment]", "profile_count", 1, 15),
}


def param_limit(operation_id: str, request: Request) -> ParamLimit | None:
    """The lower limit that applies to this request, if it uses the costly parameter value."""
    limit = PARAM_LIMITS.get(operation_id)
    if limit is None:
        return None
    values = ",".join(request.query_params.getlist(limit.parameter)).split(",")
    return limit if limit.value in (v.strip() for v in values) else None


class Throttled(ApiError):
    """A 429; the app sends ``retry_after`` as the ``Retry-After`` header."""

    def __init__(self, retry_after: int) -> None:
        plural = "s" if retry_after != 1 else ""
        super().__init__(
            429,
            "throttled",
            f"Request was throttled. Expected available in {retry_after} second{plural}.",
            title="Request was throttled.",
        )
        self.retry_after = retry_after


class Limiter:
    """Sliding one-second and one-minute windows per (operation id, parameter)."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def admit(self, key: str, limit: ParamLimit, now: float) -> None:
        """Record a request at ``now`` (seconds), or raise ``Throttled`` beyond the limits."""
        seen = self._seen[key]
        while seen and seen[0] <= now - 60:
            seen.popleft()
        last_second = sum(1 for t in seen if t > now - 1)
        if last_second >= limit.burst or len(seen) >= limit.steady:
            full = len(seen) >= limit.steady
            raise Throttled(int(seen[0] + 60 - now) + 1 if full else 1)
        seen.append(now)
