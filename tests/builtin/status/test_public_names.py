"""
The built-in services' public names, as ``tests/test_public_api.py`` pins
the library's: each has a docstring and presents its public home, none is
exported by another public module, and each package's page documents it
with automodule.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib

import pytest

from tests.test_public_api import PUBLIC_MODULES
from tests.test_public_api import (
    test_every_exported_constant_has_a_doc_comment as check_constants,
)

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "services"
BUILTIN = {"ircc_account.builtin.status": "status.md", "ircc_account.builtin.notes": "notes.md"}


@pytest.mark.parametrize("module_name", sorted(BUILTIN))
def test_every_public_name_has_a_docstring_and_its_public_home(module_name: str) -> None:
    """Each exported class and function says what it is and shows the package, not a private module."""
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{module_name}.{name}"
            assert obj.__module__ == module_name, (name, obj.__module__)


def test_no_public_name_has_two_homes() -> None:
    """No name is exported both by a built-in service and by another public module."""
    homes: dict[str, list[str]] = {}
    for module_name in [*PUBLIC_MODULES, *BUILTIN]:
        for name in importlib.import_module(module_name).__all__:
            homes.setdefault(name, []).append(module_name)
    shared = {n: m for n, m in homes.items() if len(m) > 1 and set(m) & set(BUILTIN)}
    # Each service names its own id and its plugin object.
    assert set(shared) == {"SERVICE_ID", "plugin"}
    assert all(set(m) == set(BUILTIN) for m in shared.values())


@pytest.mark.parametrize("module_name", sorted(BUILTIN))
def test_each_package_is_in_its_services_page(module_name: str) -> None:
    """The service's page documents the package with automodule, which follows its __all__."""
    page = (DOCS / BUILTIN[module_name]).read_text()
    assert f".. automodule:: {module_name}\n   :members:" in page


@pytest.mark.parametrize("module_name", sorted(BUILTIN))
def test_every_exported_constant_has_a_doc_comment(module_name: str) -> None:
    """Each exported constant (the service id, the plugin object, the bins' edges) has a #: comment the page shows."""
    check_constants(module_name)
