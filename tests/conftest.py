"""Session-wide test plumbing shared by tests/e2e, tests/proxy and tests/contract.

* ``upstream_recorder``: one recorder for every upstream request any real-socket proxy sends
  during the session; ``tests/contract`` validates all of them against the OpenAPI spec.
* Contract tests (marker ``contract``) are moved to the end of the run, so they see the
  traffic of every e2e / proxy test collected in the same session, whatever the path order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import Recorder

_RECORDER = Recorder()
_TRAFFIC_TESTS = pytest.StashKey[int]()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    contract = [item for item in items if item.get_closest_marker("contract") is not None]
    others = [item for item in items if item.get_closest_marker("contract") is None]
    if contract:
        items[:] = others + contract
    config.stash[_TRAFFIC_TESTS] = sum(
        1 for item in others if "upstream_recorder" in getattr(item, "fixturenames", ())
    )


def traffic_tests_collected(config: pytest.Config) -> int:
    """How many collected tests use a real proxy (and so produce upstream recordings)."""
    return config.stash.get(_TRAFFIC_TESTS, 0)


@pytest.fixture(scope="session")
def upstream_recorder() -> Recorder:
    return _RECORDER


@pytest.fixture(autouse=True)
def _name_upstream_traffic(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tag each recorded upstream request with the test that caused it (for contract reports)."""
    _RECORDER.current_test = request.node.nodeid
    yield
    _RECORDER.current_test = "<between tests>"
