"""
Client authentication at the provider's token and PAR endpoints.

``private_key_jwt`` (RFC 7523 §3, FAPI 2.0 SP §5.3.3.1; SEC-16): a fresh
assertion per request with ``iss = sub = client_id``, ``aud`` the provider's
issuer identifier as a plain string, a unique ``jti`` and a short ``exp``.
Shared secrets go in the ``Authorization`` header or the form body, never in
a URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import urllib.parse

from ircc_account._clock import Randomness
from ircc_account.hazmat.jose import b64url_encode, sign_jws

from ._config import PrivateKeyJwt, ProviderConfig
from ._providers import ProviderMetadata

__all__ = ["ASSERTION_TYPE", "client_assertion", "client_auth"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def client_assertion(
    auth: PrivateKeyJwt,
    *,
    client_id: str,
    audience: str,
    now: dt.datetime,
    randomness: Randomness,
    algorithm: str | None = None,
) -> str:
    """
    A signed ``private_key_jwt`` client assertion (RFC 7523 §3).

    Args:
        auth: Our key and algorithm.
        client_id: Both ``iss`` and ``sub``.
        audience: The provider's issuer identifier, sent as a string (FAPI 2.0).
        now: The current time.
        randomness: The source of the 256-bit ``jti``.
        algorithm: The algorithm discovery chose; the credential's first by default.
    """
    iat = int(now.timestamp())
    claims = {
        "iss": client_id,
        "sub": client_id,
        # RFC 7523 §3 item 3 and FAPI 2.0 SP §5.3.3.1 item 5: the audience is
        # the issuer identifier, "as a string and not as an array".
        "aud": audience,
        "jti": b64url_encode(randomness.token_bytes(32)),
        "iat": iat,
        "nbf": iat,
        "exp": iat + int(auth.lifetime.total_seconds()),
    }
    alg = algorithm or auth.algorithms[0]
    return sign_jws(claims, auth.signing_key, alg=alg, kid=auth.key_id, typ="JWT")


def client_auth(
    config: ProviderConfig,
    metadata: ProviderMetadata,
    *,
    now: dt.datetime,
    randomness: Randomness,
) -> tuple[dict[str, str], dict[str, str]]:
    """
    The headers and form fields that authenticate us at *config*'s provider,
    by the method discovery chose (``metadata.token_endpoint_auth_method``).
    """
    method = metadata.token_endpoint_auth_method
    if method == "private_key_jwt":
        auth = config.private_key
        assert auth is not None
        assertion = client_assertion(
            auth,
            client_id=config.client_id,
            audience=config.issuer,
            now=now,
            randomness=randomness,
            algorithm=metadata.client_assertion_algorithm,
        )
        form = {
            "client_id": config.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        }
        return {}, form
    secret = config.client_secret
    assert secret is not None
    if method == "client_secret_post":
        return {}, {"client_id": config.client_id, "client_secret": secret.secret}
    return {"Authorization": _basic(config.client_id, secret.secret)}, {}


@functools.lru_cache(maxsize=64)
def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding
    # (RFC 7617 §2: standard base64, not base64url). The same for every
    # request, so built once per credential.
    user = urllib.parse.quote_plus(client_id, safe="")
    password = urllib.parse.quote_plus(secret, safe="")
    basic = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {basic}"
