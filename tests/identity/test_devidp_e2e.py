"""
End to end against the development provider (authlib's server side) over TLS:
login with PAR and private_key_jwt, refresh, and the RP-initiated logout redirect.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from ircc_account._storage import SqlStore
from ircc_account.devidp import DevClient, DevelopmentProvider, DevProviderConfig, DevUser
from ircc_account.errors import SessionExpired
from ircc_account.identity import Identity, LoginOutcome, PrivateKeyJwt, ProviderConfig, Providers
from ircc_account.testing._oidc_provider import drive_login
from ircc_account.testing._tls import TestCA, make_test_ca

from .test_login import _register

REDIRECT = "https://rp.example.test/callback"
SIGNED_OUT = "https://rp.example.test/signed-out"


@pytest.fixture(scope="module")
def devidp() -> Iterator[tuple[DevelopmentProvider, str, RSAKey, TestCA]]:
    """The development provider over HTTPS, with one private_key_jwt client."""
    ca = make_test_ca()
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    config = DevProviderConfig(
        development_mode=True,
        clients=(
            DevClient(
                client_id="portal",
                jwks={"keys": [key.as_dict(private=False)]},
                redirect_uris=(REDIRECT,),
                post_logout_redirect_uris=(SIGNED_OUT,),
                token_endpoint_auth_method="private_key_jwt",
            ),
        ),
        users=(DevUser("alice", "sub-alice", "alice@example.test", "Alice", "Tremblay"),),
    )
    provider = DevelopmentProvider(config)
    server = provider.serve(ssl_context=ca.server_context)
    with server:
        yield provider, server.url, key, ca


def test_login_refresh_logout_against_the_devidp(
    devidp: tuple[DevelopmentProvider, str, RSAKey, TestCA], store: SqlStore
) -> None:
    """A new credential registers, signs in again, refreshes, and logs out with id_token_hint."""
    _provider, url, key, ca = devidp
    providers = Providers(
        [
            ProviderConfig(
                name="dev",
                issuer=url,
                client_id="portal",
                client_auth=PrivateKeyJwt(key=key.private_key, key_id=key.kid, algorithm="RS256"),
                redirect_uri=REDIRECT,
                post_logout_redirect_uri=SIGNED_OUT,
            )
        ],
        ssl_context=ca.client_context,
    )
    identity = Identity(store, providers)
    with httpx.Client(verify=ca.client_context) as browser:

        def login(cookie: str | None) -> tuple[LoginOutcome, str]:
            redirect = identity.start_login(cookie, "dev", client_key="ip", login_hint="alice")
            if redirect.issued is not None:
                cookie = redirect.issued.cookie_value
            response = drive_login(browser, redirect.url, REDIRECT)
            result = identity.complete_login(
                cookie, urllib.parse.urlencode(response), client_key="ip"
            )
            return result.outcome, result.issued.cookie_value

        outcome, cookie = login(None)
        assert outcome is LoginOutcome.NEW_CREDENTIAL
        cookie = _register(identity, cookie)
        outcome, cookie = login(cookie)
        assert outcome is LoginOutcome.SIGNED_IN
        before = identity.access_token(cookie)
        identity.refresh(cookie)
        assert identity.access_token(cookie) != before
        out = identity.logout(cookie)
        assert out.url is not None and "id_token_hint=" in out.url
        with pytest.raises(SessionExpired):
            identity.get_session(cookie)
    providers.close()


def test_dpop_login_refresh_and_revocation_against_the_devidp(store: SqlStore) -> None:
    """With dpop=True against the devidp demanding nonces: login (UserInfo too), refresh right after sign-up, and logout revokes the refresh token."""
    ca = make_test_ca()
    key = ECKey.generate_key("P-256", parameters={"alg": "ES256"}, auto_kid=True)
    config = DevProviderConfig(
        development_mode=True,
        clients=(
            DevClient(
                client_id="portal",
                jwks={"keys": [key.as_dict(private=False)]},
                redirect_uris=(REDIRECT,),
                post_logout_redirect_uris=(SIGNED_OUT,),
                token_endpoint_auth_method="private_key_jwt",
                dpop_bound_access_tokens=True,
            ),
        ),
        users=(DevUser("alice", "sub-alice", "alice@example.test", "Alice", "Tremblay"),),
        dpop_nonce=True,
    )
    provider = DevelopmentProvider(config)
    with provider.serve(ssl_context=ca.server_context) as server:
        providers = Providers(
            [
                ProviderConfig(
                    name="dev",
                    issuer=server.url,
                    client_id="portal",
                    client_auth=PrivateKeyJwt(key=key.as_dict(private=True)),
                    redirect_uri=REDIRECT,
                    post_logout_redirect_uri=SIGNED_OUT,
                    scopes=("openid", "email"),
                    fetch_userinfo=True,
                    dpop=True,
                )
            ],
            ssl_context=ca.client_context,
        )
        identity = Identity(store, providers)
        with httpx.Client(verify=ca.client_context) as browser:
            redirect = identity.start_login(None, "dev", client_key="ip", login_hint="alice")
            assert redirect.issued is not None
            response = drive_login(browser, redirect.url, REDIRECT)
            result = identity.complete_login(
                redirect.issued.cookie_value, urllib.parse.urlencode(response), client_key="ip"
            )
        assert result.outcome is LoginOutcome.NEW_CREDENTIAL
        assert result.claims["email"] == "alice@example.test"
        cookie = _register(identity, result.issued.cookie_value)
        identity.refresh(cookie)
        token = identity.access_token(cookie)
        bound = provider.store.find_access_token(token)
        assert bound is not None and bound.jkt is not None
        refresh = bound.refresh_token
        assert refresh is not None and provider.store.find_refresh_token(refresh) is not None
        out = identity.logout(cookie)
        assert out.url is not None and "id_token_hint=" in out.url
        assert provider.store.find_refresh_token(refresh) is None
        providers.close()
    provider.close()
