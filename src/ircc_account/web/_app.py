"""
:class:`WebApp`: the front door on the web, an ASGI application a portal
mounts (or serves as it is) and adds its own pages to.

Each request goes through the same steps. On the event loop: the edge
checks the body size, reads the cookies and the form. Then, in one call to
the bounded thread pool (an anyio ``CapacityLimiter``): the session is
looked up in the database, sign-in and CSRF are checked, the page's
handler calls the door, and the page is rendered. Back on the loop, the
response goes out with its security headers. Nothing blocking ever runs
on the event loop, and nothing about a browser lives in a worker's memory:
sessions are rows, CSRF tokens are MACs over the session's reference (or,
before any session, over a random cookie), and the language is a cookie
set from the account's preference.
"""

from __future__ import annotations

import functools
import logging
import pathlib
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import anyio
import anyio.to_thread
import attrs
import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from ircc_account import FrontDoor, Randomness, SystemRandomness
from ircc_account.errors import (
    AuthorizationError,
    CsrfRejected,
    IrccAccountError,
    SessionExpired,
    StepUpRequired,
)
from ircc_account.hazmat.jose import b64url_decode, b64url_encode
from ircc_account.identity import (
    CsrfProtector,
    Session,
    StepUpPlan,
    safe_return_path,
    session_cookie,
)

from ._config import Catalogue, WebConfig
from ._edge import STATIC, Edge, SecurityHeaders
from ._errors import status_for
from ._i18n import N_, Languages, negotiate
from ._identity_pages import add_identity_pages
from ._render import Renderer
from ._values import (
    Page,
    PageRequest,
    ProviderRedirect,
    Redirect,
    RequestTooLarge,
    UploadedFile,
)

__all__ = ["Handler", "WebApp"]

_log = logging.getLogger("ircc_account.web")

Handler = Callable[..., "Page | Redirect | ProviderRedirect"]

LANGUAGE_COOKIE = "__Host-ircc_lang"
ANON_COOKIE = "__Host-ircc_csrf"
NEXT_COOKIE = "__Host-ircc_next"
_YEAR = 365 * 24 * 3600
_NEXT_LIFETIME = 15 * 60
#: How recent a login must be when a change asks for a fresh one (seconds).
_FRESH_LOGIN = 60

#: Messages for the statuses the web front door answers itself.
_STATUS_MESSAGES = {
    400: N_("We could not understand what was sent. Please go back and try again."),
    403: N_("You are not allowed to do this."),
    404: N_("We could not find that page."),
    405: N_("That page cannot be used this way."),
    413: N_("What you sent is too large."),
    415: N_("What you sent is not in a form we accept."),
    500: N_("Something went wrong on our side. Please try again later."),
    503: N_("This service is not available right now. Please try again later."),
}

#: The heading of the error page, by status.
_HEADINGS = {
    400: N_("There is a problem with what was sent"),
    401: N_("Your session has ended"),
    403: N_("You cannot do this"),
    404: N_("Page not found"),
    405: N_("Page not found"),
    409: N_("This has changed"),
    410: N_("This has expired"),
    413: N_("What you sent is too large"),
    415: N_("There is a problem with what was sent"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Service unavailable"),
}

#: Clearer words for the policy's refusals (``AuthorizationError.params["reason"]``).
_REFUSALS = {
    "no_grant": N_(
        "You do not have the client's authorization for this, or it has ended or been revoked."
    ),
    "scope": N_("The client's authorization does not cover this."),
    "membership": N_("Your office's authorization does not reach your access group."),
    "licence": N_("Your licence could not be confirmed, so you cannot act for clients."),
    "not_representative": N_("You are not registered as a representative."),
    "assurance": N_("Please sign in again with a stronger sign-in to see this."),
    "not_offered": N_("This action is not available to you now."),
}


@attrs.frozen
class _Spec:
    handler: Handler
    form: bool
    signed_in: bool
    allow_expired: bool = False
    uploads: bool = False


@attrs.frozen(kw_only=True)
class _Incoming:
    """What the event loop read from the request; handed to a worker thread."""

    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str] = attrs.field(repr=False)
    files: Mapping[str, UploadedFile] = attrs.field(factory=dict, repr=False)
    session_cookie: str | None = attrs.field(repr=False)
    anon_cookie: str | None = attrs.field(repr=False)
    language_cookie: str | None
    next_cookie: str | None
    headers: Mapping[str, str]
    client_key: str


@attrs.frozen
class _Outcome:
    """A response, built in a worker thread, sent from the loop."""

    status: int
    body: str = ""
    location: str | None = None
    cookies: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> Response:
        headers = dict(self.headers)
        if self.location is not None:
            headers["Location"] = self.location
        response = Response(
            self.body, status_code=self.status, headers=headers, media_type="text/html"
        )
        for cookie in self.cookies:
            response.headers.append("set-cookie", cookie)
        return response


class WebApp:
    """
    The web front door: an ASGI application over a :class:`~ircc_account.FrontDoor`.

    It serves the identity pages (sign-in, the provider's callback,
    registration, linking a credential, step-up, logout and its return,
    back-channel logout, the language toggle), error pages in the person's
    language, and the portal's own pages, added with :meth:`page` and
    :meth:`form`. Every response carries the security headers; every form
    is CSRF-checked; every blocking call runs in a bounded thread pool.

    Args:
        door: The front door, opened with at least one credential provider.
        config: The web settings.
        templates: The portal's templates, searched before the web front
            door's own (``web/base.html`` and the others can be overridden).
        catalogues: The portal's message catalogues (French), which take
            precedence over the web front door's own.
        static: Extra static folders, as ``(url_prefix, directory)`` pairs.
        randomness: The CSPRNG for CSRF nonces and cookies.

    Raises:
        ConfigurationError: the door has no providers, or a bad setting.
    """

    def __init__(
        self,
        door: FrontDoor,
        config: WebConfig,
        *,
        templates: Sequence[jinja2.BaseLoader | str | pathlib.Path] = (),
        catalogues: Sequence[Catalogue] = (),
        static: Sequence[tuple[str, str | pathlib.Path]] = (),
        randomness: Randomness | None = None,
    ) -> None:
        self.door = door
        self.config = config
        self._providers = {p.config.name: p.config for p in door.identity.providers}
        self._randomness = randomness or SystemRandomness()
        self._csrf = CsrfProtector(config.csrf_key, randomness=self._randomness)
        self.languages = Languages(
            [Catalogue.from_package("ircc_account.web", "web"), *catalogues], config.timezone
        )
        loaders: list[jinja2.BaseLoader] = [
            t if isinstance(t, jinja2.BaseLoader) else jinja2.FileSystemLoader(str(t))
            for t in templates
        ]
        loaders.append(jinja2.PackageLoader("ircc_account.web", "templates"))
        self._upload_routes: list[Route] = []
        self._limiter = anyio.CapacityLimiter(config.threads)
        self._backchannel_limiter = anyio.CapacityLimiter(config.backchannel_threads)
        self.headers = SecurityHeaders(config, (p.issuer for p in self._providers.values()))
        routes: list[BaseRoute] = [
            Mount(
                f"{STATIC}/web",
                app=StaticFiles(packages=[("ircc_account.web", "static")]),
                name="web-static",
            ),
            *(Mount(f"{STATIC}/{prefix}", app=StaticFiles(directory=d)) for prefix, d in static),
        ]
        self._app = Starlette(
            routes=routes,
            middleware=[Middleware(Edge, web=self)],
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
        )
        self.renderer = Renderer(
            self.languages,
            loaders,
            {
                "url": self.url_path,
                "static": lambda path: f"{STATIC}/{path}",
                "provider_label": self._provider_label,
            },
        )
        add_identity_pages(self)

    def __repr__(self) -> str:
        return f"WebApp(origin={self.config.origin!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """
        The ASGI entry point.
        """
        await self._app(scope, receive, send)

    # --- the portal's pages -----------------------------------------------------------

    def page(
        self, path: str, *, name: str | None = None, signed_in: bool = True
    ) -> Callable[[Handler], Handler]:
        """
        Register a ``GET`` page: ``handler(request: PageRequest, **path_params)``
        returns a :class:`Page` or a :class:`Redirect`. It runs in the thread
        pool and may call the door directly.

        Args:
            path: The route, with ``{name}`` parameters.
            name: The route's name, for ``url(name, ...)`` in templates.
            signed_in: Only for a signed-in person: others go to sign-in,
                and an ended session gets the "session ended" page (401).
        """

        def register(handler: Handler) -> Handler:
            self._add(path, name or handler.__name__, _Spec(handler, False, signed_in), ["GET"])
            return handler

        return register

    def form(
        self,
        path: str,
        *,
        name: str | None = None,
        signed_in: bool = True,
        allow_expired: bool = False,
        uploads: bool = False,
    ) -> Callable[[Handler], Handler]:
        """
        Register a ``POST`` form target; its handler runs only once the
        CSRF checks passed (``Origin``, ``Sec-Fetch-Site`` and the
        ``csrf_token`` field, SEC-41). ``GET`` on it is answered 405.

        Args:
            path: The route, with ``{name}`` parameters.
            name: The route's name.
            signed_in: As for :meth:`page`.
            allow_expired: Run even when the session just ended (logout), with
                no CSRF check since the session is gone; the handler sees no
                session and must change nothing on the server.
            uploads: Take ``multipart/form-data`` too, with at most one file
                of at most ``config.max_upload`` bytes (``request.files``);
                its body may be up to ``max_body + max_upload`` bytes.
        """

        def register(handler: Handler) -> Handler:
            spec = _Spec(handler, True, signed_in, allow_expired, uploads)
            self._add(path, name or handler.__name__, spec, ["POST"])
            return handler

        return register

    def route(self, route: BaseRoute) -> None:
        """
        Add a raw Starlette route (it gets the security headers and body
        limit, nothing else: call the door off the loop yourself).
        """
        self._app.router.routes.append(route)

    @property
    def routes(self) -> list[BaseRoute]:
        """
        Every route served: the identity pages, the portal's pages and forms, static files.
        """
        return list(self._app.routes)

    def url_path(self, name: str, **params: str) -> str:
        """
        The path of the route *name* with *params*.
        """
        return str(self._app.url_path_for(name, **params))

    async def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        """
        Run the blocking *fn* in the bounded thread pool: how an ``async``
        route calls the door.
        """
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def run_backchannel(self, fn: Callable[..., Any], *args: Any) -> Any:
        """
        Run *fn* in the back-channel logout's own pool.
        """
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._backchannel_limiter)

    def body_limit(self, scope: Scope) -> int:
        """
        The largest body the request in *scope* may send: ``max_body``, or
        ``max_body + max_upload`` for a form registered with ``uploads=True``.
        """
        for route in self._upload_routes:
            if route.matches(scope)[0] is Match.FULL:
                return self.config.max_body + self.config.max_upload
        return self.config.max_body

    def _add(self, path: str, name: str, spec: _Spec, methods: list[str]) -> None:
        route = Route(path, self._endpoint(spec), methods=methods, name=name)
        if spec.uploads:
            self._upload_routes.append(route)
        self._app.router.routes.append(route)

    def _endpoint(self, spec: _Spec) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                incoming = await self.read(request, form=spec.form, uploads=spec.uploads)
            except RequestTooLarge:
                return await self.error_response(request, 413)
            except HTTPException as e:
                return await self.error_response(request, e.status_code)
            outcome: _Outcome = await self.run_sync(self._serve, spec, incoming)
            return outcome.response()

        return endpoint

    # --- reading the request (on the loop) ------------------------------------------

    async def read(self, request: Request, *, form: bool, uploads: bool = False) -> _Incoming:
        """
        The request's cookies, query and (bounded) form, read on the event loop.

        Raises:
            HTTPException: a malformed query or form (400), a body that is
                not a form (415).
            RequestTooLarge: the body is over the limit.
        """
        cookies = request.cookies
        query = _single(request.query_params.multi_items())
        fields: Mapping[str, str] = {}
        files: Mapping[str, UploadedFile] = {}
        if form:
            media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if uploads and media == "multipart/form-data":
                fields, files = await self._read_multipart(request)
                media = ""
            body = b"" if media == "" else await self.read_body(request)
            if media not in ("", "application/x-www-form-urlencoded"):
                raise HTTPException(415)
            try:
                text = body.decode("utf-8")
                pairs = urllib.parse.parse_qsl(
                    text,
                    keep_blank_values=True,
                    strict_parsing=False,
                    max_num_fields=self.config.max_fields,
                )
            except (UnicodeDecodeError, ValueError):
                raise HTTPException(400) from None
            if media:
                fields = _single(pairs)
        headers = {
            k: request.headers[k]
            for k in ("origin", "sec-fetch-site", "accept-language")
            if k in request.headers
        }
        return _Incoming(
            method=request.method,
            path=request.url.path,
            params={k: str(v) for k, v in request.path_params.items()},
            query=query,
            form=fields,
            files=files,
            session_cookie=cookies.get(self.door.identity.policy.cookie_name),
            anon_cookie=cookies.get(ANON_COOKIE),
            language_cookie=cookies.get(LANGUAGE_COOKIE),
            next_cookie=cookies.get(NEXT_COOKIE),
            headers=headers,
            client_key=request.client.host if request.client else "unknown",
        )

    async def _read_multipart(
        self, request: Request
    ) -> tuple[Mapping[str, str], Mapping[str, UploadedFile]]:
        """
        An upload form's fields and its one file, the body bounded first
        (``max_body + max_upload``), then parsed from memory.

        Raises:
            HTTPException: malformed, more than one file, too many fields (400).
            RequestTooLarge: the body or the file is over its limit.
        """
        body = await self.read_body(request, limit=self.config.max_body + self.config.max_upload)

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            parsed = await Request(request.scope, replay).form(
                max_files=1,
                max_fields=self.config.max_fields,
                max_part_size=self.config.max_body,
            )
        except Exception:  # Starlette's 400, or python-multipart's own parse errors
            raise HTTPException(400) from None
        try:
            fields: dict[str, str] = {}
            files: dict[str, UploadedFile] = {}
            for key, value in parsed.multi_items():
                if key in fields or key in files:
                    raise HTTPException(400)
                if isinstance(value, str):
                    fields[key] = value
                    continue
                data = await value.read()
                if len(data) > self.config.max_upload:
                    raise RequestTooLarge()
                if data or value.filename:
                    files[key] = UploadedFile(filename=value.filename or "", data=data)
            return fields, files
        finally:
            await parsed.close()

    async def read_body(self, request: Request, *, limit: int | None = None) -> bytes:
        """
        The request body, refused beyond *limit* (``config.max_body``) bytes.

        Raises:
            RequestTooLarge: it is larger.
        """
        limit = self.config.max_body if limit is None else limit
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    # --- serving (in a worker thread) ---------------------------------------------------

    def _serve(self, spec: _Spec, incoming: _Incoming) -> _Outcome:
        language = negotiate(
            incoming.language_cookie,
            incoming.headers.get("accept-language"),
            self.config.default_language,
        )
        cookies: list[str] = []
        session, expired = self._session(incoming.session_cookie)
        if expired:
            cookies.append(session_cookie("", name=self._cookie_name(), max_age=0))
        binding = self._binding(session, incoming.anon_cookie, cookies)
        request = PageRequest(
            door=self.door,
            method=incoming.method,
            path=incoming.path,
            params=incoming.params,
            query=incoming.query,
            form=incoming.form,
            files=incoming.files,
            language=language,
            session=session,
            cookie=None if expired else incoming.session_cookie,
            client_key=incoming.client_key,
            correlation_id=self._correlation(),
            csrf_token=self._csrf.token_for(binding),
            home=self.config.home,
            return_prefixes=self.config.return_prefixes,
            return_to=self.next_from_cookie(incoming.next_cookie),
        )
        try:
            try:
                result = self._run(spec, request, incoming, binding, expired)
            except IrccAccountError as error:
                result = self._error_page(request, error)
            return self._finish(request, incoming, result, cookies)
        except Exception as error:
            self._log_crash(error, request.correlation_id)
            return self._finish(request, incoming, self._status_page(request, 500), cookies)

    def _run(
        self,
        spec: _Spec,
        request: PageRequest,
        incoming: _Incoming,
        binding: str,
        expired: bool,
    ) -> Page | Redirect | ProviderRedirect:
        if spec.form and expired:
            if spec.allow_expired:
                return spec.handler(request, **incoming.params)
            # Mid-journey expiry: a clear page, nothing changed (the form's
            # token belonged to the session that ended).
            raise SessionExpired()
        if spec.signed_in and not request.signed_in:
            if expired or spec.form:
                raise SessionExpired()
            target = urllib.parse.urlencode({"next": incoming.path})
            return Redirect(f"{self.url_path('login')}?{target}")
        if spec.form:
            self._csrf.check_request(
                "POST",
                incoming.headers,
                allowed_origins=[self.config.origin],
                session_ref=binding,
                form_token=incoming.form.get("csrf_token"),
            )
        return spec.handler(request, **incoming.params)

    def _session(self, cookie: str | None) -> tuple[Session | None, bool]:
        """
        The live session for *cookie* (from the database), and whether a
        cookie was sent whose session has ended.
        """
        if cookie is None:
            return None, False
        try:
            return self.door.identity.get_session(cookie), False
        except SessionExpired:
            return None, True

    def _binding(self, session: Session | None, anon: str | None, cookies: list[str]) -> str:
        """
        What this browser's CSRF tokens are bound to: its session's
        reference, or before any session a random cookie of its own
        (a signed double-submit cookie: the token is a MAC over it).
        """
        if session is not None:
            return "session." + session.ref
        if anon is None or not (40 <= len(anon) <= 64 and anon.isascii()):
            anon = b64url_encode(self._randomness.token_bytes(32))
            cookies.append(session_cookie(anon, name=ANON_COOKIE))
        return "anon." + anon

    def _finish(
        self,
        request: PageRequest,
        incoming: _Incoming,
        result: Page | Redirect | ProviderRedirect,
        cookies: list[str],
    ) -> _Outcome:
        if isinstance(result, Page):
            return _Outcome(
                status=result.status,
                body=self.render(request, result.template, result.context),
                cookies=tuple(cookies),
            )
        if isinstance(result, ProviderRedirect):
            if result.issued is not None:
                cookies.append(result.issued.set_cookie())
            if result.next_path is not None:
                value = b64url_encode(result.next_path.encode("ascii"))
                cookies.append(session_cookie(value, name=NEXT_COOKIE, max_age=_NEXT_LIFETIME))
            return _Outcome(status=303, location=result.url, cookies=tuple(cookies))
        location = safe_return_path(
            result.location, allowed_prefixes=["/"], default=self.config.home
        )
        if result.issued is not None:
            cookies.append(result.issued.set_cookie())
        if result.language is not None:
            cookies.append(session_cookie(result.language, name=LANGUAGE_COOKIE, max_age=_YEAR))
        if incoming.next_cookie is not None:
            # The return path kept across a provider round trip is used once.
            cookies.append(session_cookie("", name=NEXT_COOKIE, max_age=0))
        return _Outcome(status=303, location=location, cookies=tuple(cookies))

    def render(self, request: PageRequest, template: str, context: Mapping[str, Any]) -> str:
        """
        Render *template* for *request*, with what every page gets.
        """
        values: dict[str, Any] = {
            "request": request,
            "csrf_token": request.csrf_token,
            "signed_in": request.signed_in,
            "acting": request.acting,
            # A read, so only for the templates that ask (a navigation bar).
            "represents": functools.cache(request.represents),
            "home": self.config.home,
            "correlation_id": request.correlation_id,
            "current_path": request.path,
        }
        values.update(context)
        return self.renderer.render(request.language, template, values)

    # --- errors -----------------------------------------------------------------------

    def _error_page(self, request: PageRequest, error: IrccAccountError) -> Page:
        if isinstance(error, StepUpRequired):
            return self._step_up_page(request, error)
        if (
            isinstance(error, AuthorizationError)
            and error.params.get("reason") == "assurance"
            and isinstance(error.params.get("level"), int)
        ):
            # Refused only for a weak sign-in (the person holds what the page
            # needs): offer the stronger sign-in rather than a dead end.
            return self._stronger_page(request, int(error.params["level"]))
        status = status_for(error)
        if status >= 500:
            _log.warning(
                "request %s failed: %s", request.correlation_id, error.code
            )  # the code only: never a message with parameters
        message = error.message(request.language)
        if isinstance(error, AuthorizationError):
            reason = str(error.params.get("reason", ""))
            if reason in _REFUSALS:
                message = self.languages.gettext(request.language, _REFUSALS[reason])
        return self._error(
            request,
            status,
            message,
            expired=isinstance(error, SessionExpired),
            csrf=isinstance(error, CsrfRejected),
        )

    def _step_up_page(self, request: PageRequest, error: StepUpRequired) -> Page:
        """
        "Please sign in again": the plan the error carries (a service's
        assurance level), or else a fresh login at the session's own level
        (a change that needs one, SEC-40).
        """
        if "level" in error.params and "provider" in error.params:
            plan = StepUpPlan.from_error(error)
            level, max_age = int(plan.level), plan.max_age
        else:
            # A fresh login (SEC-40): the level and age the error names, at
            # the session's own provider.
            session = request.session
            fallback = int(session.assurance) if session is not None else 2
            level = int(error.params.get("level", fallback))
            max_age = int(error.params.get("max_age", _FRESH_LOGIN))
        back = request.form.get("next") if request.method == "POST" else request.path
        return Page(
            "web/step_up.html",
            {"level": level, "max_age": max_age, "next": request.next_path(back)},
            status=401,
        )

    def _stronger_page(self, request: PageRequest, level: int) -> Page:
        back = request.form.get("next") if request.method == "POST" else request.path
        return Page(
            "web/step_up.html",
            {"level": level, "max_age": None, "next": request.next_path(back), "stronger": True},
            status=401,
        )

    def _status_page(self, request: PageRequest, status: int) -> Page:
        message = self.languages.gettext(request.language, _STATUS_MESSAGES[status])
        return self._error(request, status, message)

    def _error(
        self,
        request: PageRequest,
        status: int,
        message: str,
        *,
        expired: bool = False,
        csrf: bool = False,
    ) -> Page:
        heading = _HEADINGS.get(status, _HEADINGS[500 if status >= 500 else 400])
        # Where "sign in again" leads: this page, or for a form the page it was on.
        again = request.form.get("next") if request.method == "POST" else request.path
        return Page(
            "web/error.html",
            {
                "status": status,
                "heading": self.languages.gettext(request.language, heading),
                "message": message,
                "expired": expired,
                "csrf": csrf,
                "again": request.next_path(again),
            },
            status=status,
        )

    async def error_response(
        self, request: Request, status: int, headers: Mapping[str, str] | None = None
    ) -> Response:
        """
        The error page for *status* (404, 405, 413, ...), in the person's language.
        """
        try:
            incoming = await self.read(request, form=False)
        except HTTPException:
            incoming = _Incoming(
                method=request.method,
                path=request.url.path,
                params={},
                query={},
                form={},
                session_cookie=None,
                anon_cookie=None,
                language_cookie=request.cookies.get(LANGUAGE_COOKIE),
                next_cookie=None,
                headers={},
                client_key="unknown",
            )
        spec = _Spec(_StatusPage(self, status), form=False, signed_in=False)
        outcome: _Outcome = await self.run_sync(self._serve, spec, incoming)
        response = outcome.response()
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        extra = exc.headers if isinstance(exc, HTTPException) else None
        if status not in _STATUS_MESSAGES:
            status = 400 if 400 <= status < 500 else 500
        return await self.error_response(request, status, extra)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        self._log_crash(exc, "-")
        return await self.error_response(request, 500)

    def _log_crash(self, error: BaseException, correlation_id: str) -> None:
        # Never the exception's message or a traceback: either could quote
        # SQL parameters, tokens or personal data (SEC-68). The type and
        # where it happened are safe, and enough to start looking.
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{pathlib.Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        _log.error("request %s failed: %s at %s", correlation_id, type(error).__name__, where)

    # --- helpers ---------------------------------------------------------------------------

    def _cookie_name(self) -> str:
        return self.door.identity.policy.cookie_name

    def _correlation(self) -> str:
        return "req-" + self._randomness.token_bytes(12).hex()

    def _provider_label(self, name: str, language: str) -> str:
        label = self.config.provider_labels.get(name)
        return name if label is None else self.languages.gettext(language, label)

    def provider_names(self) -> list[str]:
        """
        The configured credential providers, by name.
        """
        return list(self._providers)

    def next_from_cookie(self, value: str | None) -> str | None:
        """
        The return path kept across a provider round trip, if any (checked again).
        """
        if not value:
            return None
        try:
            path = b64url_decode(value, CsrfRejected, "next").decode("ascii")
        except (IrccAccountError, UnicodeDecodeError):
            return None
        return safe_return_path(
            path, allowed_prefixes=self.config.return_prefixes, default=self.config.home
        )


@attrs.frozen
class _StatusPage:
    web: WebApp
    status: int

    def __call__(self, request: PageRequest, **_params: str) -> Page:
        return self.web._status_page(request, self.status)


def _single(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """
    The fields, each at most once: a repeated field is a tampered form (400).
    """
    found: dict[str, str] = {}
    for key, value in pairs:
        if key in found:
            raise HTTPException(400)
        found[key] = value
    return found
