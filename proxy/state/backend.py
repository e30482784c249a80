"""Where the state kept between legacy calls lives: this process, or a store shared by replicas.

``state_url`` chooses: empty keeps everything in this process (``MemoryBackend``); a
``redis://``, ``rediss://`` or ``unix://`` URL shares it between every replica and worker
that names the same URL and ``hash_secret`` (``proxy.state.redis_backend``). A backend bundles
the continuation-token store and the enumeration cache, and says whether it is up:

* the enumeration cache degrades to walking the upstream directly while a shared backend is
  down (a read still answers, only the single-flight is lost);
* the token store raises ``StateUnavailable``: the legacy caller gets a 503, never a page cut
  short (a marker minted elsewhere cannot be resolved here);
* ``on_change(up)`` is called at each transition (the engine sets the ``state_backend_up``
  gauge and logs a line); readiness never depends on it.
"""

from __future__ import annotations

from typing import Protocol

from proxy.settings import Settings
from proxy.state.collection_cache import CollectionCache, MemoryCollectionCache
from proxy.state.shared import OnChange, StateUnavailable
from proxy.state.tokens import MemoryTokenStore, TokenStore

__all__ = ["MemoryBackend", "OnChange", "StateBackend", "StateUnavailable", "build"]


class StateBackend(Protocol):
    @property
    def tokens(self) -> TokenStore: ...

    @property
    def cache(self) -> CollectionCache: ...

    @property
    def up(self) -> bool: ...

    async def watch(self, interval: float) -> None:
        """Check the backend every ``interval`` seconds until cancelled (a down backend comes back)."""
        ...

    async def aclose(self) -> None: ...


class MemoryBackend:
    """Everything in this process: the default, and the reference of the contract tests."""

    def __init__(self, tokens: TokenStore, cache: CollectionCache) -> None:
        self._tokens = tokens
        self._cache = cache

    @classmethod
    def from_settings(cls, settings: Settings) -> MemoryBackend:
        return cls(
            MemoryTokenStore(
                settings.token_ttl, settings.token_entries, per_account=settings.token_entries_per_account
            ),
            MemoryCollectionCache(settings.collection_cache_ttl, settings.collection_cache_entries),
        )

    @property
    def tokens(self) -> TokenStore:
        return self._tokens

    @property
    def cache(self) -> CollectionCache:
        return self._cache

    @property
    def up(self) -> bool:
        return True

    async def watch(self, interval: float) -> None:
        return None

    async def aclose(self) -> None:
        return None


def build(settings: Settings, on_change: OnChange | None = None) -> StateBackend:
    """The backend ``state_url`` names (not yet connected: Redis connects at first use)."""
    if not settings.state_url:
        return MemoryBackend.from_settings(settings)
    from proxy.state.redis_backend import RedisBackend

    return RedisBackend.from_settings(settings, on_change=on_change)
