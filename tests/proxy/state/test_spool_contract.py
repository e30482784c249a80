"""The write spools keep one contract: the same cases over SQLite and a real Redis.

"Two clients" are one ``SqliteSpool`` (one process owns its file) and two ``RedisSpool``s on one
real ``redis-server`` (two connection pools and two consumer names, as two replicas have). A
holder that dies is a real process (``tests.proxy.state.spool_holder``) killed with SIGKILL
while it holds an account's lease and head.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from proxy.state.redis_spool import RedisSpool
from proxy.state.spool import Counts, Spool, SpoolFull
from proxy.state.sqlite_spool import SqliteSpool
from tests.proxy.harness import REPO

ACCT, OTHER = "acct#aaaaaaaaaaaa", "acct#bbbbbbbbbbbb"
OP = "create_client_event"
HOLDER_LEASE = 1.0  # seconds: the dead holder's lease lapses this long after its last renewal


@dataclass
class Kit:
    kind: str
    location: str
    a: Spool
    b: Spool
    opened: list[Spool] = field(default_factory=list)

    @property
    def shared(self) -> bool:
        return self.kind == "redis"

    def open(self, max_entries: int = 100) -> Spool:
        spool: Spool
        if self.kind == "sqlite":
            spool = SqliteSpool(self.location, max_entries=max_entries)
        else:
            spool = RedisSpool(self.location, max_entries=max_entries, lease=HOLDER_LEASE)
        self.opened.append(spool)
        return spool


@pytest.fixture(params=["sqlite", "redis"])
async def kit(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Kit]:
    if request.param == "sqlite":
        location = str(tmp_path / "spool.sqlite3")
    else:
        location = request.getfixturevalue("redis_url")
    made = Kit(request.param, location, a=None, b=None)  # type: ignore[arg-type]
    made.a = made.open()
    made.b = made.a if request.param == "sqlite" else made.open()
    try:
        yield made
    finally:
        for spool in made.opened:
            await spool.aclose()


async def drain(spool: Spool, account: str, now: float) -> list[bytes]:
    """Every due entry of ``account``, oldest first, each acknowledged as delivered."""
    seen = []
    async with spool.lease(account) as lease:
        assert lease.held
        while (entry := await spool.head(account, now)) is not None:
            seen.append(entry.payload)
            await spool.delivered(entry)
    return seen


async def test_an_acknowledged_write_is_stored_once_and_delivered_once(kit: Kit) -> None:
    a, b = kit.a, kit.b
    ids = [await a.put(ACCT, OP, b"e%d" % n, 1.0 + n) for n in range(3)]
    assert len(set(ids)) == 3 and all(isinstance(i, str) for i in ids)
    assert await b.waiting(ACCT) == 3 and await b.waiting(OTHER) == 0
    assert await b.counts() == Counts(3, 0)
    assert await b.due(10.0, 10) == [ACCT]
    seen = []
    async with b.lease(ACCT) as lease:
        assert lease.held
        while (entry := await b.head(ACCT, 10.0)) is not None:
            assert (entry.account, entry.operation, entry.attempts) == (ACCT, OP, 0)
            seen.append((entry.id, entry.payload, entry.accepted))
            await b.delivered(entry)
            await b.delivered(entry)  # acknowledged twice (a late replica): still one removal
    assert seen == [(ids[n], b"e%d" % n, 1.0 + n) for n in range(3)]
    assert await a.counts() == Counts(0, 0) and await a.waiting(ACCT) == 0
    assert await a.due(10.0, 10) == []
    await a.put(ACCT, OP, b"again", 11.0)  # an emptied account takes new writes as before
    assert await drain(b, ACCT, 11.0) == [b"again"]


async def test_order_per_account_and_a_postponed_head_holds_its_account(kit: Kit) -> None:
    a, b = kit.a, kit.b
    await a.put(ACCT, OP, b"a1", 1.0)
    await b.put(OTHER, OP, b"b1", 2.0)
    await a.put(ACCT, OP, b"a2", 3.0)
    assert sorted(await b.due(10.0, 10)) == [ACCT, OTHER]
    assert await b.due(1.5, 10) == [ACCT]  # OTHER's only entry was accepted at 2.0
    async with b.lease(ACCT) as lease:
        assert lease.held
        head = await b.head(ACCT, 10.0)
        assert head is not None and head.payload == b"a1"
        await b.postpone(head, 20.0, "upstream answered 503")
        assert await b.head(ACCT, 10.0) is None  # a2 waits behind a1
    assert await a.due(10.0, 10) == [OTHER]
    async with a.lease(ACCT) as lease:
        again = await a.head(ACCT, 20.0)
        assert again is not None and (again.id, again.attempts, again.next_at) == (head.id, 1, 20.0)
        await a.postpone(again, 30.0, "circuit open", attempt=False)  # not an attempt
    async with b.lease(ACCT) as lease:
        third = await b.head(ACCT, 30.0)
        assert third is not None and (third.attempts, third.next_at) == (1, 30.0)
    assert await drain(a, ACCT, 30.0) == [b"a1", b"a2"]
    assert await drain(b, OTHER, 30.0) == [b"b1"]


def _holder(kit: Kit, account: str) -> tuple[subprocess.Popen[str], str]:
    """A real process holding ``account``'s lease and head; returns it and the id it holds."""
    cmd = [sys.executable, "-m", "tests.proxy.state.spool_holder", kit.kind, kit.location, account,
           str(HOLDER_LEASE)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # bounded: the holder prints at once or dies
    assert line and line != "none", f"the holder took no entry ({proc.poll()})"
    return proc, line


async def test_a_holder_that_dies_hands_its_account_over(kit: Kit) -> None:
    first = await kit.a.put(ACCT, OP, b"first", 1.0)
    await kit.a.put(ACCT, OP, b"second", 2.0)
    holder, held = _holder(kit, ACCT)
    try:
        assert held == first
        if kit.shared:  # alive and renewing: nobody else delivers the account
            await asyncio.sleep(HOLDER_LEASE * 1.5)
            async with kit.b.lease(ACCT) as lease:
                assert not lease.held
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    survivor = kit.open() if kit.kind == "sqlite" else kit.b  # SQLite: the restarted process
    started = time.monotonic()
    while True:  # the dead holder's lease lapses unrenewed
        async with survivor.lease(ACCT) as lease:
            if lease.held:
                entry = await survivor.head(ACCT, 10.0)
                assert entry is not None and (entry.id, entry.payload) == (first, b"first"), "reclaimed"
                await survivor.delivered(entry)
                break
        assert time.monotonic() - started < 15, "the account was never taken over"
        await asyncio.sleep(0.05)
    assert await drain(survivor, ACCT, 10.0) == [b"second"]
    assert await survivor.counts() == Counts(0, 0)


async def test_dead_letters_are_listed_retried_and_purged(kit: Kit) -> None:
    a, b = kit.a, kit.b
    await a.put(ACCT, OP, b"bad", 1.0)
    await a.put(ACCT, OP, b"good", 2.0)
    await a.put(OTHER, OP, b"bad2", 3.0)
    async with b.lease(ACCT):
        entry = await b.head(ACCT, 10.0)
        assert entry is not None
        await b.bury(entry, 400, "upstream answered 400: invalid", 11.0)
        following = await b.head(ACCT, 10.0)
        assert following is not None and following.payload == b"good"  # the next entry goes
        await b.delivered(following)
    async with b.lease(OTHER):
        entry = await b.head(OTHER, 10.0)
        assert entry is not None
        await b.bury(entry, 422, "upstream answered 422", 12.0)
    assert await a.counts() == Counts(0, 2)
    letters = await a.dead_letters()
    assert [
        (d.account, d.operation, d.status, d.attempts, d.reason, d.accepted, d.failed) for d in letters
    ] == [
        (ACCT, OP, 400, 1, "upstream answered 400: invalid", 1.0, 11.0),
        (OTHER, OP, 422, 1, "upstream answered 422", 3.0, 12.0),
    ]
    assert len({d.id for d in letters}) == 2
    assert await a.retry([letters[0].id, "999999", "not-an-id"], 13.0) == 1
    assert await b.counts() == Counts(1, 1)
    async with b.lease(ACCT):
        back = await b.head(ACCT, 13.0)
        assert back is not None and (back.payload, back.attempts) == (b"bad", 0)
    assert [d.id for d in await b.dead_letters()] == [letters[1].id]
    assert await a.purge(["999999"]) == 0
    assert await a.purge(None) == 1
    assert await a.retry(None, 14.0) == 0
    assert await b.counts() == Counts(1, 0) and await b.dead_letters() == []


async def test_a_full_spool_refuses_until_room_is_made(kit: Kit) -> None:
    spool = kit.open(max_entries=2)
    await spool.put(ACCT, OP, b"1", 1.0)
    await spool.put(OTHER, OP, b"2", 2.0)
    with pytest.raises(SpoolFull):
        await spool.put(ACCT, OP, b"3", 3.0)
    assert await spool.counts() == Counts(2, 0), "a refused write is not stored"
    assert await drain(spool, ACCT, 10.0) == [b"1"]
    await spool.put(ACCT, OP, b"3", 3.0)  # room again
    async with spool.lease(OTHER):
        entry = await spool.head(OTHER, 10.0)
        assert entry is not None
        await spool.bury(entry, 400, "invalid", 11.0)
    with pytest.raises(SpoolFull):  # dead letters count against the bound until purged
        await spool.put(ACCT, OP, b"4", 4.0)
    assert await spool.purge(None) == 1
    await spool.put(ACCT, OP, b"4", 4.0)
    assert await drain(spool, ACCT, 10.0) == [b"3", b"4"]
