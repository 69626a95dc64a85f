"""
The development OpenID provider, driven over TLS with plain httpx.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from ircc_account.devidp import DevClient, DevelopmentProvider, DevProviderConfig, DevUser
from ircc_account.errors import ConfigurationError
from ircc_account.testing._oidc_provider import (
    LogoutReceiver,
    client_assertion,
    drive_login,
    pkce_pair,
)
from ircc_account.testing._tls import TestCA, make_test_ca

REDIRECT = "https://rp.example.test/callback"
SIGNED_OUT = "https://rp.example.test/signed-out"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALICE = DevUser("alice", "sub-alice", "alice@example.test", "Alice", "Tremblay")


@pytest.fixture(scope="module")
def ca() -> TestCA:
    """One throw-away CA for the module."""
    return make_test_ca()


@pytest.fixture(scope="module")
def client_key() -> RSAKey:
    """The private key of the ``private_key_jwt`` client."""
    return RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)


@pytest.fixture(scope="module")
def receiver(ca: TestCA) -> Iterator[LogoutReceiver]:
    """An HTTPS endpoint that records back-channel logout tokens."""
    with LogoutReceiver(ca) as receiver:
        yield receiver


def _config(client_key: RSAKey, backchannel_uri: str | None = None) -> DevProviderConfig:
    return DevProviderConfig(
        development_mode=True,
        clients=[
            DevClient(
                "portal",
                client_secret="portal-secret",
                redirect_uris=[REDIRECT],
                post_logout_redirect_uris=[SIGNED_OUT],
                backchannel_logout_uri=backchannel_uri,
            ),
            DevClient(
                "portal-jwt",
                jwks={"keys": [client_key.as_dict(private=False)]},
                redirect_uris=[REDIRECT],
                token_endpoint_auth_method="private_key_jwt",
                id_token_signed_response_alg="ES256",
            ),
        ],
        users=[ALICE],
    )


@pytest.fixture(scope="module")
def provider(
    ca: TestCA, client_key: RSAKey, receiver: LogoutReceiver
) -> Iterator[DevelopmentProvider]:
    """The development provider, served over HTTPS on a free port."""
    with httpx.Client(verify=ca.client_context) as backchannel:
        provider = DevelopmentProvider(_config(client_key, receiver.url), http_client=backchannel)
        with provider.serve(ssl_context=ca.server_context):
            yield provider


@pytest.fixture
def http(ca: TestCA) -> Iterator[httpx.Client]:
    """A client that trusts only the test CA."""
    with httpx.Client(verify=ca.client_context) as client:
        yield client


def _metadata(http: httpx.Client, provider: DevelopmentProvider) -> dict[str, Any]:
    response = http.get(f"{provider.issuer()}/.well-known/openid-configuration")
    response.raise_for_status()
    return dict(response.json())


def _authorize_url(metadata: dict[str, Any], client_id: str, challenge: str, **extra: str) -> str:
    params = {
        "client_id": client_id,
        "response_type": "code",
        "scope": "openid email profile",
        "redirect_uri": REDIRECT,
        "state": "state-1",
        "nonce": f"nonce-{challenge[:12]}",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "login_hint": "alice",
        **extra,
    }
    return f"{metadata['authorization_endpoint']}?{urllib.parse.urlencode(params)}"


def _login(
    http: httpx.Client, provider: DevelopmentProvider, client_id: str, key: RSAKey | None = None
) -> dict[str, Any]:
    metadata = _metadata(http, provider)
    verifier, challenge = pkce_pair()
    response = drive_login(http, _authorize_url(metadata, client_id, challenge), REDIRECT)
    assert response["iss"] == provider.issuer()
    form = {
        "grant_type": "authorization_code",
        "code": response["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    if key is None:
        token = http.post(metadata["token_endpoint"], data=form, auth=(client_id, "portal-secret"))
    else:
        assertion = client_assertion(client_id, key, metadata["token_endpoint"])
        form.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
        token = http.post(metadata["token_endpoint"], data=form)
    assert token.status_code == 200, token.text
    return dict(token.json())


def _verify(http: httpx.Client, provider: DevelopmentProvider, token: str) -> dict[str, Any]:
    jwks = http.get(_metadata(http, provider)["jwks_uri"]).json()
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256"])
    return dict(decoded.claims)


def test_refuses_to_start_without_development_mode(client_key: RSAKey) -> None:
    """Without development_mode=True the provider raises ConfigurationError and serves nothing."""
    config = DevProviderConfig(issuer="https://idp.example.test", clients=(), users=())
    with pytest.raises(ConfigurationError) as caught:
        DevelopmentProvider(config)
    assert caught.value.params["reason"] == "development provider needs development_mode=True"


def test_discovery_document_advertises_the_features(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """The discovery document names the bound issuer, PAR, iss, logout support and the key algorithms."""
    metadata = _metadata(http, provider)
    assert metadata["issuer"] == provider.issuer()
    assert provider.issuer().startswith("https://127.0.0.1:")
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["pushed_authorization_request_endpoint"] == f"{provider.issuer()}/par"
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True
    assert metadata["end_session_endpoint"] == f"{provider.issuer()}/logout"
    assert metadata["token_endpoint_auth_methods_supported"] == [
        "private_key_jwt",
        "client_secret_basic",
        "client_secret_post",
    ]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert metadata["acr_values_supported"] == [
        "urn:ircc:loa:1",
        "urn:ircc:loa:2",
        "urn:ircc:loa:3",
    ]
    assert metadata["code_challenge_methods_supported"] == ["S256"]


@pytest.mark.parametrize("client_id", ["portal", "portal-jwt"])
def test_code_flow_with_pkce_issues_a_verifiable_id_token(
    http: httpx.Client, provider: DevelopmentProvider, client_key: RSAKey, client_id: str
) -> None:
    """A login_hint login yields a code with iss, then (client_secret_basic or private_key_jwt) an ID token that verifies against the JWKS and matches userinfo."""
    key = client_key if client_id == "portal-jwt" else None
    tokens = _login(http, provider, client_id, key)
    claims = _verify(http, provider, tokens["id_token"])
    assert claims["iss"] == provider.issuer()
    assert claims["aud"] == client_id
    assert claims["sub"] == ALICE.subject
    assert {"exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash"} <= set(claims)
    userinfo = http.get(
        _metadata(http, provider)["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert userinfo.json()["sub"] == claims["sub"]


def test_refresh_token_grant_returns_new_tokens(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """A refresh token buys a new access token and a new ID token for the same session, once."""
    tokens = _login(http, provider, "portal")
    endpoint = _metadata(http, provider)["token_endpoint"]
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = http.post(endpoint, data=form, auth=("portal", "portal-secret"))
    assert refreshed.status_code == 200, refreshed.text
    first, second = (_verify(http, provider, t["id_token"]) for t in (tokens, refreshed.json()))
    assert second["sid"] == first["sid"] and second["auth_time"] == first["auth_time"]
    again = http.post(endpoint, data=form, auth=("portal", "portal-secret"))
    assert again.json()["error"] == "invalid_grant"


def test_requested_acr_is_honoured(http: httpx.Client, provider: DevelopmentProvider) -> None:
    """The first offered value of acr_values becomes the ID token's acr."""
    metadata = _metadata(http, provider)
    verifier, challenge = pkce_pair()
    url = _authorize_url(metadata, "portal", challenge, acr_values="urn:ircc:loa:3")
    code = drive_login(http, url, REDIRECT)["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    token = http.post(
        metadata["token_endpoint"],
        data={**form, "code_verifier": verifier},
        auth=("portal", "portal-secret"),
    ).json()
    assert _verify(http, provider, token["id_token"])["acr"] == "urn:ircc:loa:3"


def test_pushed_authorization_request_is_single_use(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """A request_uri from /par works once; a second use is refused."""
    metadata = _metadata(http, provider)
    _, challenge = pkce_pair()
    pushed = dict(
        urllib.parse.parse_qsl(
            urllib.parse.urlsplit(_authorize_url(metadata, "portal", challenge)).query
        )
    )
    par = http.post(
        metadata["pushed_authorization_request_endpoint"],
        data=pushed,
        auth=("portal", "portal-secret"),
    )
    assert par.status_code == 201, par.text
    assert par.json()["expires_in"] > 0
    front = urllib.parse.urlencode(
        {"client_id": "portal", "request_uri": par.json()["request_uri"]}
    )
    url = f"{metadata['authorization_endpoint']}?{front}"
    assert "code" in drive_login(http, url, REDIRECT)
    assert http.get(url).status_code == 400


def test_pushed_authorization_request_needs_client_authentication(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """The PAR endpoint refuses a client that does not authenticate."""
    metadata = _metadata(http, provider)
    par = http.post(metadata["pushed_authorization_request_endpoint"], data={"client_id": "portal"})
    assert par.status_code == 401
    assert par.json()["error"] == "invalid_client"


def test_pkce_plain_is_refused(http: httpx.Client, provider: DevelopmentProvider) -> None:
    """code_challenge_method=plain gets an invalid_request error redirect, with iss."""
    metadata = _metadata(http, provider)
    verifier, _ = pkce_pair()
    url = _authorize_url(metadata, "portal", verifier, code_challenge_method="plain")
    response = drive_login(http, url, REDIRECT)
    assert response["error"] == "invalid_request"
    assert response["iss"] == provider.issuer()
    assert "code" not in response


def test_private_key_jwt_assertion_cannot_be_replayed(
    http: httpx.Client, provider: DevelopmentProvider, client_key: RSAKey
) -> None:
    """A client assertion whose jti was already used is refused."""
    metadata = _metadata(http, provider)
    assertion = client_assertion("portal-jwt", client_key, metadata["token_endpoint"])
    form = {"grant_type": "refresh_token", "refresh_token": "unknown"}
    form.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
    assert http.post(metadata["token_endpoint"], data=form).json()["error"] == "invalid_grant"
    assert http.post(metadata["token_endpoint"], data=form).json()["error"] == "invalid_client"


def test_backchannel_logout_posts_a_logout_token(
    http: httpx.Client, provider: DevelopmentProvider, receiver: LogoutReceiver
) -> None:
    """Ending the session POSTs a signed logout+jwt with events, sid and sub, and no nonce, to the client."""
    tokens = _login(http, provider, "portal")
    sid = _verify(http, provider, tokens["id_token"])["sid"]
    deliveries = provider.end_session(sid)
    assert [d.status_code for d in deliveries] == [200]
    token = receiver.wait_for_token()
    jwks = KeySet.import_key_set(http.get(_metadata(http, provider)["jwks_uri"]).json())
    header = jwt.decode(token, jwks).header
    claims = _verify(http, provider, token)
    assert header["typ"] == "logout+jwt"
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert claims["sid"] == sid and claims["sub"] == ALICE.subject and claims["aud"] == "portal"
    assert "nonce" not in claims and {"jti", "iat", "exp"} <= set(claims)


def test_rp_initiated_logout_returns_with_state_and_notifies(
    http: httpx.Client, provider: DevelopmentProvider, receiver: LogoutReceiver
) -> None:
    """Logout with id_token_hint redirects to the registered URI with state and sends a logout token."""
    tokens = _login(http, provider, "portal")
    endpoint = _metadata(http, provider)["end_session_endpoint"]
    params = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": SIGNED_OUT,
        "state": "bye",
    }
    response = http.get(endpoint, params=params)
    assert response.status_code == 302
    assert response.headers["location"] == f"{SIGNED_OUT}?state=bye"
    assert receiver.wait_for_token()
    unregistered = {**params, "post_logout_redirect_uri": "https://evil.example.test/"}
    assert http.get(endpoint, params=unregistered).status_code == 400


def test_rotated_keys_keep_old_tokens_verifiable(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """After rotate_keys(), new tokens use a new kid and the JWKS still holds the old keys."""
    before = _login(http, provider, "portal")
    provider.rotate_keys()
    after = _login(http, provider, "portal")
    jwks = KeySet.import_key_set(http.get(_metadata(http, provider)["jwks_uri"]).json())
    kids = {jwt.decode(t["id_token"], jwks).header["kid"] for t in (before, after)}
    assert len(kids) == 2
