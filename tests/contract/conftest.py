"""The pinned OpenAPI document, loaded once per session (3 MB; ~0.1 s without meta-validation)."""

from __future__ import annotations

import pytest

from tests.contract.validator import ContractChecker, beta_specs, pinned_spec


@pytest.fixture(scope="session")
def contract() -> ContractChecker:
    return ContractChecker.from_path(pinned_spec())


@pytest.fixture(scope="session")
def beta_contracts() -> list[ContractChecker]:
    """One checker per vendored beta document (its own revision, e.g. 2026-07-15.pre)."""
    return [ContractChecker.from_path(path) for path in beta_specs()]
