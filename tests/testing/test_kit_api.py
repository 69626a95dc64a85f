"""
The kit's public modules follow the house rules of tests/test_public_api.py:
each name documented, shown under its public home, with one home, and each
module on a documentation page.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import sys

import pytest

from tests.test_public_api import PUBLIC_MODULES

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
KIT_MODULES = [
    "ircc_account.testing",
    "ircc_account.testing.state_machines",
    "ircc_account.testing.review",
    "ircc_account.testing.fuzz",
]


@pytest.mark.parametrize("module_name", KIT_MODULES)
def test_every_kit_name_is_documented_under_its_public_home(module_name: str) -> None:
    """Each exported class and function has a docstring and names the public module as its home."""
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{module_name}.{name}"
            assert obj.__module__ == module_name, (name, obj.__module__)


@pytest.mark.parametrize("module_name", KIT_MODULES)
def test_every_kit_constant_has_a_doc_comment(module_name: str) -> None:
    """Each exported constant has a ``#:`` comment where it is assigned (the API pages show it)."""
    from sphinx.pycode import ModuleAnalyzer

    module = importlib.import_module(module_name)
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isroutine(value):
            continue
        homes = [module_name] + [
            m
            for m, mod in list(sys.modules.items())
            if m.startswith("ircc_account.") and getattr(mod, name, None) is value
        ]
        assert any(
            ("", name) in ModuleAnalyzer.for_module(home).find_attr_docs() for home in homes
        ), f"{module_name}.{name}"


@pytest.mark.parametrize("module_name", [*KIT_MODULES, "ircc_account.testing.pytest_plugin"])
def test_every_kit_module_is_on_a_documentation_page(module_name: str) -> None:
    """docs/testing.md documents each kit module with automodule."""
    assert f".. automodule:: {module_name}\n" in (DOCS / "testing.md").read_text()


def test_no_kit_name_has_a_second_public_home() -> None:
    """No kit module exports a name another public module (or kit module) exports."""
    homes: dict[str, list[str]] = {}
    for module_name in [*PUBLIC_MODULES, *KIT_MODULES]:
        for name in importlib.import_module(module_name).__all__:
            homes.setdefault(name, []).append(module_name)
    shared = {n: m for n, m in homes.items() if len(m) > 1 and any(x in KIT_MODULES for x in m)}
    assert shared == {}
