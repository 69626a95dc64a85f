"""
The Starlette adapter: HTTP in, :class:`~._server.Request` to the provider, response out.

authlib has no Starlette server integration; this is the thin one it would
have, kept here so the protocol code stays framework-free.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ircc_account.devidp._keys import SigningKeys
from ircc_account.devidp._server import HttpResult, Request

__all__ = ["Endpoints", "build_app"]

Endpoint = Callable[[Request], HttpResult]


class Endpoints(Protocol):
    """
    What the adapter serves: the provider's endpoints (``DevelopmentProvider``
    fits; naming it here would make the two modules import each other).
    """

    @property
    def keys(self) -> SigningKeys:
        """The signing keys, whose public half is the JWKS."""
        ...

    def discovery(self) -> dict[str, Any]:
        """The discovery document."""
        ...

    def authorize(self, request: Request) -> HttpResult:
        """The authorization endpoint."""
        ...

    def pushed_authorization_request(self, request: Request) -> HttpResult:
        """The PAR endpoint."""
        ...

    def token(self, request: Request) -> HttpResult:
        """The token endpoint."""
        ...

    def userinfo(self, request: Request) -> HttpResult:
        """The UserInfo endpoint."""
        ...

    def revoke(self, request: Request) -> HttpResult:
        """The revocation endpoint."""
        ...

    def logout(self, request: Request) -> HttpResult:
        """The end-session endpoint."""
        ...


async def _adapt(request: StarletteRequest) -> Request:
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        async with request.form() as data:
            form = [(k, v) for k, v in data.multi_items() if isinstance(v, str)]
    return Request(
        request.method,
        str(request.url),
        dict(request.headers),
        query=list(request.query_params.multi_items()),
        form=form,
    )


def _respond(result: HttpResult) -> Response:
    headers = dict(result.headers)
    if isinstance(result.body, dict | list):
        return JSONResponse(result.body, status_code=result.status, headers=headers)
    media = headers.pop("Content-Type", None)
    return Response(
        result.body or b"", status_code=result.status, headers=headers, media_type=media
    )


def _route(endpoint: Endpoint) -> Callable[[StarletteRequest], Awaitable[Response]]:
    async def handle(request: StarletteRequest) -> Response:
        adapted = await _adapt(request)
        # authlib is synchronous, and logout POSTs to other servers: keep it
        # off the event loop.
        result = await run_in_threadpool(endpoint, adapted)
        return _respond(result)

    return handle


def build_app(provider: Endpoints) -> Starlette:
    """
    The provider's ASGI application.

    Args:
        provider: The development provider to serve.
    """

    async def discovery(_: StarletteRequest) -> Response:
        return JSONResponse(provider.discovery())

    async def jwks(_: StarletteRequest) -> Response:
        return JSONResponse(provider.keys.public_jwks())

    both = ["GET", "POST"]
    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/jwks", jwks, methods=["GET"]),
            Route("/authorize", _route(provider.authorize), methods=both),
            Route("/par", _route(provider.pushed_authorization_request), methods=["POST"]),
            Route("/token", _route(provider.token), methods=["POST"]),
            Route("/userinfo", _route(provider.userinfo), methods=both),
            Route("/revoke", _route(provider.revoke), methods=["POST"]),
            Route("/logout", _route(provider.logout), methods=both),
        ]
    )
