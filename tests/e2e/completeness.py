"""Support for "every operation was called" checks that span the modules of one test package.

The calls are counted in a module-level ``Counter`` of the package (one per session); the check
is a test marked ``completeness``, which ``tests/conftest.py`` runs after every other test, and
which only judges when the whole package was selected (``whole_package_selected``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest


def counted(called: Counter[str], qualified: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, counting each call under ``qualified`` in ``called``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        called[qualified] += 1
        return fn(*args, **kwargs)

    return call


def _test_id(module: str, cls: str | None, name: str) -> str:
    return f"{module}::{cls}::{name}" if cls else f"{module}::{name}"


def defined_tests(package: str) -> set[str]:
    """Every test function of the package's ``test_*`` modules, selected or not."""
    found: set[str] = set()
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("test_") and inspect.isfunction(obj):
                found.add(_test_id(module.__name__, None, name))
            elif name.startswith("Test") and inspect.isclass(obj):
                found |= {_test_id(module.__name__, name, m) for m in vars(obj) if m.startswith("test_")}
    return found


def whole_package_selected(session: pytest.Session, package: str) -> bool:
    selected = {
        _test_id(item.module.__name__, item.cls.__name__ if item.cls else None, item.originalname)
        for item in session.items
        if isinstance(item, pytest.Function)
    }
    return defined_tests(package) <= selected
