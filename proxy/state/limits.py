"""Which (account, upstream operation) pairs a rate budget covers, and with which windows.

Two ways (``rate_budgets``, README "Rate budgets"):

* ``spec``: every pair from the first call, on the spec's burst and steady tiers;
* ``upstream``: a pair only once the upstream has declared limits for it: a reply carrying a
  parseable ``RateLimit-Limit`` header (IETF draft "ratelimit-headers": first the current
  quota, then ``limit;w=seconds`` policies, e.g. ``10, 10;w=1, 150;w=60``), or a 429. The
  declared policies become the pair's windows; a 429 or a header without a usable policy uses the
  spec's tiers. An upstream that declares nothing (a stand-in, a mock) is never throttled here.

Engagement is per process (each replica learns it from the replies it sees); with a shared
budget the buckets themselves stay in Redis.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_TIER = re.compile(r"^\s*(\d+)\s*/\s*([smhd])\s*$")
_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_POLICY = re.compile(r"^\s*(\d+)\s*;(?:.*;)?\s*w\s*=\s*(\d+)\s*(?:;.*)?$")
MAX_PAIRS = 200_000  # engaged (account, operation) pairs one process remembers
_MAX_PARSED = 256  # distinct RateLimit-Limit values remembered (an API sends a handful)


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.limit / self.seconds


NoWindows: tuple[Window, ...] = ()


def parse_window(text: str) -> Window | None:
    """A spec tier: ``'350/s'`` -> 350 per second."""
    match = _TIER.match(text or "")
    if match is None:
        return None
    return Window(int(match.group(1)), _SECONDS[match.group(2)])


@dataclass(frozen=True)
class Declared:
    """A parsed ``RateLimit-Limit``: its policies (shortest window first) and which of them the
    current quota (the header's first number, what ``RateLimit-Remaining`` counts down) is."""

    windows: tuple[Window, ...]
    current: int | None  # index into ``windows``


def parse_ratelimit(value: str, scale: float = 1.0) -> Declared:
    """``'10, 10;w=1, 150;w=60'`` -> 10/1 s and 150/60 s, current 0. Parts that are not a number
    or a ``limit;w=seconds`` policy are skipped; no policy at all gives no windows."""
    quota: int | None = None
    raw: list[Window] = []
    for part in value.split(","):
        part = part.strip()
        if part.isdigit():
            quota = int(part) if quota is None else quota
            continue
        match = _POLICY.match(part)
        if match is not None and int(match.group(1)) > 0 and int(match.group(2)) > 0:
            raw.append(Window(int(match.group(1)), float(match.group(2))))
    raw = sorted(set(raw), key=lambda w: (w.seconds, w.limit))
    current = next((i for i, w in enumerate(raw) if w.limit == quota), None)
    if current is None and len(raw) == 1:
        current = 0
    windows = tuple(Window(max(1, round(w.limit * scale)), w.seconds) for w in raw)
    return Declared(windows, current)


@dataclass(frozen=True)
class Seed:
    """What a reply that engaged (or changed) a pair says is left: ``tokens`` in window ``index``."""

    index: int
    window: Window
    tokens: float


class Engagement:
    """Which pairs are budgeted. ``always``: all of them on the spec's windows (mode ``spec``).
    ``spec`` lists the budgeted operations: a pair of any other is never engaged.

    The hot path (``budgeted``, every legacy call) is a dict lookup or two and allocates nothing
    until the account has an engaged operation; ``observe`` (every reply) costs one header lookup
    when the upstream declares nothing.
    """

    def __init__(
        self, spec: Mapping[str, tuple[Window, ...]], *, always: bool = True, scale: float = 1.0
    ) -> None:
        self.spec = spec
        self.always = always
        self.scale = scale  # applied to declared limits too (the spec's come scaled)
        self.pairs: dict[str, dict[str, tuple[Window, ...]]] = {}
        self.count = 0
        self._parsed: dict[str, Declared] = {}

    def windows(self, account: str, op: str) -> tuple[Window, ...]:
        if self.always:
            return self.spec.get(op, NoWindows)
        ops = self.pairs.get(account)
        return ops.get(op, NoWindows) if ops is not None else NoWindows

    def budgeted(self, account: str, costs: Mapping[str, int]) -> Mapping[str, int] | None:
        """The part of ``costs`` the budget covers (``costs`` itself when all of it), or None."""
        if self.always:
            return costs
        ops = self.pairs.get(account)
        if ops is None:
            return None
        for op in costs:
            if op not in ops:
                break
        else:
            return costs
        covered = {op: cost for op, cost in costs.items() if op in ops}
        return covered or None

    def observe(self, account: str, op: str, status: int, headers: Mapping[str, str]) -> Seed | None:
        """Engage the pair if this reply declares limits (or is a 429); a ``Seed`` when the reply
        set the pair's windows from its header and says how much is left."""
        if self.always:
            return None
        raw = headers.get("ratelimit-limit")
        if (raw is None and status != 429) or op not in self.spec:
            return None
        declared = self._parse(raw) if raw is not None else None
        windows = declared.windows if declared is not None and declared.windows else None
        ops = self.pairs.get(account)
        current = ops.get(op) if ops is not None else None
        if current is not None and (windows is None or windows == current):
            return None  # already engaged, nothing new declared
        self.engage(account, op, windows)
        if windows is None or declared is None or declared.current is None:
            return None
        remaining = _number(headers.get("ratelimit-remaining"))
        if remaining is None:
            return None
        window = windows[declared.current]
        return Seed(declared.current, window, min(float(window.limit), remaining * self.scale))

    def engage(self, account: str, op: str, windows: tuple[Window, ...] | None = None) -> None:
        """Budget the pair from now on: on ``windows``, else (already engaged) as it is, else on
        the spec's tiers. Only the spec's operations: one it does not list (a beta operation)
        has no budget, as in mode ``spec``."""
        if self.always or op not in self.spec:
            return
        ops = self.pairs.get(account)
        if ops is None:
            if self.count >= MAX_PAIRS:
                self._forget_oldest()
            ops = self.pairs[account] = {}
        if op not in ops:
            self.count += 1
        elif windows is None:
            return
        ops[op] = windows if windows is not None else self.spec.get(op, NoWindows)

    def _forget_oldest(self) -> None:
        """Bound memory: forget the accounts engaged first until half the pairs are left (their
        next reply engages them again)."""
        for account in list(self.pairs):
            if self.count <= MAX_PAIRS // 2:
                break
            self.count -= len(self.pairs.pop(account))

    def _parse(self, raw: str) -> Declared:
        declared = self._parsed.get(raw)
        if declared is None:
            if len(self._parsed) >= _MAX_PARSED:
                self._parsed.clear()
            declared = self._parsed[raw] = parse_ratelimit(raw, self.scale)
        return declared


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.split(",")[0])
    except ValueError:
        return None
    return value if value >= 0 else None
