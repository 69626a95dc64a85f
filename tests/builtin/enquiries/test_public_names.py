"""
The enquiries service's public names, as ``tests/test_public_api.py`` pins
the library's: each has a docstring and presents its public home, none but
the service id and the plugin object is also exported by another public
module, constants carry a ``#:`` comment, and the page documents the
package with automodule.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib

from tests.test_public_api import PUBLIC_MODULES
from tests.test_public_api import (
    test_every_exported_constant_has_a_doc_comment as check_constants,
)

MODULE = "ircc_account.builtin.enquiries"
PAGE = pathlib.Path(__file__).resolve().parents[3] / "docs" / "services" / "enquiries.md"
OTHERS = ["ircc_account.builtin.status", "ircc_account.builtin.notes"]


def test_every_public_name_has_a_docstring_and_its_public_home() -> None:
    """Each exported class and function says what it is and shows the package, not a private module."""
    module = importlib.import_module(MODULE)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), name
            assert obj.__module__ == MODULE, (name, obj.__module__)


def test_no_public_name_has_two_homes() -> None:
    """Only the service id and the plugin object share a name with another public module."""
    mine = set(importlib.import_module(MODULE).__all__)
    elsewhere = {n for m in [*PUBLIC_MODULES, *OTHERS] for n in importlib.import_module(m).__all__}
    assert mine & elsewhere == {"SERVICE_ID", "plugin"}


def test_the_package_is_in_its_page_and_constants_are_commented() -> None:
    """The page documents the package with automodule; each constant has a #: comment it shows."""
    assert f".. automodule:: {MODULE}\n   :members:" in PAGE.read_text()
    check_constants(MODULE)
