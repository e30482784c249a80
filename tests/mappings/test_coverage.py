"""Coverage: every legacy operation of the reference catalog has a registered mapping.

* The operation index of ``tests/vendor/legacy-endpoints.md`` (A1..S4, one row each: id,
  method, legacy path, generated-SDK name), vendored as ``tests/mappings/legacy_catalog.py``,
  must be covered by ``mappings.registry.REGISTRY`` with the same id, method, path and name.
  This runs everywhere, the reference file is not needed. Catalog paths are relative to the
  legacy base ``/api`` (``/v1/campaigns`` is ``/api/v1/campaigns``, ``/track?data=<b64>`` is
  ``/api/track``) and name their parameters freely (``{id}``), so paths are compared with
  parameter names erased.
* The vendored table must equal the table parsed from the catalog file, so a change of the
  catalog is caught.
* Every public operation of the generated SDK ``klaviyo-sdk`` 1.0.9 (the 47 methods of
  ``swagger_client/api/*.py`` without ``_with_http_info``) is some mapping's ``name``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from mappings.core import Operation
from mappings.registry import REGISTRY
from tests.contract.validator import VENDOR, reference_file
from tests.mappings.legacy_catalog import OPERATIONS, CatalogRow

SDK_OPERATIONS = 47
_INDEX_COUNT = re.compile(r"^## Operation index \((\d+) operations\)", re.M)


def catalog_path() -> Path:
    return VENDOR / "legacy-endpoints.md"


_ROW = re.compile(r"^\|\s*([A-Z]\d+)\s*\|\s*([A-Z]+)\s*\|\s*`([^`]+)`\s*\|\s*([^|]*)\|")
_SDK_NAME = re.compile(r"^`(\w+)`$")
_PARAM = re.compile(r"\{[^/}]+\}")


def parse_operation_index(text: str) -> list[CatalogRow]:
    """Rows of the '## Operation index' table: (id, method, /api path without query, SDK name)."""
    start = text.find("## Operation index")
    if start < 0:
        raise ValueError("no '## Operation index' section")
    rows: list[CatalogRow] = []
    in_table = False
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            if in_table:
                break
            continue
        in_table = True
        match = _ROW.match(line)
        if match is None:
            continue  # header or separator row
        ident, method, legacy, sdk_cell = match.groups()
        path = legacy.split("?", 1)[0].strip()
        sdk = _SDK_NAME.match(sdk_cell.strip())
        rows.append(CatalogRow(ident, method, "/api" + path, sdk.group(1) if sdk else None))
    return rows


def route_key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), _PARAM.sub("{}", path.rstrip("/"))


def coverage_problems(rows: Iterable[CatalogRow], registry: Sequence[Operation]) -> list[str]:
    """One line per catalog row without a mapping of the same id, method, path and SDK name."""
    by_id = {op.id: op for op in registry}
    by_route = {route_key(op.method, op.path): op for op in registry}
    problems = []
    for row in rows:
        op = by_id.get(row.id)
        if op is None:
            found = by_route.get(route_key(row.method, row.path))
            hint = f" (route is registered as {found.id})" if found else ""
            problems.append(f"{row.id} {row.method} {row.path}: no mapping registered{hint}")
        elif route_key(op.method, op.path) != route_key(row.method, row.path):
            problems.append(
                f"{row.id}: catalog says {row.method} {row.path}, mapping is {op.method} {op.path}"
            )
        elif row.sdk_name and op.name != row.sdk_name:
            problems.append(f"{row.id}: generated-SDK name is {row.sdk_name}, mapping name is {op.name}")
    return problems


# --------------------------------------------------------------------------- the vendored catalog


def test_vendored_catalog_rows_are_distinct_and_one_per_mapping() -> None:
    """The count is nobody's constant: one row per registered operation, no id or route twice."""
    assert len(OPERATIONS) == len(REGISTRY), [row.id for row in OPERATIONS]
    assert len({row.id for row in OPERATIONS}) == len(OPERATIONS)
    assert len({route_key(row.method, row.path) for row in OPERATIONS}) == len(OPERATIONS)
    assert OPERATIONS[0] == CatalogRow("A1", "GET", "/api/track", "track_get")
    assert CatalogRow("B3", "GET", "/api/v1/campaign/{id}", "get_campaign_info") in OPERATIONS
    assert CatalogRow("S3", "GET", "/api/v1/segment/{id}/members") in OPERATIONS
    assert sum(1 for row in OPERATIONS if row.sdk_name) == SDK_OPERATIONS


def test_every_catalog_operation_has_a_mapping() -> None:
    problems = coverage_problems(OPERATIONS, REGISTRY)
    assert not problems, "catalog operations without a matching mapping:\n" + "\n".join(problems)


def test_no_mapping_outside_the_catalog() -> None:
    known = {row.id for row in OPERATIONS}
    assert [op.id for op in REGISTRY if op.id not in known] == []


def test_a_made_up_unmapped_row_is_reported() -> None:
    """The check can fail: a catalog row nobody maps is reported (parsed and vendored alike)."""
    text = (
        "## Operation index (2 operations)\n\n"
        "| ID | Method | Legacy path | Generated-SDK name | Hand-written SDK names |\n"
        "|---|---|---|---|---|\n"
        "| A1 | GET | `/track?data=<b64>` | `track_get` | x |\n"
        "| Z9 | GET | `/v1/nowhere/{id}` | — | — |\n\n"
        "Not catalogued: ...\n"
    )
    rows = parse_operation_index(text)
    assert rows == [
        CatalogRow("A1", "GET", "/api/track", "track_get"),
        CatalogRow("Z9", "GET", "/api/v1/nowhere/{id}"),
    ]
    assert coverage_problems(rows, REGISTRY) == ["Z9 GET /api/v1/nowhere/{id}: no mapping registered"]
    made_up = (*OPERATIONS, CatalogRow("Z9", "GET", "/api/v1/nowhere/{id}"))
    assert coverage_problems(made_up, REGISTRY) == ["Z9 GET /api/v1/nowhere/{id}: no mapping registered"]
    renamed = (CatalogRow("A1", "GET", "/api/track", "track_beacon"),)
    assert coverage_problems(renamed, REGISTRY) == [
        "A1: generated-SDK name is track_beacon, mapping name is track_get"
    ]


# --------------------------------------------------------------------------- drift from the reference


@pytest.fixture(scope="module")
def reference_text() -> str:
    return reference_file(catalog_path(), "legacy catalog").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reference_catalog(reference_text: str) -> list[CatalogRow]:
    return parse_operation_index(reference_text)


def test_reference_heading_counts_its_rows(reference_text: str, reference_catalog: list[CatalogRow]) -> None:
    """The heading's "(N operations)" is the reference's own count: it must match its table."""
    heading = _INDEX_COUNT.search(reference_text)
    assert heading is not None, "no '## Operation index (N operations)' heading"
    assert int(heading.group(1)) == len(reference_catalog)


def test_vendored_catalog_equals_the_reference(reference_catalog: list[CatalogRow]) -> None:
    """legacy_catalog.py is the reference's operation index, row for row (drift is caught)."""
    vendored = list(OPERATIONS)
    only_reference = [row for row in reference_catalog if row not in vendored]
    only_vendored = [row for row in vendored if row not in reference_catalog]
    assert (only_reference, only_vendored) == ([], []), (
        "tests/mappings/legacy_catalog.py differs from the reference catalog: refresh it"
    )
    assert reference_catalog == vendored, "same rows, different order: refresh legacy_catalog.py"


# --------------------------------------------------------------------------- generated SDK names


def generated_sdk_operations() -> set[str]:
    import swagger_client.api as swagger_api  # klaviyo-sdk==1.0.9.20220329, a test dependency

    names: set[str] = set()
    for _, module in inspect.getmembers(swagger_api, inspect.ismodule):
        if not module.__name__.startswith("swagger_client.api."):
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            names.update(
                name
                for name, _ in inspect.getmembers(cls, inspect.isfunction)
                if not name.startswith("_") and not name.endswith("_with_http_info")
            )
    return names


def test_every_generated_sdk_operation_is_a_mapping_name() -> None:
    sdk = generated_sdk_operations()
    assert len(sdk) == SDK_OPERATIONS, sorted(sdk)
    mapped = {op.name for op in REGISTRY}
    assert sorted(sdk - mapped) == []
