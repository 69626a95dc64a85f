"""
The front door on the web: an ASGI application (Starlette) over a
:class:`~ircc_account.FrontDoor`, for portals to mount and add their pages to.

It serves sign-in and the provider's callback, registration, linking a
credential, step-up, logout (RP-initiated, with its return, and
back-channel), and a language toggle; keeps the session id only in the
``__Host-`` cookie; checks CSRF on every form; answers ``GET`` on a form
with 405; puts the security headers on every response; follows only
same-origin return paths; shows errors in the person's language; and runs
every blocking call in a bounded thread pool. A portal may add RFC 7662
introspection of delegation tokens for its legacy systems
(:func:`add_token_introspection`). Install the ``web`` extra.
See ``docs/web.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account.web._app import WebApp
from ircc_account.web._config import Catalogue, WebConfig
from ircc_account.web._i18n import N_
from ircc_account.web._introspection import add_token_introspection
from ircc_account.web._values import (
    Page,
    PageRequest,
    ProviderRedirect,
    Redirect,
    UploadedFile,
)

__all__ = [
    "N_",
    "Catalogue",
    "Page",
    "PageRequest",
    "ProviderRedirect",
    "Redirect",
    "UploadedFile",
    "WebApp",
    "WebConfig",
    "add_token_introspection",
]

present_as_public(globals(), __name__)
