"""The registry is validated at start-up: a broken mapping fails fast, not at 3 a.m."""

from dataclasses import replace
from pathlib import Path

import pytest

from mappings import upstream_ops
from mappings.registry import REGISTRY, RegistryError, validate
from proxy.tools.derive_spec_table import render
from tests.contract.validator import pinned_spec


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
    assert render(pinned_spec()) == Path(upstream_ops.__file__).read_text(), (
        "mappings/upstream_ops.py is stale: run python -m proxy.tools.derive_spec_table"
    )
