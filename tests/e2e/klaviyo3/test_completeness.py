"""Every public method of the six ``klaviyo`` 3.1.7 API classes was called by this package."""

from __future__ import annotations

import pytest

from tests.e2e.completeness import whole_package_selected
from tests.e2e.klaviyo3.support import CALLED, client_methods


@pytest.mark.completeness
def test_every_client_method_was_called(request: pytest.FixtureRequest) -> None:
    if not whole_package_selected(request.session, __package__):
        pytest.skip("only part of the package was selected")
    methods = client_methods()
    assert len(methods) == 30, sorted(methods)
    assert sorted(methods - set(CALLED)) == []
