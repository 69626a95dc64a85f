"""
The outermost layer of the web front door: the security headers on every
response, and bodies over the limit refused before anyone reads them.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ircc_account.identity import security_headers

from ._config import WebConfig

__all__ = ["Edge", "SecurityHeaders"]

STATIC = "/static"


class _ErrorPages(Protocol):
    """What the edge needs of the web front door (``WebApp``)."""

    config: WebConfig
    headers: SecurityHeaders

    def body_limit(self, scope: Scope) -> int:
        """The largest body the request in *scope* may send."""
        ...

    async def error_response(
        self, request: Request, status: int, headers: Mapping[str, str] | None = None
    ) -> Response:
        """The error page for *status*."""
        ...


class SecurityHeaders:
    """
    The headers every response carries (SEC-18, SEC-42): a CSP with no
    script and no inline style whose ``form-action`` names the providers
    (a sign-in form's answer redirects there, and browsers check it), HSTS,
    ``nosniff``, ``no-referrer``, ``frame-ancestors 'none'`` and
    ``no-store`` everywhere but the static files.

    Args:
        config: The web settings.
        issuers: The providers' issuer URLs.
    """

    def __init__(self, config: WebConfig, issuers: Iterable[str]) -> None:
        origins = set(config.form_action_origins)
        for issuer in issuers:
            parts = urllib.parse.urlsplit(issuer)
            origins.add(f"{parts.scheme}://{parts.netloc}")
        form_action = " ".join(["'self'", *sorted(origins)])
        headers = security_headers(sensitive=True)
        headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; "
            f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
        )
        headers["X-Frame-Options"] = "DENY"
        if not config.hsts:
            headers.pop("Strict-Transport-Security")
        self._headers = headers
        self.names = frozenset(name.lower().encode("latin-1") for name in headers)

    def __repr__(self) -> str:
        return f"SecurityHeaders({sorted(self._headers)!r})"

    def for_path(self, path: str) -> Iterator[tuple[str, str]]:
        """
        The headers for a response to *path* (static files may be cached).
        """
        for name, value in self._headers.items():
            if name == "Cache-Control" and path.startswith(STATIC + "/"):
                yield name, "public, max-age=3600"
            else:
                yield name, value


class Edge:
    """
    ASGI middleware: refuses bodies over the limit (``max_body``, or
    ``max_body + max_upload`` for an upload form) by their
    ``Content-Length`` (413, before anyone reads them) and puts the
    security headers on every response, error pages and static files
    included, replacing any a route set.
    """

    def __init__(self, app: ASGIApp, web: _ErrorPages) -> None:
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = self.web.headers

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in headers.names
                ]
                kept.extend(
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in headers.for_path(path)
                )
                message = {**message, "headers": kept}
            await send(message)

        length = _content_length(scope)
        if length is not None and length > self.web.body_limit(scope):
            response = await self.web.error_response(Request(scope), 413)
            await response(scope, receive, secured)
            return
        await self.app(scope, receive, secured)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
