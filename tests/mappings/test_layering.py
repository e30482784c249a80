"""mappings/ is pure Klaviyo knowledge: it imports no I/O library and nothing from proxy/, and
its layers point one way (core <- translate <- operations <- registry)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mappings

ROOT = Path(mappings.__file__).parent
FORBIDDEN = ("proxy", "httpx", "starlette", "uvicorn", "structlog", "aiohttp", "asyncio", "socket", "orjson")


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_io_and_nothing_from_proxy(path: Path) -> None:
    bad = sorted(name for name in imports(path) if name.split(".")[0] in FORBIDDEN)
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize(
    ("layer", "may_not_import"),
    [
        ("core", ("mappings.translate", "mappings.operations", "mappings.registry")),
        ("translate", ("mappings.operations", "mappings.registry")),
        ("operations", ("mappings.operations.", "mappings.registry")),
    ],
)
def test_layers_point_one_way(layer: str, may_not_import: tuple[str, ...]) -> None:
    bad = {
        str(path.relative_to(ROOT)): sorted(n for n in imports(path) if n.startswith(may_not_import))
        for path in (ROOT / layer).glob("*.py")
    }
    assert {k: v for k, v in bad.items() if v} == {}
