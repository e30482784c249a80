"""Coverage: every legacy operation of the reference catalog has a registered mapping.

* The operation index table of ``shared/reference/legacy-endpoints.md`` (51 rows, A1..S4:
  id, method, legacy path) must be covered by ``mappings.registry.REGISTRY`` with the same
  id, method and path. Catalog paths are relative to the legacy base ``/api``
  (``/v1/campaigns`` is ``/api/v1/campaigns``, ``/track?data=<b64>`` is ``/api/track``) and
  name their parameters freely (``{id}``), so paths are compared with parameter names erased.
  Without the reference file the check is skipped, unless ``KLAVIYO_COMPAT_REQUIRE_SPEC=1``.
* Every public operation of the generated SDK ``klaviyo-sdk`` 1.0.9 (the 47 methods of
  ``swagger_client/api/*.py`` without ``_with_http_info``) is some mapping's ``name``.
"""

from __future__ import annotations

import inspect
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from mappings.registry import REGISTRY

REQUIRE_ENV = "KLAVIYO_COMPAT_REQUIRE_SPEC"
CATALOG_ENV = "KLAVIYO_LEGACY_CATALOG"
EXPECTED_ROWS = 51
SDK_OPERATIONS = 47


def catalog_path() -> Path:
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override)
    return (Path(__file__).resolve().parents[2] / "../shared/reference/legacy-endpoints.md").resolve()


def _required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class CatalogRow:
    id: str
    method: str
    path: str  # as proxied: /api/... without query, parameters as written in the catalog
    sdk_name: str | None = None  # the generated SDK's operation name, when it has one


_ROW = re.compile(r"^\|\s*([A-Z]\d+)\s*\|\s*([A-Z]+)\s*\|\s*`([^`]+)`\s*\|\s*([^|]*)\|")
_SDK_NAME = re.compile(r"^`(\w+)`$")
_PARAM = re.compile(r"\{[^/}]+\}")


def parse_operation_index(text: str) -> list[CatalogRow]:
    """Rows of the '## Operation index' table: (id, method, /api path without query)."""
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


@pytest.fixture(scope="module")
def catalog() -> list[CatalogRow]:
    path = catalog_path()
    if not path.is_file():
        message = f"legacy catalog not found at {path} (set {CATALOG_ENV} to its location)"
        if _required():
            pytest.fail(f"{message}; {REQUIRE_ENV}=1 makes this a failure", pytrace=False)
        pytest.skip(message)
    return parse_operation_index(path.read_text(encoding="utf-8"))


def test_catalog_table_parses_to_51_operations(catalog: list[CatalogRow]) -> None:
    assert len(catalog) == EXPECTED_ROWS, [row.id for row in catalog]
    assert len({row.id for row in catalog}) == EXPECTED_ROWS
    assert catalog[0] == CatalogRow("A1", "GET", "/api/track", "track_get")
    assert CatalogRow("B3", "GET", "/api/v1/campaign/{id}", "get_campaign_info") in catalog
    assert CatalogRow("S3", "GET", "/api/v1/segment/{id}/members") in catalog
    assert sum(1 for row in catalog if row.sdk_name) == SDK_OPERATIONS


def test_every_catalog_operation_has_a_mapping(catalog: list[CatalogRow]) -> None:
    by_id = {op.id: op for op in REGISTRY}
    by_route = {route_key(op.method, op.path): op for op in REGISTRY}
    problems = []
    for row in catalog:
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
    assert not problems, "catalog operations without a matching mapping:\n" + "\n".join(problems)


def test_no_mapping_outside_the_catalog(catalog: list[CatalogRow]) -> None:
    known = {row.id for row in catalog}
    assert [op.id for op in REGISTRY if op.id not in known] == []


def test_parser_sees_a_missing_row() -> None:
    """The check can fail: a catalog row nobody maps is reported."""
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
    registered = {route_key(op.method, op.path) for op in REGISTRY}
    assert [r.id for r in rows if route_key(r.method, r.path) not in registered] == ["Z9"]


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
