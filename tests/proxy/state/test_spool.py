"""The SQLite write spool: durable across reopen, private, sealed (the cases every spool shares
are in ``test_spool_contract``)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from proxy.state.seal import Sealer, Unsealable, key_path
from proxy.state.sqlite_spool import SqliteSpool

SECRET_KEY = "pk_" + "c3" * 17
EMAIL = "carol.secret@example.com"
PHONE = "+15555550199"
TOKEN = "PuBtk1"


async def test_an_entry_survives_a_reopen_in_its_accounts_order(tmp_path: Path) -> None:
    path = tmp_path / "spool" / "spool.sqlite3"
    spool = SqliteSpool(path, max_entries=10)
    a1 = await spool.put("acct-a", "create_event", b"a1", 1.0)
    await spool.put("acct-a", "create_event", b"a2", 2.0)
    await spool.put("acct-b", "create_client_event", b"b1", 3.0)
    spool.close()  # like a crash after the commit: nothing is kept in memory

    spool = SqliteSpool(path, max_entries=10)
    assert await spool.waiting("acct-a") == 2 and await spool.waiting("acct-b") == 1
    assert sorted(await spool.due(10.0, 10)) == ["acct-a", "acct-b"]
    head = await spool.head("acct-a", 10.0)
    assert head is not None and (head.id, head.payload) == (a1, b"a1")
    spool.close()


async def test_a_retried_dead_letter_goes_back_to_its_old_place(tmp_path: Path) -> None:
    spool = SqliteSpool(tmp_path / "s.sqlite3", max_entries=5)
    first = await spool.put("acct", "create_event", b"1", 1.0)
    await spool.put("acct", "create_event", b"2", 2.0)
    head = await spool.head("acct", 10.0)
    assert head is not None
    await spool.bury(head, 400, "upstream answered 400", 11.0)
    assert await spool.retry([first], now=12.0) == 1
    again = await spool.head("acct", 12.0)
    assert again is not None and again.id == first  # in front of its account's queue again
    spool.close()


async def test_puts_made_at_once_share_commits_keep_order_and_respect_the_bound(tmp_path: Path) -> None:
    import asyncio
    import time

    from proxy.state.spool import SpoolFull

    path = tmp_path / "s.sqlite3"
    spool = SqliteSpool(path, max_entries=150)
    puts = [spool.put(f"acct-{i % 3}", "create_event", str(i).encode(), float(i)) for i in range(200)]
    started = time.perf_counter()
    results = await asyncio.gather(*puts, return_exceptions=True)
    took = time.perf_counter() - started
    ids = [r for r in results if isinstance(r, str)]
    assert len(ids) == 150 and len(set(ids)) == 150  # each stored once
    assert all(isinstance(r, SpoolFull) for r in results[150:])  # the bound holds inside a batch
    await spool.aclose()
    spool = SqliteSpool(path, max_entries=150)
    for account in ("acct-0", "acct-1", "acct-2"):  # each account's entries in arrival order
        seen = []
        while (head := await spool.head(account, 1e9)) is not None:
            seen.append(int(head.payload))
            await spool.delivered(head)
        assert seen == sorted(seen) and seen
    spool.close()
    print(f"\n150 concurrent puts committed (synchronous=FULL) in {took * 1000:.0f} ms")


def test_the_spool_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "private" / "spool.sqlite3"
    SqliteSpool(path, max_entries=5).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    sealer = Sealer.for_spool(path)
    assert stat.S_IMODE(key_path(path).stat().st_mode) == 0o600
    assert Sealer.for_spool(path).open(sealer.seal({"a": 1})) == {"a": 1}  # same key after restart


async def test_sealed_entries_hold_no_key_token_email_or_phone_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = SqliteSpool(path, max_entries=5)
    sealer = Sealer.for_spool(path)
    payload = {"key": SECRET_KEY, "query": {"company_id": TOKEN}, "body": {"email": EMAIL, "phone": PHONE}}
    entry_id = await spool.put("acct-hash", "create_client_event", sealer.seal(payload), 1.0)
    head = await spool.head("acct-hash", 2.0)
    assert head is not None
    await spool.bury(head, 400, "upstream answered 400: invalid", 2.0)
    spool.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("spool.sqlite3"))
    for secret in (SECRET_KEY, TOKEN, EMAIL, PHONE):
        assert secret.encode() not in raw
    reopened = SqliteSpool(path, max_entries=5)
    assert (await reopened.dead_letters())[0].id == entry_id
    reopened.close()
    with pytest.raises(Unsealable):
        Sealer(b"another installation's key....32").open(sealer.seal(payload))


def test_the_spool_defaults_to_the_traffic_records_folder(tmp_path: Path) -> None:
    from proxy.settings import load

    env = {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    assert load(environ=env).spool_db == str(tmp_path / "xdg" / "klaviyo-compat" / "spool.sqlite3")
    moved = load(flags={"traffic_db": str(tmp_path / "rec" / "t.sqlite3")}, environ=env)
    assert moved.spool_db == str(tmp_path / "rec" / "spool.sqlite3")
    off = load(flags={"traffic_db": "off"}, environ=env)
    assert off.spool_db == str(tmp_path / "xdg" / "klaviyo-compat" / "spool.sqlite3")
    assert not load(flags={"spool_db": "off"}, environ=env).spools
