"""
The web front door's and the demo's public surface: each name has one
home, says what it is, shows its public module, and is in the API pages
(``tests/test_public_api.py`` pins the same for the older packages).
"""

from __future__ import annotations

import importlib
import inspect
import pathlib

import pytest

from tests.test_public_api import PUBLIC_MODULES

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
NEW = ["ircc_account.web", "ircc_account.demo"]


@pytest.mark.parametrize("module_name", NEW)
def test_names_are_sorted_documented_and_public(module_name: str) -> None:
    """__all__ is sorted (as ruff sorts it) and unique; each class and function has a docstring and shows the public module."""
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    # ruff's isort-style order (RUF022): CONSTANTS, then the rest.
    assert names == sorted(names, key=lambda n: (n.upper() != n, n))
    assert len(names) == len(set(names))
    for name in names:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), name
            assert obj.__module__ == module_name, (name, obj.__module__)


def test_no_name_has_two_homes() -> None:
    """No web or demo name is also exported by another public module."""
    for module_name in NEW:
        others = {
            n
            for m in PUBLIC_MODULES
            if m != module_name
            for n in importlib.import_module(m).__all__
        }
        assert not set(importlib.import_module(module_name).__all__) & others, module_name


@pytest.mark.parametrize("module_name", NEW)
def test_the_api_pages_document_them(module_name: str) -> None:
    """docs/web.md documents each module with automodule (which follows __all__)."""
    assert f".. automodule:: {module_name}\n" in (DOCS / "web.md").read_text()
