"""The SQLite write spool: durable across reopen, ordered per account, bounded, private, sealed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from proxy.state.seal import Sealer, Unsealable, key_path
from proxy.state.spool import SpoolFull, SqliteSpool

SECRET_KEY = "pk_" + "c3" * 17
EMAIL = "carol.secret@example.com"
PHONE = "+15555550199"
TOKEN = "PuBtk1"


def test_an_entry_survives_a_reopen_and_heads_are_per_account_in_order(tmp_path: Path) -> None:
    path = tmp_path / "spool" / "spool.sqlite3"
    spool = SqliteSpool(path, max_entries=10)
    a1 = spool.put("acct-a", "create_event", b"a1", 1.0)
    spool.put("acct-a", "create_event", b"a2", 2.0)
    b1 = spool.put("acct-b", "create_client_event", b"b1", 3.0)
    spool.close()  # like a crash after the commit: nothing is kept in memory

    spool = SqliteSpool(path, max_entries=10)
    assert sorted(e.id for e in spool.heads(now=10.0, limit=10)) == [a1, b1]
    assert spool.pending_by_account() == {"acct-a": 2, "acct-b": 1}
    spool.postpone(a1, next_at=20.0, error="503")
    assert [e.id for e in spool.heads(now=10.0, limit=10)] == [b1]  # a2 waits behind a1
    assert spool.head_of("acct-a", 10.0) is None
    spool.delivered(a1)
    assert [e.payload for e in spool.heads(now=10.0, limit=10) if e.account == "acct-a"] == [b"a2"]
    spool.close()


def test_a_full_spool_refuses_and_dead_letters_can_be_retried_or_purged(tmp_path: Path) -> None:
    spool = SqliteSpool(tmp_path / "s.sqlite3", max_entries=2)
    first = spool.put("acct", "create_event", b"1", 1.0)
    spool.put("acct", "create_event", b"2", 2.0)
    with pytest.raises(SpoolFull):
        spool.put("acct", "create_event", b"3", 3.0)
    entry = spool.heads(10.0, 10)[0]
    spool.bury(entry, 400, "upstream answered 400: invalid", 11.0)
    assert spool.counts() == (spool.counts().__class__(pending=1, dead=1))
    with pytest.raises(SpoolFull):  # dead letters count against the bound until purged
        spool.put("acct", "create_event", b"3", 3.0)
    [dead] = spool.dead_letters()
    assert (dead.id, dead.status, dead.attempts) == (first, 400, 1)
    assert spool.retry([first], now=12.0) == 1
    assert spool.heads(12.0, 10)[0].id == first  # back in front of its account's queue
    spool.bury(spool.heads(12.0, 10)[0], 422, "again", 13.0)
    assert spool.purge(None) == 1
    spool.put("acct", "create_event", b"3", 3.0)  # room again
    spool.close()


def test_the_spool_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "private" / "spool.sqlite3"
    SqliteSpool(path, max_entries=5).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    sealer = Sealer.for_spool(path)
    assert stat.S_IMODE(key_path(path).stat().st_mode) == 0o600
    assert Sealer.for_spool(path).open(sealer.seal({"a": 1})) == {"a": 1}  # same key after restart


def test_sealed_entries_hold_no_key_token_email_or_phone_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = SqliteSpool(path, max_entries=5)
    sealer = Sealer.for_spool(path)
    payload = {"key": SECRET_KEY, "query": {"company_id": TOKEN}, "body": {"email": EMAIL, "phone": PHONE}}
    entry_id = spool.put("acct-hash", "create_client_event", sealer.seal(payload), 1.0)
    spool.bury(spool.heads(2.0, 5)[0], 400, "upstream answered 400: invalid", 2.0)
    spool.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("spool.sqlite3"))
    for secret in (SECRET_KEY, TOKEN, EMAIL, PHONE):
        assert secret.encode() not in raw
    reopened = SqliteSpool(path, max_entries=5)
    assert reopened.dead_letters()[0].id == entry_id
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
