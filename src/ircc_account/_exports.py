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
    that is defined in one of *package*'s own private modules, so users (and
    the API docs) see ``ircc_account.delegation.Policy``, not a private path.

    Names re-exported from elsewhere keep their home: a shared class is never
    claimed by whichever package happens to import it last.
    """
    prefix = package + "._"
    for name in namespace["__all__"]:  # type: ignore[attr-defined]
        obj = namespace[name]
        module = getattr(obj, "__module__", None)
        if isinstance(module, str) and module.startswith(prefix):
            with contextlib.suppress(AttributeError, TypeError):
                obj.__module__ = package
