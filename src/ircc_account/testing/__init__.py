"""
The security reviewer's and plugin author's kit (the ``testing`` extra).

* :mod:`ircc_account.testing.strategies`: hypothesis strategies for
  accounts, credentials, representatives, organisations, grants, service
  manifests, ID tokens and logout tokens, valid and adversarial.
* :mod:`ircc_account.testing.state_machines`: rule-based state machines for
  delegation, sessions and the audit log, pointed at your own door (store,
  policy, plugins).
* :mod:`ircc_account.testing.pytest_plugin`: pytest fixtures (installed as
  the ``ircc_account`` ``pytest11`` plugin): databases, the development
  provider, a front door with chosen plugins, and actors.
* :mod:`ircc_account.testing.review`: the reviewer's run
  (``ircc-account review --config FILE``).
* :mod:`ircc_account.testing.fuzz`: fuzzing harnesses for the callback,
  token and application-answer parsers
  (``python -m ircc_account.testing.fuzz TARGET``).
* The helpers below, which the fixtures are built from, and
  :func:`write_plugin`, the new plugin package ``ircc-account new-plugin``
  writes.

Importing this package starts nothing and needs only the base install; each
name is imported when first used (the development provider needs the
``web`` extra, :class:`PostgresServer` the PostgreSQL server binaries,
:class:`NotifyServer` the ``notify`` extra).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ircc_account.testing._notify import NotifyServer, ReceivedEmail
    from ircc_account.testing._people import LicencesInGoodStanding, People
    from ircc_account.testing._postgres import PostgresServer, PostgresServerError
    from ircc_account.testing._provider import ACR_MAP, TEST_USERS, LocalProvider
    from ircc_account.testing._template import PluginNames, write_plugin

__all__ = [
    "ACR_MAP",
    "TEST_USERS",
    "LicencesInGoodStanding",
    "LocalProvider",
    "NotifyServer",
    "People",
    "PluginNames",
    "PostgresServer",
    "PostgresServerError",
    "ReceivedEmail",
    "write_plugin",
]

_HOMES = {
    "ACR_MAP": "_provider",
    "TEST_USERS": "_provider",
    "LicencesInGoodStanding": "_people",
    "LocalProvider": "_provider",
    "NotifyServer": "_notify",
    "People": "_people",
    "PluginNames": "_template",
    "PostgresServer": "_postgres",
    "PostgresServerError": "_postgres",
    "ReceivedEmail": "_notify",
    "write_plugin": "_template",
}


def __getattr__(name: str) -> Any:
    """
    Import a public name on first use (so the pytest plugin, which pytest
    loads in every session, never needs the optional extras).
    """
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    if isinstance(getattr(value, "__module__", None), str) and value.__module__.startswith(
        f"{__name__}._"
    ):
        value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
