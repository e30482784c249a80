"""When an account's key was last accepted upstream: cached pages recheck it (issue 8, finding 7).

A cached offset page answers without an upstream call, so a key revoked upstream kept getting
pages until the cache expired. A cached answer is served only when the account's key was
accepted upstream within ``interval`` seconds; otherwise one upstream call (the collection's
first page) rechecks it first, and a 401/403 drops the account's cache. At most one extra
call per account per interval. The map is bounded (least recently confirmed first out).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

RECHECK_SECONDS = 10.0


class KeyChecks:
    def __init__(
        self,
        interval: float = RECHECK_SECONDS,
        max_accounts: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.max_accounts = max_accounts
        self.clock = clock
        self._accepted: OrderedDict[str, float] = OrderedDict()

    def due(self, account: str) -> bool:
        """Whether ``account``'s key must be rechecked before a cached answer is served."""
        seen = self._accepted.get(account)
        return seen is None or self.clock() - seen >= self.interval

    def accepted(self, account: str) -> None:
        self._accepted[account] = self.clock()
        self._accepted.move_to_end(account)
        while len(self._accepted) > self.max_accounts:
            self._accepted.popitem(last=False)

    def refused(self, account: str) -> None:
        self._accepted.pop(account, None)
