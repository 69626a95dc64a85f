"""
The identity pages: sign-in and the provider's callback, registration,
linking a credential, step-up, logout and its return, back-channel logout,
and the language toggle. Each is a handler like a portal's own pages.
"""

from __future__ import annotations

import functools
import urllib.parse
from typing import TYPE_CHECKING, Any, Literal, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ircc_account import ContactDetails, FrontDoor, Language, PersonalDetails
from ircc_account.errors import (
    NotFound,
    OutOfRange,
    SessionExpired,
    UnknownValue,
    ValidationError,
)
from ircc_account.identity import LoginOutcome, Session

from ._config import WebConfig
from ._i18n import N_, parse_language
from ._values import Page, PageRequest, ProviderRedirect, Redirect, RequestTooLarge

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from starlette.routing import BaseRoute

__all__ = ["account_language", "add_identity_pages", "save_language"]

#: What to say about each registration field that does not validate.
FIELD_ERRORS = {
    "given_names": N_("Enter your given names, up to 100 characters, or leave them empty."),
    "family_name": N_("Enter your family name, up to 100 characters."),
    "date_of_birth": N_("Enter your date of birth as year, month and day, such as 1990-04-27."),
    "email": N_("Enter an email address, such as name@example.com."),
    "preferred_language": N_("Choose English or French."),
}
_FIELDS = tuple(FIELD_ERRORS)
_SAMPLE_BIRTH = "1990-01-01"


class _Site(Protocol):
    """What the identity pages need of the web front door (``WebApp``)."""

    door: FrontDoor
    config: WebConfig

    def page(
        self, path: str, *, name: str | None = ..., signed_in: bool = ...
    ) -> Callable[..., Any]:
        """Register a page."""
        ...

    def form(
        self, path: str, *, name: str | None = ..., signed_in: bool = ..., allow_expired: bool = ...
    ) -> Callable[..., Any]:
        """Register a form target."""
        ...

    def route(self, route: BaseRoute) -> None:
        """Add a raw route."""
        ...

    def url_path(self, name: str, **params: str) -> str:
        """The path of a route."""
        ...

    def provider_names(self) -> list[str]:
        """The providers."""
        ...

    async def read_body(self, request: Request) -> bytes:
        """The bounded body."""
        ...

    async def run_backchannel(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run in the back-channel pool."""
        ...


def account_language(door: FrontDoor, session: Session) -> Literal["en", "fr"] | None:
    """
    The preferred language of the signed-in person's own account.
    """
    value = door.preferred_language(door.actor(session, own=True))
    return None if value is None else parse_language(value.value)


def save_language(door: FrontDoor, session: Session, language: Literal["en", "fr"]) -> None:
    """
    Remember *language* as the signed-in person's own preference (recorded).
    """
    door.set_preferred_language(door.actor(session, own=True), language)


def _new_credential(session: Session | None) -> bool:
    return session is not None and session.pending is not None and not session.authenticated


def _check(field: str, value: str) -> None:
    if field == "given_names":
        PersonalDetails(family_name="x", given_names=value or None, date_of_birth=_SAMPLE_BIRTH)
    elif field == "family_name":
        PersonalDetails(family_name=value, date_of_birth=_SAMPLE_BIRTH)
    elif field == "date_of_birth":
        PersonalDetails(family_name="x", date_of_birth=value)
    elif field == "email":
        ContactDetails(email=value)
    else:
        Language(value)


def _field_errors(values: Mapping[str, str]) -> dict[str, str]:
    """
    Each field checked on its own, so every mistake is shown at once.
    """
    errors = {}
    for field in _FIELDS:
        try:
            _check(field, values[field])
        except (ValidationError, ValueError):
            errors[field] = FIELD_ERRORS[field]
    return errors


def _level(value: str | None) -> int:
    if value is None or not value.isdigit() or not 1 <= int(value) <= 4:
        raise OutOfRange(field="level")
    return int(value)


def _max_age(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) > 86_400:
        raise OutOfRange(field="max_age")
    return int(value)


def add_identity_pages(web: _Site) -> None:
    """
    Register the identity pages on *web*.
    """
    door = web.door
    config = web.config

    @web.page("/login", name="login", signed_in=False)
    def login(req: PageRequest) -> Page | Redirect:
        if req.signed_in:
            return Redirect(req.next_path(req.query.get("next")))
        context = {"providers": web.provider_names(), "next": req.next_path(req.query.get("next"))}
        return Page("web/login.html", context)

    @web.form("/login/{provider}", name="login_start", signed_in=False)
    def login_start(req: PageRequest, provider: str) -> ProviderRedirect:
        if provider not in web.provider_names():
            raise NotFound(kind="provider")
        redirect = door.identity.start_login(
            req.cookie,
            provider,
            client_key=req.client_key,
            login_hint=req.form.get("login_hint") or None,
            ui_locales=(f"{req.language}-CA", req.language),
        )
        return ProviderRedirect(redirect.url, redirect.issued, req.next_path(req.form.get("next")))

    @web.page("/login/callback", name="callback", signed_in=False)
    def callback(req: PageRequest) -> Redirect:
        query = urllib.parse.urlencode(req.query)
        result = door.identity.complete_login(req.cookie, query, client_key=req.client_key)
        issued = result.issued
        if result.outcome is LoginOutcome.NEW_CREDENTIAL:
            target = "link" if issued.session.account_id is not None else "register"
            return Redirect(web.url_path(target), issued=issued)
        signed_in = issued.session.authenticated
        language = account_language(door, issued.session) if signed_in else None
        return Redirect(req.return_to or req.home, issued=issued, language=language)

    @web.page("/register", name="register", signed_in=False)
    def register(req: PageRequest) -> Page | Redirect:
        if not _new_credential(req.session):
            return Redirect(web.url_path("login"))
        values = dict.fromkeys(_FIELDS, "")
        values["preferred_language"] = req.language
        return Page("web/register.html", {"values": values, "errors": {}})

    @web.form("/register", name="register_submit", signed_in=False)
    def register_submit(req: PageRequest) -> Page | Redirect:
        if not _new_credential(req.session):
            raise SessionExpired()
        values = {field: req.form.get(field, "").strip() for field in _FIELDS}
        errors = _field_errors(values)
        if errors:
            return Page("web/register.html", {"values": values, "errors": errors}, status=400)
        language = Language(values["preferred_language"])
        _, issued = door.identity.register_account(
            req.cookie,
            personal=PersonalDetails(
                family_name=values["family_name"],
                given_names=values["given_names"] or None,
                date_of_birth=values["date_of_birth"],
            ),
            contact=ContactDetails(email=values["email"]),
            preferred_language=language,
        )
        return Redirect(req.home, issued=issued, language=parse_language(language.value))

    @web.page("/link", name="link")
    def link(req: PageRequest) -> Page | Redirect:
        assert req.session is not None
        if req.session.pending is None:
            return Redirect(req.home)
        return Page("web/link.html", {"provider": req.session.pending.provider})

    @web.form("/link", name="link_submit")
    def link_submit(req: PageRequest) -> Redirect:
        _, issued = door.identity.link_credential(req.cookie)
        return Redirect(req.home, issued=issued)

    @web.page("/step-up", name="step_up")
    def step_up(req: PageRequest) -> Page:
        context = {
            "level": _level(req.query.get("level")),
            "max_age": _max_age(req.query.get("max_age")),
            "next": req.next_path(req.query.get("next")),
        }
        return Page("web/step_up.html", context)

    @web.form("/step-up", name="step_up_submit")
    def step_up_submit(req: PageRequest) -> ProviderRedirect:
        redirect = door.step_up(
            req.cookie,
            client_key=req.client_key,
            level=_level(req.form.get("level")),
            max_age=_max_age(req.form.get("max_age")),
        )
        return ProviderRedirect(redirect.url, redirect.issued, req.next_path(req.form.get("next")))

    @web.form("/logout", name="logout", signed_in=False, allow_expired=True)
    def logout(req: PageRequest) -> Redirect | ProviderRedirect:
        if req.session is None:
            # Nobody to sign out (the session had already ended).
            return Redirect(config.signed_out_path)
        out = door.identity.logout(req.cookie)
        if out.url is None:
            return Redirect(config.signed_out_path, issued=out.issued)
        return ProviderRedirect(out.url, out.issued)

    @web.page("/logout/return", name="logout_return", signed_in=False)
    def logout_return(req: PageRequest) -> Redirect:
        door.identity.complete_logout(req.cookie, urllib.parse.urlencode(req.query))
        return Redirect(config.signed_out_path)

    @web.page(config.signed_out_path, name="signed_out", signed_in=False)
    def signed_out(req: PageRequest) -> Page:
        return Page("web/signed_out.html")

    @web.form("/language", name="language", signed_in=False)
    def language(req: PageRequest) -> Redirect:
        chosen = parse_language(req.form.get("lang"))
        if chosen is None:
            raise UnknownValue(field="language")
        if req.signed_in and req.session is not None and req.session.authenticated:
            save_language(door, req.session, chosen)
        return Redirect(req.next_path(req.form.get("next")), language=chosen)

    async def backchannel_logout(request: Request) -> Response:
        # BCL 1.0 §2.5: a form POST from the provider, no cookie, no CSRF
        # token. The door is called in a pool of its own, off the loop: a
        # provider that waits for this answer inside its own logout must
        # never wait behind our page requests (or block the loop).
        try:
            body = await web.read_body(request)
        except RequestTooLarge:
            return Response(status_code=413, headers={"Cache-Control": "no-store"})
        handle = functools.partial(
            door.identity.handle_backchannel_logout,
            method=request.method,
            client_key=request.client.host if request.client else None,
        )
        status, headers = await web.run_backchannel(
            handle, body, request.headers.get("content-type", "")
        )
        return Response(status_code=status, headers=dict(headers))

    web.route(
        Route(
            "/backchannel-logout", backchannel_logout, methods=["POST"], name="backchannel_logout"
        )
    )
