"""Session-wide test plumbing shared by tests/e2e, tests/proxy and tests/contract.

* ``upstream_recorder``: one recorder for every upstream request any real-socket proxy sends
  during the session; ``tests/contract`` validates all of them against the OpenAPI spec.
* Contract tests (marker ``contract``) are moved to the end of the run, so they see the
  traffic of every e2e / proxy test collected in the same session, whatever the path order.
* ``redis_server`` / ``redis_url``: one private ``redis-server`` per session (``tests.redis_server``),
  emptied before each test that asks for ``redis_url``.
* Completeness checks (marker ``completeness``, e.g. "every SDK operation was called" over the
  modules of ``tests/e2e/sdk``) run after every other test but before the contract tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import Recorder
from tests.redis_server import RedisServer

_RECORDER = Recorder()
_TRAFFIC_TESTS = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "completeness: checks what the other tests did; runs after them (before contract)"
    )


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    def last(item: pytest.Item) -> int:
        """0: in collection order; 1: after those (completeness); 2: at the very end (contract)."""
        return (
            2 if item.get_closest_marker("contract") else 1 if item.get_closest_marker("completeness") else 0
        )

    items.sort(key=last)  # stable: each group keeps its collection order
    others = [item for item in items if last(item) == 0]
    config.stash[_TRAFFIC_TESTS] = sum(
        1 for item in others if "upstream_recorder" in getattr(item, "fixturenames", ())
    )


def traffic_tests_collected(config: pytest.Config) -> int:
    """How many collected tests use a real proxy (and so produce upstream recordings)."""
    return config.stash.get(_TRAFFIC_TESTS, 0)


@pytest.fixture(scope="session")
def upstream_recorder() -> Recorder:
    return _RECORDER


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One private redis-server for the session (free loopback port, AOF on, no RDB snapshots)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    assert redis_server.command("FLUSHALL").startswith(b"+OK")
    return redis_server.url


@pytest.fixture(autouse=True)
def _name_upstream_traffic(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tag each recorded upstream request with the test that caused it (for contract reports)."""
    _RECORDER.current_test = request.node.nodeid
    yield
    _RECORDER.current_test = "<between tests>"
