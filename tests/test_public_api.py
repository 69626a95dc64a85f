"""
The public surface: what ``ircc_account`` exports, and that each name is documented.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import subprocess
import sys

import pytest

import ircc_account

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` is sorted, unique, and every name in it exists."""
    names = list(ircc_account.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(ircc_account, name), name


def test_exported_names_present_themselves_as_public() -> None:
    """Exported classes show ``ircc_account.Name``, never a private module path."""
    for name in ircc_account.__all__:
        obj = getattr(ircc_account, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert not obj.__module__.startswith("ircc_account._"), (name, obj.__module__)


PUBLIC_MODULES = [
    "ircc_account",
    "ircc_account.errors",
    "ircc_account.authz",
    "ircc_account.storage",
    "ircc_account.audit",
    "ircc_account.delegation",
    "ircc_account.devidp",
    "ircc_account.hazmat.jose",
    "ircc_account.identity",
    "ircc_account.services",
    "ircc_account.hookspecs",
    "ircc_account.testing.strategies",
    "ircc_account.web",
    "ircc_account.demo",
]


def test_every_public_name_has_one_home() -> None:
    """No two public modules export the same name (only the error root and ``hookimpl`` are also at the top)."""
    homes: dict[str, list[str]] = {}
    for module_name in PUBLIC_MODULES:
        for name in importlib.import_module(module_name).__all__:
            homes.setdefault(name, []).append(module_name)
    shared = {n: m for n, m in homes.items() if len(m) > 1}
    assert shared == {
        "IrccAccountError": ["ircc_account", "ircc_account.errors"],
        "hookimpl": ["ircc_account", "ircc_account.hookspecs"],
    }


def test_the_root_holds_what_a_portal_developer_needs_first() -> None:
    """The root API stays small: the door, its values, actors, keys, clocks, the error root."""
    assert len(ircc_account.__all__) <= 25
    assert {"FrontDoor", "FrontDoorConfig", "Actor", "Keyring", "IrccAccountError"} <= set(
        ircc_account.__all__
    )


def test_public_names_present_their_public_home() -> None:
    """Each exported class says which public module it lives in, never a private path."""
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and obj.__module__.startswith("ircc_account"):
                assert not obj.__module__.split(".")[-1].startswith("_"), (name, obj.__module__)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_a_docstring(module_name: str) -> None:
    """Each exported class and function of every public module says what it is."""
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{module_name}.{name}"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_exported_constant_has_a_doc_comment(module_name: str) -> None:
    """Each exported constant has a ``#:`` comment where it is assigned, which the API pages show (docs/conf.py finds it)."""
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


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_module_is_in_the_api_reference(module_name: str) -> None:
    """The API pages document each public module with automodule, which follows its ``__all__``."""
    pages = "\n".join(p.read_text() for p in DOCS.glob("*.md"))
    assert f".. automodule:: {module_name}\n" in pages


def test_every_public_name_is_in_the_api_reference() -> None:
    """The API page documents the package with automodule, which follows ``__all__``."""
    api = (DOCS / "api.md").read_text()
    assert ".. automodule:: ircc_account\n" in api and ":members:" in api


def test_import_does_no_io_and_starts_no_threads() -> None:
    """Importing the package starts no threads."""
    code = (
        "import threading, os\n"
        "before = threading.active_count()\n"
        "import ircc_account\n"
        "assert threading.active_count() == before, threading.enumerate()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_library_reads_no_environment_variables() -> None:
    """Configuration is explicit: no module outside the test helpers reads os.environ."""
    src = pathlib.Path(ircc_account.__file__).parent
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "testing" not in p.parts
        and ("os.environ" in (text := p.read_text()) or "getenv(" in text)
    ]
    assert offenders == []
