"""All 47 generated-SDK operations were called by the modules of this package."""

from __future__ import annotations

import pytest

from tests.e2e.completeness import whole_package_selected
from tests.e2e.sdk.support import API_CLASSES, CALLED, sdk_operations


@pytest.mark.completeness
def test_every_sdk_operation_was_called(request: pytest.FixtureRequest) -> None:
    if not whole_package_selected(request.session, __package__):
        pytest.skip("only part of the package was selected")
    operations = sdk_operations()
    assert len(operations) == 47
    assert sorted(set(operations) - set(CALLED)) == []
    assert set(CALLED) <= set(operations)
    assert {q.split(".")[0] for q in operations} == set(API_CLASSES)
