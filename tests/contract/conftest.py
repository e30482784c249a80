"""The pinned OpenAPI document, loaded once per session (3 MB; ~0.1 s without meta-validation)."""

from __future__ import annotations

import pytest

from tests.contract.validator import ContractChecker, pinned_spec


@pytest.fixture(scope="session")
def contract() -> ContractChecker:
    return ContractChecker.from_path(pinned_spec())
