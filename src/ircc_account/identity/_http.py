"""
The one back channel to providers: a shared :class:`httpx.Client` with hard limits.

Every outbound call goes through :class:`BackChannel`: TLS with certificate
validation, short timeouts, no redirects, no proxy or certificate settings
from the environment, and response bodies read up to a cap and no further
(SEC-79). Only URLs derived from configuration and the provider's own
metadata ever reach it (SEC-84).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

import attrs
import httpx

from ircc_account.errors import IdentityError, ProviderMetadataInvalid, ProviderUnavailable
from ircc_account.hazmat.jose import fail, json_object

__all__ = ["BackChannel", "HttpLimits", "Response"]


@attrs.frozen(kw_only=True)
class HttpLimits:
    """
    Timeouts and size caps for calls to providers.

    Attributes:
        timeout: Seconds for each of connect, read, write and pool waits.
        max_metadata_bytes: The largest discovery document read.
        max_jwks_bytes: The largest JWKS document read.
        max_response_bytes: The largest token, PAR or UserInfo response read.
    """

    timeout: float = 5.0
    max_metadata_bytes: int = 64 * 1024
    max_jwks_bytes: int = 64 * 1024
    max_response_bytes: int = 64 * 1024


@attrs.frozen
class Response:
    """
    A capped response: status, media type (lower-case, no parameters), body,
    and headers (the protocol reads ``DPoP-Nonce`` and ``WWW-Authenticate``).
    """

    status: int
    media_type: str
    body: bytes = attrs.field(repr=False)
    headers: httpx.Headers = attrs.field(factory=httpx.Headers, repr=False)

    def header(self, name: str) -> str | None:
        """
        The value of header *name* (case-insensitive) if it was sent exactly
        once and is at most 1 KiB; a repeated one is never guessed between.
        """
        values = self.headers.get_list(name)
        return values[0] if len(values) == 1 and len(values[0]) <= 1024 else None

    def json(self, cls: type[IdentityError], what: str) -> dict[str, Any]:
        """
        The body as a strict JSON object (no duplicate members), or raise *cls*.
        """
        if self.media_type != "application/json":
            raise fail(cls, f"{what}.media_type", provider=what)
        return json_object(self.body, cls, what)


class BackChannel:
    """
    Outbound HTTPS to providers, over one shared client; thread-safe.

    Args:
        client: An existing client to share (its settings are the caller's);
            by default one is created here, once.
        ssl_context: The TLS trust to use when creating the client (a private CA
            in tests); the system store by default.
        limits: Timeouts and size caps.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        limits: HttpLimits | None = None,
    ) -> None:
        self.limits = limits or HttpLimits()
        self._owned = client is None
        if client is None:
            client = httpx.Client(
                verify=ssl_context if ssl_context is not None else True,
                timeout=httpx.Timeout(self.limits.timeout),
                follow_redirects=False,
                # The library reads no environment: no proxies or CA bundles from it.
                trust_env=False,
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            )
        self.client = client

    def close(self) -> None:
        """
        Close the client if this back channel created it.
        """
        if self._owned:
            self.client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        provider: str,
        max_bytes: int,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """
        Send one request and read at most *max_bytes* of the answer.

        Raises:
            ProviderUnavailable: a network or TLS failure, a timeout, a redirect.
            ProviderMetadataInvalid: the body is larger than *max_bytes*.
        """
        # Identity encoding: the cap then bounds what we hold, with no decompression bomb.
        hdrs = {"Accept": "application/json", "Accept-Encoding": "identity", **(headers or {})}
        try:
            with self.client.stream(
                method, url, data=data, headers=hdrs, follow_redirects=False
            ) as r:
                if 300 <= r.status_code < 400:
                    # SEC-79: never follow a redirect on a back channel.
                    raise fail(ProviderUnavailable, "network.redirect", provider=provider)
                declared = r.headers.get("content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
                    raise fail(ProviderMetadataInvalid, "response.too_large", provider=provider)
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise fail(ProviderMetadataInvalid, "response.too_large", provider=provider)
                media = r.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                # The headers are read only when asked for (DPoP): no cost otherwise.
                return Response(r.status_code, media, bytes(body), r.headers)
        except IdentityError:
            raise
        except (httpx.HTTPError, ssl.SSLError, OSError, ValueError) as exc:
            # The exception text can hold the URL and server data: only a
            # fixed reason code goes on, for the one WARNING of the caller.
            raise fail(ProviderUnavailable, _network_reason(exc), provider=provider) from None


def _network_reason(exc: BaseException) -> str:
    """A fixed reason code for a failed request: what kind of failure, never its text."""
    if isinstance(exc, httpx.TimeoutException):
        return "network.timeout"
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__context__, ssl.SSLError):
        return "network.tls"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        return "network.tls" if "certificate" in text or "ssl" in text else "network.connect"
    return "network.error"
