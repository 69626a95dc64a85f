"""
Every hook and each of its arguments is documented in docs/hooks.md.
"""

from __future__ import annotations

import inspect
import pathlib
import re

import pytest

from ircc_account import hookspecs

DOC = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "hooks.md").read_text()
HOOKS = sorted(n for n, f in vars(hookspecs).items() if n.startswith("ircc_") and callable(f))


def _section(name: str) -> str:
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", DOC, re.M | re.S)
    return match.group(1) if match else ""


def test_every_hook_is_specified() -> None:
    """Each ircc_ function in hookspecs is a hook specification with a docstring."""
    assert HOOKS
    for name in HOOKS:
        function = getattr(hookspecs, name)
        assert hasattr(function, "ircc_account_spec"), name
        assert function.__doc__ and "Returns:" in function.__doc__, name


@pytest.mark.parametrize("name", HOOKS)
def test_hook_and_arguments_are_documented(name: str) -> None:
    """The hook has a section in docs/hooks.md naming each of its arguments."""
    section = _section(name)
    assert section, f"{name} has no section in docs/hooks.md"
    for argument in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f"`{argument}`" in section, f"{name}({argument}) is undocumented"
        assert f"{argument}:" in getattr(hookspecs, name).__doc__


@pytest.mark.parametrize("name", HOOKS)
def test_no_hook_is_firstresult(name: str) -> None:
    """No hook lets one plugin's answer win (SEC-94)."""
    assert not getattr(hookspecs, name).ircc_account_spec.get("firstresult")
