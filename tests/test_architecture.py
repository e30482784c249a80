"""The folders show the design: checked on the source with ``ast``, no third-party tool.

* at most five modules directly in ``proxy/`` (everything else lives in a layer);
* no import cycle between ``proxy`` modules, ``TYPE_CHECKING`` and function-local imports included;
* no upward import between the layers of ``LAYERS``;
* ``proxy.sandbox`` and ``proxy.tools`` import only themselves, ``mappings`` and outside packages;
* ``mappings`` imports nothing from ``proxy`` and no I/O library (its plans are sans-IO);
* no function over 80 lines in ``proxy`` (the sandbox excepted) or ``mappings``.

The sandbox is the deliberate exception to "the proxy knows no Klaviyo resource": it emulates
the *new* API for demos (``serve --sandbox``) and tests, so it stands beside the layers, not in
them, and only the CLI (the top) may wire it in.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import its own layer entry and any entry of a lower rank; entries
# sharing a rank (state, policy) are peers and must not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("proxy.settings",),
    ("proxy.observe",),
    ("proxy.state", "proxy.policy"),
    ("proxy.traffic",),
    ("proxy.admin",),
    ("proxy.engine",),
    ("proxy.cli", "proxy"),  # ``proxy`` itself: the package's facade (create_app, Settings)
)
FACADE = "proxy"  # as a layer entry, only the package's own ``__init__``, not what lies below it
# Beside the layers: they may import only themselves, mappings and outside packages.
STANDALONE = ("proxy.sandbox", "proxy.tools")
# Who may import a standalone package (besides itself).
STANDALONE_USERS: Mapping[str, tuple[str, ...]] = {"proxy.sandbox": ("proxy.cli",), "proxy.tools": ()}
# Sans-IO: what mappings must never import (a prefix matches the package and its modules).
IO_LIBRARIES = (
    "proxy",
    "httpx",
    "starlette",
    "uvicorn",
    "aiohttp",
    "sqlite3",
    "socket",
    "asyncio",
    "ssl",
    "selectors",
    "http.client",
    "urllib.request",
)
MAX_TOP_MODULES = 5
MAX_FUNCTION_LINES = 80
FUNCTION_LENGTH_EXEMPT = ("proxy.sandbox",)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports, resolved to a module where the name is one
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def sources(root: Path = ROOT) -> Mapping[str, ast.Module]:
    """Every module of ``proxy`` and ``mappings``, parsed."""
    return {
        module_name(path, root): ast.parse(path.read_text(encoding="utf-8"), str(path))
        for package in ("proxy", "mappings")
        for path in sorted((root / package).rglob("*.py"))
    }


def _package_of(module: str, root: Path) -> str:
    is_package = (root / module.replace(".", "/") / "__init__.py").exists()
    return module if is_package else module.rpartition(".")[0]


def imports_of(module: str, tree: ast.Module, known: frozenset[str], root: Path = ROOT) -> Iterator[Import]:
    """Every import anywhere in the module (top level, functions, ``if TYPE_CHECKING:``).

    ``from a.b import c`` targets the module ``a.b.c`` when there is one, else ``a.b``.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                package = _package_of(module, root).split(".")
                anchor = ".".join(package[: len(package) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield Import(module, candidate if candidate in known else base, node.lineno)


def all_imports(root: Path = ROOT) -> list[Import]:
    trees = sources(root)
    known = frozenset(trees)
    return [imp for name, tree in trees.items() for imp in imports_of(name, tree, known, root)]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def unit_of(module: str) -> str | None:
    """The layer entry or standalone package a ``proxy`` module belongs to (longest match)."""
    entries = [e for rank in LAYERS for e in rank] + list(STANDALONE)
    matches = [e for e in entries if (module == e if e == FACADE else within(module, e))]
    return max(matches, key=len) if matches else None


def rank_of(unit: str) -> int | None:
    for rank, entries in enumerate(LAYERS):
        if unit in entries:
            return rank
    return None


def layer_violations(imports: list[Import]) -> list[str]:
    problems: list[str] = []
    for imp in imports:
        if not within(imp.module, "proxy") or not within(imp.target, "proxy"):
            continue
        source, target = unit_of(imp.module), unit_of(imp.target)
        if source is None or target is None:
            problems.append(f"{imp.module}:{imp.line} -> {imp.target}: not in LAYERS or STANDALONE")
            continue
        if source == target:
            continue
        where = f"{imp.module}:{imp.line} imports {imp.target}"
        if source in STANDALONE:
            problems.append(f"{where}: {source} may import only itself, mappings and outside packages")
        elif target in STANDALONE:
            if source not in STANDALONE_USERS[target]:
                problems.append(f"{where}: only {STANDALONE_USERS[target] or 'nobody'} may use {target}")
        else:
            src_rank, dst_rank = rank_of(source), rank_of(target)
            assert src_rank is not None and dst_rank is not None
            if dst_rank >= src_rank:
                kind = "a peer" if dst_rank == src_rank else "a higher layer"
                problems.append(f"{where}: {target} is {kind} of {source}")
    return problems


def cycles(imports: list[Import], scope: str = "proxy") -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if within(imp.module, scope) and within(imp.target, scope):
            graph.setdefault(imp.module, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan; the graph is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def impure_mappings(imports: list[Import]) -> list[str]:
    return [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in imports
        if within(imp.module, "mappings") and any(within(imp.target, lib) for lib in IO_LIBRARIES)
    ]


def long_functions(trees: Mapping[str, ast.Module]) -> list[str]:
    problems: list[str] = []
    for name, tree in trees.items():
        if any(within(name, exempt) for exempt in FUNCTION_LENGTH_EXEMPT):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > MAX_FUNCTION_LINES:
                    problems.append(f"{name}.{node.name} (line {node.lineno}): {lines} lines")
    return problems


def test_few_modules_sit_directly_in_proxy() -> None:
    top = sorted(p.name for p in (ROOT / "proxy").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_every_proxy_module_belongs_to_a_layer_or_a_standalone_package() -> None:
    assert [m for m in sources() if within(m, "proxy") and unit_of(m) is None] == []


def test_no_import_cycle_between_proxy_modules() -> None:
    assert cycles(all_imports()) == []


def test_no_upward_import_between_layers() -> None:
    assert layer_violations(all_imports()) == []


def test_mappings_import_nothing_from_proxy_and_no_io() -> None:
    assert impure_mappings(all_imports()) == []


def test_no_function_is_longer_than_80_lines() -> None:
    assert long_functions(sources()) == []


# The checks themselves, on a small made-up tree: each must see the violation it exists for.


def _tree(tmp_path: Path, files: Mapping[str, str]) -> tuple[list[Import], Mapping[str, ast.Module]]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in ("proxy", "mappings"):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    trees = sources.__wrapped__(tmp_path)
    known = frozenset(trees)
    return [i for n, t in trees.items() for i in imports_of(n, t, known, tmp_path)], trees


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"proxy/observe/a.py": "from proxy.engine import b\n", "proxy/engine/b.py": ""}, "a higher layer"),
        ({"proxy/state/a.py": "from proxy.policy.b import x\n", "proxy/policy/b.py": ""}, "a peer"),
        (
            {"proxy/sandbox/a.py": "from proxy.settings import Settings\n", "proxy/settings.py": ""},
            "only itself",
        ),
        ({"proxy/engine/a.py": "import proxy.sandbox\n", "proxy/sandbox/__init__.py": ""}, "may use"),
    ],
)
def test_layer_check_sees_a_violation(tmp_path: Path, files: Mapping[str, str], expected: str) -> None:
    imports, _ = _tree(tmp_path, files)
    [problem] = layer_violations(imports)
    assert expected in problem


def test_cycle_check_sees_a_type_checking_cycle(tmp_path: Path) -> None:
    imports, _ = _tree(
        tmp_path,
        {
            "proxy/traffic/__init__.py": "",
            "proxy/traffic/a.py": "from proxy.traffic.b import B\n",
            "proxy/traffic/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
        },
    )
    assert cycles(imports) == [["proxy.traffic.a", "proxy.traffic.b"]]


def test_purity_check_sees_io_in_mappings(tmp_path: Path) -> None:
    imports, _ = _tree(
        tmp_path, {"mappings/a.py": "def f():\n    import httpx\n", "mappings/b.py": "import json\n"}
    )
    assert impure_mappings(imports) == ["mappings.a:2 imports httpx"]


def test_length_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    _, trees = _tree(
        tmp_path, {"proxy/engine/a.py": f"def long():\n{body}", "proxy/sandbox/b.py": f"def ok():\n{body}"}
    )
    assert long_functions(trees) == [f"proxy.engine.a.long (line 1): {MAX_FUNCTION_LINES + 1} lines"]
