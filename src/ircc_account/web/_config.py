"""
:class:`WebConfig`: the settings of the web front door, explicit (nothing is
read from the environment), and :class:`Catalogue`, a set of translations.
"""

from __future__ import annotations

import importlib.resources
import pathlib
import urllib.parse
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Literal

import attrs

from ircc_account.errors import ConfigurationError
from ircc_account.identity import safe_return_path

__all__ = ["Catalogue", "WebConfig"]

#: The languages the web front door speaks: Canada's two official languages.
LANGUAGES: tuple[Literal["en"], Literal["fr"]] = ("en", "fr")


def _origin(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ConfigurationError(reason="an origin is scheme://host[:port] and nothing else")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _origins(values: object) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ConfigurationError(reason="give origins as a list")
    return tuple(_origin(str(v)) for v in values)  # type: ignore[attr-defined]


def _path(value: str) -> str:
    # A same-origin path; safe_return_path checks prefixes and defaults alike.
    safe_return_path(None, allowed_prefixes=[value], default=value)
    return value


def _paths(values: object) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ConfigurationError(reason="give return-path prefixes as a list")
    found = tuple(_path(str(v)) for v in values)  # type: ignore[attr-defined]
    if not found:
        raise ConfigurationError(reason="at least one return-path prefix is needed")
    return found


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(reason=f"{attribute.name} must be a whole number of at least 1")


def _key(_: object, __: attrs.Attribute[bytes], value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) < 32:
        raise ConfigurationError(reason="the CSRF key must be at least 32 bytes")


def _language(_: object, __: attrs.Attribute[str], value: str) -> None:
    if value not in LANGUAGES:
        raise ConfigurationError(reason="the default language must be en or fr")


@attrs.frozen(kw_only=True)
class WebConfig:
    """
    Everything the web front door needs besides the door itself.

    Every worker process of one portal must get the same values (the CSRF
    key above all): no request depends on which worker served the last one.

    Attributes:
        origin: The portal's public origin, ``https://account.example.gc.ca``:
            state-changing requests must come from it (``Origin``), and the
            providers' callbacks are registered under it.
        csrf_key: The key CSRF tokens are made with, at least 32 bytes, from
            the secret store; the same in every worker.
        home: Where a signed-in person lands, and where a refused return path
            goes instead.
        return_prefixes: The only paths a ``next`` parameter may lead to
            after login, logout or a language change (SEC-19).
        provider_labels: What to call each provider on the sign-in
            buttons, by provider name: an English msgid of the portal's
            catalogues (mark it with :func:`~ircc_account.web.N_`), shown
            translated; the name itself by default.
        form_action_origins: Origins besides the providers' issuers that a
            form may lead to (a provider whose authorization endpoint is on
            another host); they go into the CSP's ``form-action``.
        max_body: The largest request body accepted, in bytes (413 beyond).
        max_fields: The most fields a form may have (400 beyond).
        max_upload: The largest file a form registered with ``uploads=True``
            takes, in bytes (413 beyond); such a form's whole body may be
            up to ``max_body + max_upload``, every other one ``max_body``.
        threads: How many blocking library calls may run at once (the
            bounded thread pool every page uses).
        backchannel_threads: A separate bound for back-channel logout, so a
            provider's logout call never waits behind page requests.
        default_language: The language before the person says otherwise
            (and their browser's ``Accept-Language`` names neither).
        timezone: The IANA time zone dates are shown in.
        hsts: Send ``Strict-Transport-Security`` (one year, subdomains).
        signed_out_path: The page shown after logout.
    """

    origin: str = attrs.field(converter=_origin)
    csrf_key: bytes = attrs.field(repr=False, validator=_key)
    home: str = attrs.field(default="/account", converter=_path)
    return_prefixes: tuple[str, ...] = attrs.field(default=("/",), converter=_paths)
    provider_labels: Mapping[str, str] = attrs.field(factory=dict)
    form_action_origins: tuple[str, ...] = attrs.field(default=(), converter=_origins)
    max_body: int = attrs.field(default=64 * 1024, validator=_positive)
    max_fields: int = attrs.field(default=40, validator=_positive)
    max_upload: int = attrs.field(default=10 * 1024 * 1024, validator=_positive)
    threads: int = attrs.field(default=16, validator=_positive)
    backchannel_threads: int = attrs.field(default=4, validator=_positive)
    default_language: Literal["en", "fr"] = attrs.field(default="en", validator=_language)
    timezone: str = "UTC"
    hsts: bool = True
    signed_out_path: str = attrs.field(default="/signed-out", converter=_path)

    @property
    def secure(self) -> bool:
        """
        Whether the origin is HTTPS (``__Host-`` cookies need it, or loopback HTTP).
        """
        return self.origin.startswith("https://")


@attrs.frozen
class Catalogue:
    """
    Message catalogues (gettext ``.po`` files) for one domain: the French
    translations of a portal's templates, found at
    ``<directory>/fr/LC_MESSAGES/<domain>.po``. A portal's catalogues take
    precedence over the web front door's own.

    Attributes:
        directory: The ``locale`` directory (a path, or a package resource).
        domain: The gettext domain, the ``.po`` file's name.
    """

    directory: Traversable | pathlib.Path
    domain: str

    @classmethod
    def from_package(cls, package: str, domain: str, directory: str = "locale") -> Catalogue:
        """
        The catalogues shipped as data of *package* (in its ``locale`` folder).
        """
        return cls(importlib.resources.files(package) / directory, domain)

    def po_file(self, language: str) -> Traversable | pathlib.Path:
        """
        The ``.po`` file for *language*.
        """
        return self.directory / language / "LC_MESSAGES" / f"{self.domain}.po"
