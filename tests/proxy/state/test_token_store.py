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


async def test_one_account_minting_never_evicts_another_accounts_tokens() -> None:
    """Issue 8, finding 6: a global LRU let a busy account evict a quiet one's marker."""
    store = MemoryTokenStore(ttl=600, max_entries=1000, per_account=400)
    quiet = [await store.save("quiet", {"cursor": f"q{i}"}, numeric=True) for i in range(50)]
    for i in range(20_000):
        await store.save("busy", {"cursor": f"b{i}"}, numeric=True)
    assert [await store.load("quiet", t) for t in quiet] == [{"cursor": f"q{i}"} for i in range(50)]
    assert store.held_by("busy") == 400  # its own cap
    assert len(store) == 450


async def test_a_full_store_evicts_from_the_account_over_its_fair_share() -> None:
    store = MemoryTokenStore(ttl=600, max_entries=100, per_account=100)
    others = {f"acct-{n}": await store.save(f"acct-{n}", n, numeric=False) for n in range(10)}
    for i in range(500):
        await store.save("hog", i, numeric=False)
    assert len(store) == 100
    assert all([await store.load(acct, token) == int(acct[5:]) for acct, token in others.items()])
    assert store.held_by("hog") == 90


async def test_global_bound_holds_across_many_accounts() -> None:
    store = MemoryTokenStore(ttl=600, max_entries=50, per_account=10)
    for n in range(500):
        await store.save(f"acct-{n}", n, numeric=True)
    assert len(store) == 50  # the oldest accounts' tokens went first, nobody being over its share


async def test_memory_per_token_is_small() -> None:
    import tracemalloc

    store = MemoryTokenStore(ttl=600, max_entries=20_000, per_account=20_000)
    value = {"scope": "list:Xy12Ab", "op": "get_list_profiles", "cursor": "bmV4dDo6" + "x" * 40}
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(10_000):
        await store.save("acct", value, numeric=True)
    per_token = (tracemalloc.get_traced_memory()[0] - before) / 10_000
    tracemalloc.stop()
    print(f"\nmemory per token: {per_token:.0f} bytes")
    assert per_token < 400  # a Python dict per value took ~460 B for this one (~1 KB for bigger ones)


async def test_values_json_cannot_carry_are_kept_as_is() -> None:
    store = MemoryTokenStore(ttl=600, max_entries=10)
    marker = object()
    token = await store.save("a", marker, numeric=False)
    assert await store.load("a", token) is marker


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
