"""
One helper for every public package's ``__init__``: show exported names as public.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

__all__ = ["present_as_public"]


def present_as_public(namespace: Mapping[str, object], package: str) -> None:
    """
    Set ``__module__`` to *package* on each name in ``namespace["__all__"]``
    that is defined in a private module (``ircc_account._model``, say, or one
    of *package*'s own), so users and the API docs see
    ``ircc_account.delegation.Policy``, not a private path.

    Every public name has exactly one public home (``tests/test_public_api.py``
    pins it), so no package claims another's name. Names defined in a public
    module keep their home.
    """
    for name in namespace["__all__"]:  # type: ignore[attr-defined]
        obj = namespace[name]
        module = getattr(obj, "__module__", None)
        if isinstance(module, str) and (
            module.startswith(package + "._") or module.startswith("ircc_account._")
        ):
            with contextlib.suppress(AttributeError, TypeError):
                obj.__module__ = package
