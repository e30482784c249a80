"""The registry is validated at start-up: a broken mapping fails fast, not at 3 a.m."""

from dataclasses import replace
from pathlib import Path

import pytest

from mappings import protocol, upstream_ops
from mappings.registry import REGISTRY, RegistryError, validate
from proxy.tools.derive_spec_table import render
from tests.contract.validator import beta_specs, pinned_spec


def test_shipped_registry_is_valid() -> None:
    validate(REGISTRY)


def test_duplicate_route_is_refused() -> None:
    op = REGISTRY[0]
    clone = replace(op, id="Z9", path=op.path.replace("{", "{other_"))
    with pytest.raises(RegistryError, match="both claim"):
        validate([*REGISTRY, clone])


def test_duplicate_id_is_refused() -> None:
    with pytest.raises(RegistryError, match="duplicate operation id"):
        validate([*REGISTRY, replace(REGISTRY[0], method="DELETE")])


def test_unknown_upstream_operation_is_refused() -> None:
    broken = replace(REGISTRY[0], id="Z8", path="/api/v9/nowhere", upstream=("get_profilez",))
    with pytest.raises(RegistryError, match="get_profilez"):
        validate([*REGISTRY, broken])


def test_create_app_fails_fast_on_a_broken_registry() -> None:
    from proxy import Settings, create_app

    broken = replace(REGISTRY[0], id="Z7", path="/api/v9/x", upstream=("nope",))
    with pytest.raises(RegistryError):
        create_app(Settings(upstream="https://x.test"), registry=(*REGISTRY, broken))


def test_every_mapping_is_documented_for_the_catalog() -> None:
    for op in REGISTRY:
        assert len(op.doc) > 40, op.id
        assert op.successor.startswith("https://"), op.id


def test_spec_table_is_derived_from_the_pinned_spec() -> None:
    assert render(pinned_spec(), beta_specs()) == Path(upstream_ops.__file__).read_text(), (
        "mappings/upstream_ops.py is stale: run python -m proxy.tools.derive_spec_table"
    )


def test_operations_package_holds_exactly_the_declaring_modules() -> None:
    """mappings/operations/ is the list of modules that declare; mappings/translate/ declares nothing."""
    import importlib
    import pkgutil

    from mappings import operations, translate
    from mappings.core.declarer import Declarer
    from mappings.registry import MODULES

    in_package = {f"{operations.__name__}.{m.name}" for m in pkgutil.iter_modules(operations.__path__)}
    assert in_package == {module.__name__ for module in MODULES}
    for info in pkgutil.iter_modules(translate.__path__):
        module = importlib.import_module(f"{translate.__name__}.{info.name}")
        assert not any(isinstance(v, Declarer) for v in vars(module).values()), module.__name__


def test_registry_refuses_a_module_that_declares_nothing_or_borrows_a_declarer() -> None:
    from types import ModuleType

    from mappings.operations import campaigns
    from mappings.registry import _collect

    empty = ModuleType("mappings.operations.empty")
    borrower = ModuleType("mappings.operations.borrower")
    borrower.ops = campaigns.ops  # type: ignore[attr-defined]
    with pytest.raises(RegistryError) as info:
        _collect([campaigns, empty, borrower, campaigns])
    message = str(info.value)
    assert "mappings.operations.empty has no `ops` declarer" in message
    assert "re-exports the declarer of mappings.operations.campaigns" in message
    assert "mappings.operations.campaigns is listed twice" in message


@pytest.mark.parametrize(
    ("method", "path", "status", "invalidates"),
    [
        ("POST", "/api/campaigns", 201, True),
        ("PATCH", "/api/campaigns/C1", 200, True),
        ("DELETE", "/api/templates/T1/", 204, True),
        ("POST", "/api/campaigns", 500, True),  # unknown outcome: assume it changed
        ("POST", "/api/campaigns", 400, False),
        ("GET", "/api/campaigns", 200, False),
        ("POST", "/api/events", 202, False),
        ("POST", "/client/events", 202, False),
        ("POST", "/api/profile-import", 201, False),
        ("POST", "/api/template-render", 201, False),
        ("POST", "/api/metric-aggregates", 200, False),
        ("POST", "/api/campaign-values-reports", 200, False),
    ],
)
def test_which_writes_invalidate_enumerations(method: str, path: str, status: int, invalidates: bool) -> None:
    assert protocol.invalidates_enumerations(method, path, status) is invalidates
