"""``klaviyo-compat spool list|retry|purge`` against the Redis spool replicas share (``state_url``
from the environment, as a replica has it); the SQLite spool's CLI is exercised in
``tests/faults/test_legacy_under_faults.py``."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from proxy.cli import main
from proxy.state.redis_spool import RedisSpool
from proxy.state.spool import Counts

ACCT = "acct#dddddddddddd"
OP = "create_client_event"


async def _two_dead_letters(url: str) -> None:
    spool = RedisSpool(url, max_entries=10)
    try:
        for n in range(3):
            await spool.put(ACCT, OP, b"payload-%d" % n, 1.0 + n)
        async with spool.lease(ACCT):
            for status in (400, 422):
                entry = await spool.head(ACCT, 10.0)
                assert entry is not None
                await spool.bury(entry, status, f"upstream answered {status}: invalid", 11.0)
    finally:
        await spool.aclose()


def _counts(url: str) -> Counts:
    async def count() -> Counts:
        spool = RedisSpool(url, max_entries=10)
        try:
            return await spool.counts()
        finally:
            await spool.aclose()

    return asyncio.run(count())


def test_list_retry_and_purge_dead_letters_on_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KLAVIYO_COMPAT_STATE_URL", redis_url)
    monkeypatch.setenv("KLAVIYO_COMPAT_HASH_SECRET", "cli-" + "h" * 30)
    asyncio.run(_two_dead_letters(redis_url))
    assert main(["spool", "list", "--format", "json"]) == 0
    listed = orjson.loads(capsys.readouterr().out)
    assert (listed["pending"], listed["dead"]) == (1, 2)
    assert [(d["status"], d["account"], d["operation"]) for d in listed["dead_letters"]] == [
        (400, ACCT, OP), (422, ACCT, OP)
    ]  # fmt: skip
    assert "payload" not in orjson.dumps(listed).decode(), "never the sealed payload"
    first, second = (str(d["id"]) for d in listed["dead_letters"])
    assert main(["spool", "retry"]) == 2  # ids or --all
    capsys.readouterr()
    assert main(["spool", "retry", first]) == 0
    assert "1 dead letter(s) queued again" in capsys.readouterr().out
    assert _counts(redis_url) == Counts(2, 1)
    assert main(["spool", "list"]) == 0
    table = capsys.readouterr().out
    assert "pending: 2  dead letters: 1" in table and "422" in table and second in table
    assert main(["spool", "purge", "--all"]) == 0
    assert "1 dead letter(s) deleted" in capsys.readouterr().out
    assert _counts(redis_url) == Counts(2, 0)


def test_a_redis_that_does_not_answer_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KLAVIYO_COMPAT_STATE_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("KLAVIYO_COMPAT_HASH_SECRET", "cli-" + "h" * 30)
    assert main(["spool", "list"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "state_url does not answer" in err[0]
