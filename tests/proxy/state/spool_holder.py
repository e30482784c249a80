"""A process that takes an account's delivery lease, reads its head and then hangs: the test
SIGKILLs it, as a replica dies in the middle of a delivery.

``python -m tests.proxy.state.spool_holder sqlite|redis <path or url> <account> <lease seconds>``
prints the id of the entry it holds (or ``none``), then sleeps until killed.
"""

from __future__ import annotations

import asyncio
import sys

from proxy.state.spool import Spool


def open_spool(kind: str, location: str, lease: float) -> Spool:
    if kind == "sqlite":
        from proxy.state.sqlite_spool import SqliteSpool

        return SqliteSpool(location, max_entries=1000)
    from proxy.state.redis_spool import RedisSpool

    return RedisSpool(location, max_entries=1000, lease=lease)


async def hold(kind: str, location: str, account: str, lease: float) -> None:
    spool = open_spool(kind, location, lease)
    async with spool.lease(account) as held:
        entry = await spool.head(account, 1e12) if held.held else None
        print(entry.id if entry is not None else "none", flush=True)
        await asyncio.sleep(3600)  # delivering, for ever: until SIGKILL


if __name__ == "__main__":
    asyncio.run(hold(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
