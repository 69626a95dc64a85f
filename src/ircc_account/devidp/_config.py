"""
The development provider's configuration: its clients and test users.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

__all__ = ["AuthMethod", "DevClient", "DevProviderConfig", "DevUser"]

AuthMethod = Literal["private_key_jwt", "client_secret_basic", "client_secret_post"]

DEFAULT_ACR_VALUES = ("urn:ircc:loa:1", "urn:ircc:loa:2", "urn:ircc:loa:3")


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen(repr=False)
class DevClient:
    """
    A relying party registered at the development provider.

    Attributes:
        client_id: The client identifier.
        client_secret: The shared secret for ``client_secret_basic`` or
            ``client_secret_post``; ``None`` for ``private_key_jwt``.
        jwks: The client's *public* JWK Set, for ``private_key_jwt``.
        redirect_uris: The exact redirect URIs the client may use.
        post_logout_redirect_uris: Where RP-initiated logout may return.
        backchannel_logout_uri: Where logout tokens are POSTed, or ``None``.
        token_endpoint_auth_method: How the client authenticates at the token
            and PAR endpoints.
        id_token_signed_response_alg: ``RS256`` or ``ES256``.
        dpop_bound_access_tokens: Require DPoP proofs from this client
            (RFC 9449 §5.2); a client may use DPoP either way.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
        *dpop_bound_access_tokens*.
    """

    client_id: str
    client_secret: str | None = None
    jwks: Mapping[str, Any] | None = None
    redirect_uris: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    post_logout_redirect_uris: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    backchannel_logout_uri: str | None = None
    # Ruff's S105 takes these names for passwords; they are a method and an algorithm.
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"  # noqa: S105
    id_token_signed_response_alg: Literal["RS256", "ES256"] = "RS256"  # noqa: S105
    dpop_bound_access_tokens: bool = False

    def __repr__(self) -> str:
        # The secret never appears in logs.
        return (
            f"DevClient(client_id={self.client_id!r}, "
            f"token_endpoint_auth_method={self.token_endpoint_auth_method!r})"
        )


@attrs.frozen
class DevUser:
    """
    A test user who can log in at the development provider.

    Attributes:
        username: The name shown on the login page and accepted as ``login_hint``.
        subject: The stable ``sub`` claim.
        email: The ``email`` claim.
        given_name: The ``given_name`` claim.
        family_name: The ``family_name`` claim.
        acr: The assurance level this user reaches by default.

    .. versionadded:: 0.1
    """

    username: str
    subject: str
    email: str
    given_name: str
    family_name: str
    acr: str = "urn:ircc:loa:2"


@attrs.frozen
class DevProviderConfig:
    """
    Everything the development provider needs; nothing is read from the environment.

    Attributes:
        issuer: The issuer URL, or ``None`` to use the URL that
            :meth:`~ircc_account.devidp.DevelopmentProvider.serve` binds.
        development_mode: Must be ``True``: the provider refuses to start otherwise.
        clients: The registered relying parties.
        users: The test users.
        acr_values: The assurance levels offered, lowest first.
        token_lifetime: How long access and ID tokens live.
        code_lifetime: How long an authorization code lives.
        par_lifetime: How long a pushed authorization request lives.
        logout_token_lifetime: How long a logout token lives.
        dpop_nonce: Ask DPoP clients for server-provided nonces (RFC 9449 §8, §9).

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
        *dpop_nonce*; DPoP and token revocation are always offered.
    """

    issuer: str | None = None
    development_mode: bool = False
    clients: tuple[DevClient, ...] = attrs.field(default=(), converter=_tuple)
    users: tuple[DevUser, ...] = attrs.field(default=(), converter=_tuple)
    acr_values: tuple[str, ...] = attrs.field(default=DEFAULT_ACR_VALUES, converter=_tuple)
    token_lifetime: dt.timedelta = dt.timedelta(minutes=5)
    code_lifetime: dt.timedelta = dt.timedelta(minutes=1)
    par_lifetime: dt.timedelta = dt.timedelta(seconds=60)
    logout_token_lifetime: dt.timedelta = dt.timedelta(minutes=2)
    dpop_nonce: bool = False
