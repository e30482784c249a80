import secrets

import pytest

from proxy.state.tokens import MAX_MARKER, MIN_MARKER, MemoryTokenStore


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_numeric_markers_are_js_safe_and_round_trip() -> None:
    store = MemoryTokenStore(ttl=60, max_entries=10)
    marker = await store.save("acct", {"cursor": "abc"}, numeric=True)
    assert isinstance(marker, int) and MIN_MARKER <= marker <= MAX_MARKER
    assert await store.load("acct", marker) == {"cursor": "abc"}
    assert await store.load("acct", str(marker)) == {"cursor": "abc"}  # form/query arrive as strings


async def test_tokens_are_scoped_per_account() -> None:
    store = MemoryTokenStore(ttl=60, max_entries=10)
    token = await store.save("acct-a", "cursor", numeric=False)
    assert isinstance(token, str) and token.startswith("kxp1.")
    assert await store.load("acct-b", token) is None


async def test_expiry_and_bound() -> None:
    clock = Clock()
    store = MemoryTokenStore(ttl=10, max_entries=2, clock=clock)
    first = await store.save("a", 1, numeric=True)
    clock.now = 11
    assert await store.load("a", first) is None
    t2 = await store.save("a", 2, numeric=True)
    await store.save("a", 3, numeric=True)
    await store.save("a", 4, numeric=True)  # evicts t2
    assert await store.load("a", t2) is None


async def test_markers_stay_under_2_31_and_never_repeat_while_live(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_MARKER == 2**31 - 1 and MIN_MARKER >= 2**20
    draws = iter([5, 5, 7])  # the second draw hits the live first marker: drawn again
    monkeypatch.setattr(secrets, "randbelow", lambda n: next(draws))
    store = MemoryTokenStore(ttl=60, max_entries=10)
    first = await store.save("acct", "a", numeric=True)
    second = await store.save("acct", "b", numeric=True)
    assert (first, second) == (MIN_MARKER + 5, MIN_MARKER + 7)
    assert await store.load("acct", first) == "a" and await store.load("acct", second) == "b"


async def test_many_markers_are_distinct_and_in_range() -> None:
    store = MemoryTokenStore(ttl=60, max_entries=5000)
    markers = [await store.save("acct", i, numeric=True) for i in range(2000)]
    assert len(set(markers)) == 2000
    assert all(isinstance(m, int) and MIN_MARKER <= m <= MAX_MARKER for m in markers)
