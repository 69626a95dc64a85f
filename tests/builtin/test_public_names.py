"""
The built-in application services' public surface: each name lives in one
public module, presents that module as its home, has a docstring (classes
and functions) or a ``#:`` comment where it is assigned (values, which the
pages then show: docs/conf.py), and each module is in its documentation
page with ``automodule``.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import sys

import pytest
from sphinx.pycode import ModuleAnalyzer

from tests.test_public_api import PUBLIC_MODULES

PAGES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "services"
MODULES = {
    "ircc_account.builtin.applications": "applications.md",
    "ircc_account.builtin.trv": "trv.md",
    "ircc_account.builtin.passport": "passport.md",
    "ircc_account.builtin.notify": "notifications.md",
}


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_every_public_name_is_documented(module_name: str) -> None:
    """Classes and functions carry docstrings; other values a ``#:`` comment where assigned."""
    module = importlib.import_module(module_name)
    page = (PAGES / MODULES[module_name]).read_text()
    assert f".. automodule:: {module_name}\n" in page
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{module_name}.{name}"
            assert not obj.__module__.split(".")[-1].startswith("_"), (name, obj.__module__)
        else:
            homes = [module_name] + [
                m
                for m, mod in list(sys.modules.items())
                if m.startswith("ircc_account.") and getattr(mod, name, None) is obj
            ]
            assert any(
                ("", name) in ModuleAnalyzer.for_module(home).find_attr_docs() for home in homes
            ), f"{module_name}.{name}"


def test_every_public_name_has_one_home() -> None:
    """No name is exported by two of these modules, nor by one of the library's public modules."""
    homes: dict[str, list[str]] = {}
    for module_name in [*MODULES, *PUBLIC_MODULES]:
        for name in importlib.import_module(module_name).__all__:
            homes.setdefault(name, []).append(module_name)
    ours = {
        n: m
        for n, m in homes.items()
        if len(m) > 1 and any(x in MODULES for x in m) and n not in ("FORM", "plugin")
    }
    assert ours == {}
    # FORM and plugin are each service's own (one per service package, by design).
    assert sorted(homes["FORM"]) == ["ircc_account.builtin.passport", "ircc_account.builtin.trv"]
