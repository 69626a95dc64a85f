"""
Token introspection on the web (RFC 7662): the endpoint a wrapped legacy
system calls to learn whether a delegation token still stands, answered by
:meth:`~ircc_account.delegation.DelegationTokenIssuer.introspect` from the
current state of the token's grant.

The caller authenticates with HTTP Basic (RFC 7617), as a client does at a
token endpoint (RFC 6749 §2.3.1): its user name is its own audience value,
its password a secret the portal gave it. The audience a token is checked
against comes from that authentication, never from the request, so a legacy
system learns nothing about another system's tokens (RFC 7662 §4).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ircc_account.delegation import DelegationTokenIssuer
from ircc_account.errors import ConfigurationError

from ._app import WebApp
from ._values import RequestTooLarge

__all__ = ["add_token_introspection"]

_log = logging.getLogger("ircc_account.web")

#: A caller's name and secret: characters that form-urlencoding leaves as they
#: are (RFC 6749 §2.3.1 encodes both before Basic), so encoded or not they
#: read the same; no ``:`` (RFC 7617 §2).
_NAME = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_SECRET = re.compile(r"[A-Za-z0-9._~-]{32,256}")
_FORM = "application/x-www-form-urlencoded"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="token-introspection", charset="UTF-8"'}


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("ascii")).digest()


def _json(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    # Cache-Control: no-store and the other security headers are set by the
    # edge on every response (RFC 7662 §4 asks that answers not be cached).
    return Response(
        json.dumps(body, separators=(",", ":"), sort_keys=True),
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})},
        media_type="application/json",
    )


class _Callers:
    """The legacy systems allowed to introspect: audience -> digest of its secret."""

    def __init__(self, callers: Mapping[str, str]) -> None:
        if not isinstance(callers, Mapping) or not callers:
            raise ConfigurationError(reason="token introspection needs at least one caller")
        self._digests: dict[str, bytes] = {}
        for name, secret in callers.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise ConfigurationError(
                    reason="an introspection caller's audience is 1 to 128 of A-Z a-z 0-9 . _ ~ -"
                )
            if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
                raise ConfigurationError(
                    reason="an introspection caller's secret is 32 to 256 of A-Z a-z 0-9 . _ ~ -"
                )
            self._digests[name] = _digest(secret)
        # Compared against when the name is unknown, so every refusal costs the same.
        self._nobody = _digest("-" * 32)

    def __repr__(self) -> str:
        return f"_Callers({sorted(self._digests)!r})"

    def audience(self, authorization: str | None) -> str | None:
        """The authenticated caller's audience, or None."""
        if authorization is None:
            return None
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != "basic" or len(encoded) > 1024:
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            return None
        name, colon, secret = decoded.partition(":")
        if not colon or not _NAME.fullmatch(name) or not _SECRET.fullmatch(secret):
            return None
        expected = self._digests.get(name)
        good = hmac.compare_digest(_digest(secret), expected or self._nobody)
        return name if good and expected is not None else None


def _token(body: bytes, content_type: str) -> str | None:
    # RFC 7662 §2.1: a form POST with one "token" (and perhaps a
    # "token_type_hint", which a server may ignore).
    if content_type.split(";")[0].strip().lower() != _FORM:
        return None
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(body)
        )
    except (UnicodeDecodeError, ValueError):
        return None
    tokens = [v for k, v in pairs if k == "token"]
    if len(tokens) != 1 or not tokens[0] or len(pairs) > 8:
        return None
    return tokens[0]


def add_token_introspection(
    web: WebApp,
    issuer: DelegationTokenIssuer,
    *,
    callers: Mapping[str, str],
    path: str = "/delegation/introspect",
) -> None:
    """
    Serve RFC 7662 token introspection of delegation tokens at *path*
    (``POST``), for the legacy systems in *callers*.

    A caller sends ``Authorization: Basic base64(audience:secret)`` and the
    form ``token=<the delegation token>``. The answer is JSON with
    ``Cache-Control: no-store``: ``{"active": false}`` alone for a token
    that is not active (expired, forged, revoked grant, another system's);
    otherwise ``active: true`` and the token's claims
    (:meth:`~ircc_account.delegation.DelegationTokenIssuer.introspect`).
    A missing or wrong caller gets 401 with ``WWW-Authenticate: Basic``
    and ``{"error": "invalid_client"}``; a request that is not one form
    with one ``token`` gets 400 and ``{"error": "invalid_request"}``; a
    body over ``config.max_body`` bytes 413. Introspection reads the
    database in the pages' thread pool and records nothing; nothing about
    the token or the secret is logged.

    Args:
        web: The web front door; its door's store is read.
        issuer: The issuer that minted the tokens (over the door's policy,
            ``door.policy``).
        callers: Each legacy system allowed to ask: its audience value
            (the ``aud`` its tokens carry, and its Basic user name) and its
            secret, 32 to 256 characters of ``A-Z a-z 0-9 . _ ~ -`` from
            the secret store (``secrets.token_urlsafe(32)`` makes one).
        path: Where to serve it.

    Raises:
        ConfigurationError: no callers, or a name or secret of the wrong form.
    """
    known = _Callers(callers)
    store = web.door.store

    def introspect(token: str, audience: str) -> dict[str, Any]:
        with store.unit_of_work(write=False) as uow:
            return issuer.introspect(token, audience=audience, uow=uow)

    async def endpoint(request: Request) -> Response:
        audience = known.audience(request.headers.get("authorization"))
        if audience is None:
            _log.warning("token introspection: a caller was refused (no or wrong credentials)")
            return _json(401, {"error": "invalid_client"}, _CHALLENGE)
        try:
            body = await web.read_body(request)
        except RequestTooLarge:
            return _json(413, {"error": "invalid_request"})
        token = _token(body, request.headers.get("content-type", ""))
        if token is None:
            return _json(400, {"error": "invalid_request"})
        answer: dict[str, Any] = await web.run_sync(introspect, token, audience)
        return _json(200, answer)

    web.route(Route(path, endpoint, methods=["POST"], name="token_introspection"))
