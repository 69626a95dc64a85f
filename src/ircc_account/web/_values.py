"""
What a page handler gets (:class:`PageRequest`) and returns (:class:`Page`,
:class:`Redirect`).

Handlers are plain synchronous functions: the web front door runs each one
in its bounded thread pool, so they call the door directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ircc_account import Actor, FrontDoor, Principal
from ircc_account.errors import IrccAccountError, SessionExpired
from ircc_account.identity import IssuedSession, Session, safe_return_path

__all__ = [
    "Page",
    "PageRequest",
    "ProviderRedirect",
    "Redirect",
    "RequestTooLarge",
    "UploadedFile",
]


@attrs.frozen
class Page:
    """
    Render *template* with *context* (plus what every page gets: the
    request, ``_``, the CSRF token, the language).

    Attributes:
        template: The template's name, found in the portal's templates first.
        context: Values for the template.
        status: The HTTP status.
    """

    template: str
    context: Mapping[str, Any] = attrs.field(factory=dict)
    status: int = 200


@attrs.frozen
class Redirect:
    """
    Send the browser to another page of this site (303 See Other).

    Attributes:
        location: A same-origin path; anything else goes to the home page (SEC-19).
        issued: A session just issued (login, acting for a client): its cookie is set.
        language: Set the language cookie to this language.
    """

    location: str
    issued: IssuedSession | None = attrs.field(default=None, repr=False)
    language: Literal["en", "fr"] | None = None


@attrs.frozen(kw_only=True)
class UploadedFile:
    """
    A file sent with a form registered with ``uploads=True``.

    Attributes:
        filename: The name the browser gave it: shown, never trusted.
        data: Its bytes (at most ``WebConfig.max_upload``).
    """

    filename: str
    data: bytes = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class PageRequest:
    """
    One request, as a page handler sees it, in a worker thread.

    Attributes:
        door: The front door.
        method: ``GET`` or ``POST``.
        path: The request path.
        params: The path parameters.
        query: The query parameters (each at most once).
        form: The form fields of a ``POST`` (each at most once; CSRF checked).
        files: The file sent with an upload form, by field name (at most one).
        language: ``en`` or ``fr``.
        session: The live session, or ``None`` (no cookie, or it ended).
        cookie: The session cookie's value: only for the door's calls that
            take it (``act_for``, ``step_up``); never show or log it.
        client_key: Who asks, for rate limits (the client address).
        correlation_id: This request's id, for the door's records.
        csrf_token: The token forms on the page must carry.
        home: The portal's home path.
        return_prefixes: Where ``next`` parameters may lead.
        return_to: The checked return path kept across a provider round
            trip (login, step-up), if any.
    """

    door: FrontDoor
    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str]
    language: Literal["en", "fr"]
    session: Session | None
    cookie: str | None = attrs.field(repr=False)
    client_key: str
    correlation_id: str
    csrf_token: str = attrs.field(repr=False)
    home: str
    return_prefixes: tuple[str, ...] = attrs.field(repr=False)
    return_to: str | None = None
    files: Mapping[str, UploadedFile] = attrs.field(factory=dict, repr=False)

    @property
    def signed_in(self) -> bool:
        """
        Whether an account is signed in.
        """
        return self.session is not None and self.session.authenticated

    @property
    def client_id(self) -> str:
        """
        The client the page is about: the one acted for, or the person's own file.

        Raises:
            SessionExpired: not signed in.
        """
        if self.session is None or self.session.client_id is None:
            raise SessionExpired()
        return self.session.client_id

    @property
    def acting(self) -> bool:
        """
        Whether the signed-in person is acting for another client.
        """
        s = self.session
        return s is not None and s.acting_for is not None and s.acting_for != s.account_id

    def actor(self, *, as_representative: bool = False) -> Actor:
        """
        Who asks, for the door (``door.actor(session)``).

        Raises:
            SessionExpired: not signed in.
            AuthorizationError: ``as_representative`` but the login is no representative.
        """
        if self.session is None:
            raise SessionExpired()
        return self.door.actor(self.session, as_representative=as_representative)

    def represents(self) -> bool:
        """
        Whether the signed-in person is registered as a representative (or
        an office's staff member): whether "my clients" means anything to
        them. ``False`` when nobody is signed in, or when the store cannot
        tell (it is down). One read of the store.
        """
        if not self.signed_in or self.session is None:
            return False
        try:
            return self.door.principal(self.session).representative is not None
        except IrccAccountError:
            # Asked while drawing a page (an error page, say): the answer
            # only shows or hides a link, and must not break the page.
            return False

    def principal(self) -> Principal:
        """
        Who the session belongs to, in every capacity (``door.principal``).

        Raises:
            SessionExpired: not signed in.
        """
        if self.session is None:
            raise SessionExpired()
        return self.door.principal(self.session)

    def next_path(self, candidate: str | None, default: str | None = None) -> str:
        """
        *candidate* if it is a same-origin path under the allowed prefixes,
        else *default* (the home page by default) (SEC-19).
        """
        return safe_return_path(
            candidate, allowed_prefixes=self.return_prefixes, default=default or self.home
        )


@attrs.frozen
class ProviderRedirect:
    """
    Send the browser to a credential provider (login, step-up, logout).

    Only the web front door's own routes return this: a portal's pages
    redirect within the site (:class:`Redirect`).
    """

    url: str = attrs.field(repr=False)
    issued: IssuedSession | None = attrs.field(default=None, repr=False)
    next_path: str | None = None


class RequestTooLarge(Exception):
    """
    A request body over the limit (answered 413); never leaves the web front door.
    """
