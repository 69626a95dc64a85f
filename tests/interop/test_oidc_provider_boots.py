"""
The npm oidc-provider starts, and a browser-less login against it works end to end.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from ircc_account.testing._oidc_provider import (
    LogoutReceiver,
    NodeOidcProvider,
    client_assertion,
    drive_login,
    drive_logout,
    pkce_pair,
)
from ircc_account.testing._tls import TestCA

pytestmark = pytest.mark.oidc_provider

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def http(interop_ca: TestCA) -> Iterator[httpx.Client]:
    """A client that trusts only the test CA, with its own cookie jar (one browser)."""
    with httpx.Client(verify=interop_ca.client_context) as client:
        yield client


def _metadata(http: httpx.Client, provider: NodeOidcProvider) -> dict[str, Any]:
    response = http.get(f"{provider.issuer}/.well-known/openid-configuration")
    response.raise_for_status()
    return dict(response.json())


def _login(
    http: httpx.Client, provider: NodeOidcProvider, *, jwt_client: bool = False
) -> dict[str, Any]:
    metadata = _metadata(http, provider)
    client_id = provider.jwt_client_id if jwt_client else provider.client_id
    verifier, challenge = pkce_pair()
    params = {
        "client_id": client_id,
        "response_type": "code",
        "scope": "openid email profile offline_access",
        "redirect_uri": provider.redirect_uri,
        "state": "state-1",
        "nonce": "nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": "alice",
        "prompt": "consent",
    }
    url = f"{metadata['authorization_endpoint']}?{urllib.parse.urlencode(params)}"
    response = drive_login(http, url, provider.redirect_uri)
    assert response["iss"] == provider.issuer
    assert response["state"] == "state-1"
    form = {
        "grant_type": "authorization_code",
        "code": response["code"],
        "redirect_uri": provider.redirect_uri,
        "code_verifier": verifier,
    }
    if jwt_client:
        assertion = client_assertion(client_id, provider.jwt_client_key, metadata["issuer"])
        form.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
        token = http.post(metadata["token_endpoint"], data=form)
    else:
        token = http.post(
            metadata["token_endpoint"], data=form, auth=(client_id, provider.client_secret)
        )
    assert token.status_code == 200, token.text
    return dict(token.json())


def _verify(http: httpx.Client, provider: NodeOidcProvider, token: str) -> dict[str, Any]:
    jwks = KeySet.import_key_set(http.get(_metadata(http, provider)["jwks_uri"]).json())
    return dict(jwt.decode(token, jwks, algorithms=["RS256", "ES256"]).claims)


def test_discovery_issuer_is_the_https_url(
    http: httpx.Client, oidc_provider: NodeOidcProvider
) -> None:
    """The provider answers over TLS with the test CA, and its issuer is exactly its URL."""
    metadata = _metadata(http, oidc_provider)
    assert metadata["issuer"] == oidc_provider.issuer
    assert oidc_provider.issuer.startswith("https://127.0.0.1:")
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["backchannel_logout_supported"] is True
    assert "pushed_authorization_request_endpoint" in metadata


@pytest.mark.parametrize(
    "jwt_client", [False, True], ids=["client_secret_basic", "private_key_jwt"]
)
def test_code_flow_with_pkce_yields_a_verifiable_id_token(
    http: httpx.Client, oidc_provider: NodeOidcProvider, jwt_client: bool
) -> None:
    """A login_hint login yields a code with iss, and the token endpoint an ID token that verifies against the JWKS."""
    tokens = _login(http, oidc_provider, jwt_client=jwt_client)
    claims = _verify(http, oidc_provider, tokens["id_token"])
    assert claims["iss"] == oidc_provider.issuer
    assert claims["sub"] == "sub-alice-0001"
    assert claims["nonce"] == "nonce-1"
    assert "sid" in claims


def test_refresh_token_works(http: httpx.Client, oidc_provider: NodeOidcProvider) -> None:
    """The refresh token from a code grant buys a new access token."""
    tokens = _login(http, oidc_provider)
    endpoint = _metadata(http, oidc_provider)["token_endpoint"]
    refreshed = http.post(
        endpoint,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(oidc_provider.client_id, oidc_provider.client_secret),
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"] != tokens["access_token"]


def test_rp_initiated_logout_sends_a_backchannel_logout_token(
    http: httpx.Client, oidc_provider: NodeOidcProvider, logout_receiver: LogoutReceiver
) -> None:
    """Confirming RP-initiated logout redirects back with state and POSTs a logout+jwt to the receiver."""
    tokens = _login(http, oidc_provider)
    sid = _verify(http, oidc_provider, tokens["id_token"])["sid"]
    metadata = _metadata(http, oidc_provider)
    assert metadata["end_session_endpoint"].startswith(oidc_provider.issuer)
    response = drive_logout(
        http,
        metadata["end_session_endpoint"],
        {
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": oidc_provider.post_logout_redirect_uri,
            "state": "bye",
        },
    )
    assert response.headers["location"] == f"{oidc_provider.post_logout_redirect_uri}?state=bye"
    token = logout_receiver.wait_for_token()
    jwks = KeySet.import_key_set(http.get(metadata["jwks_uri"]).json())
    decoded = jwt.decode(token, jwks)
    assert decoded.header["typ"] == "logout+jwt"
    assert decoded.claims["sid"] == sid
    assert "http://schemas.openid.net/event/backchannel-logout" in decoded.claims["events"]
    assert "nonce" not in decoded.claims
