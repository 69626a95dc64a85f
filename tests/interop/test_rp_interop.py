"""
Our relying party against the npm oidc-provider (OpenID-certified, someone else's
code), over HTTPS with the throw-away CA: login with PAR and private_key_jwt,
refresh, RP-initiated logout and back-channel logout; a signing key rotation
between two logins, a back-channel logout with extra form fields, refresh
right after the first login, and a DPoP login.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from ircc_account._clock import SystemClock, SystemRandomness
from ircc_account._crypto import Keyring
from ircc_account._model import AssuranceLevel, ContactDetails, PersonalDetails
from ircc_account._storage import SqlStore, open_store
from ircc_account.errors import SessionExpired
from ircc_account.hazmat.jose import parse_compact_jws
from ircc_account.identity import (
    ClientSecret,
    Identity,
    LoginOutcome,
    PrivateKeyJwt,
    ProviderConfig,
    Providers,
)
from ircc_account.identity._client_auth import client_auth
from ircc_account.identity._http import Response as HttpResponse
from ircc_account.testing._oidc_provider import (
    LogoutReceiver,
    NodeOidcProvider,
    drive_login,
    drive_logout,
)
from ircc_account.testing._tls import TestCA

from .conftest import EXTRA_FIELDS

pytestmark = pytest.mark.oidc_provider

IP = "192.0.2.10"
ACR = {
    "urn:ircc:loa:1": AssuranceLevel.LOW,
    "urn:ircc:loa:2": AssuranceLevel.MODERATE,
    "urn:ircc:loa:3": AssuranceLevel.HIGH,
}


@pytest.fixture
def store(tmp_path: pathlib.Path) -> Iterator[SqlStore]:
    """A migrated SQLite store."""
    s = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", keyring=Keyring.generate())
    yield s
    s.close()


def _config(provider: NodeOidcProvider, *, jwt_client: bool) -> ProviderConfig:
    if jwt_client:
        key = provider.jwt_client_key
        auth: PrivateKeyJwt | ClientSecret = PrivateKeyJwt(
            key=key.private_key, key_id=key.kid, algorithm="RS256"
        )
        client_id = provider.jwt_client_id
    else:
        auth, client_id = ClientSecret(secret=provider.client_secret), provider.client_id
    return ProviderConfig(
        name="node",
        issuer=provider.issuer,
        client_id=client_id,
        client_auth=auth,
        redirect_uri=provider.redirect_uri,
        post_logout_redirect_uri=provider.post_logout_redirect_uri,
        scopes=("openid", "email"),
        acr_map=ACR,
        fetch_userinfo=True,
    )


@pytest.fixture(params=[True, False], ids=["private_key_jwt", "client_secret_basic"])
def identity(
    request: pytest.FixtureRequest,
    store: SqlStore,
    oidc_provider: NodeOidcProvider,
    interop_ca: TestCA,
) -> Iterator[Identity]:
    """Our relying party, configured for the Node provider."""
    providers = Providers(
        [_config(oidc_provider, jwt_client=request.param)], ssl_context=interop_ca.client_context
    )
    yield Identity(store, providers)
    providers.close()


@pytest.fixture
def browser(interop_ca: TestCA) -> Iterator[httpx.Client]:
    """One browser: trusts the CA, keeps the provider's cookies."""
    with httpx.Client(verify=interop_ca.client_context) as client:
        yield client


def _login(
    identity: Identity, browser: httpx.Client, provider: NodeOidcProvider, cookie: str | None = None
) -> str:
    redirect = identity.start_login(
        cookie, "node", client_key=IP, login_hint="alice", acr=AssuranceLevel.MODERATE
    )
    # PAR is on at the provider: the browser sees only client_id and request_uri.
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect.url).query)
    assert set(query) == {"client_id", "request_uri"}
    if redirect.issued is not None:
        cookie = redirect.issued.cookie_value
    response = drive_login(browser, redirect.url, provider.redirect_uri)
    result = identity.complete_login(cookie, urllib.parse.urlencode(response), client_key=IP)
    if result.outcome is LoginOutcome.NEW_CREDENTIAL:
        assert result.claims["email"] == "alice@example.test"
        _, issued = identity.register_account(
            result.issued.cookie_value,
            personal=PersonalDetails(family_name="Tremblay", date_of_birth=dt.date(1990, 1, 2)),
            contact=ContactDetails(email="alice@example.test"),
        )
        return _login(identity, browser, provider, issued.cookie_value)
    assert result.session.assurance >= AssuranceLevel.MODERATE
    return result.issued.cookie_value


def test_login_and_refresh_against_oidc_provider(
    identity: Identity, browser: httpx.Client, oidc_provider: NodeOidcProvider
) -> None:
    """Login (PAR, PKCE, iss, client auth, ID token, UserInfo) then refresh both work."""
    cookie = _login(identity, browser, oidc_provider)
    assert identity.get_session(cookie).authenticated
    before = identity.access_token(cookie)
    identity.refresh(cookie)
    assert identity.access_token(cookie) != before


def test_rp_initiated_and_backchannel_logout_against_oidc_provider(
    identity: Identity,
    browser: httpx.Client,
    oidc_provider: NodeOidcProvider,
    logout_receiver: LogoutReceiver,
) -> None:
    """RP-initiated logout comes back with our state; the provider's logout token ends the other sessions."""
    cookie = _login(identity, browser, oidc_provider)
    other = _login(identity, browser, oidc_provider)
    logout_receiver.drain()
    out = identity.logout(cookie)
    assert out.url is not None
    parts = urllib.parse.urlsplit(out.url)
    params = dict(urllib.parse.parse_qsl(parts.query))
    end = urllib.parse.urlunsplit(parts._replace(query=""))
    response = drive_logout(browser, end, params)
    location = response.headers["location"]
    assert location.startswith(oidc_provider.post_logout_redirect_uri)
    identity.complete_logout(out.issued.cookie_value, urllib.parse.urlsplit(location).query)
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)
    # The provider ended its session (sid) and tells us over the back channel,
    # exactly as it sent it (with its extra form fields).
    body, content_type = logout_receiver.wait_for_request()
    status, headers = identity.handle_backchannel_logout(body, content_type)
    assert status == 200 and ("Cache-Control", "no-store") in headers
    with pytest.raises(SessionExpired):
        identity.get_session(other)
    assert identity.handle_backchannel_logout(body, content_type)[0] == 400


def _first_login(
    identity: Identity, browser: httpx.Client, provider: NodeOidcProvider, name: str = "node"
) -> tuple[str, dict[str, object]]:
    redirect = identity.start_login(None, name, client_key=IP, login_hint="alice")
    assert redirect.issued is not None
    response = drive_login(browser, redirect.url, provider.redirect_uri)
    result = identity.complete_login(
        redirect.issued.cookie_value, urllib.parse.urlencode(response), client_key=IP
    )
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL
    return result.issued.cookie_value, dict(result.claims)


def _id_token_kid(identity: Identity, cookie: str) -> str | None:
    with identity.store.unit_of_work(write=False) as uow:
        row = identity._session_manager.live_row(uow, cookie)
        assert row is not None
        tokens = identity._session_manager.tokens(uow, row)
    assert tokens is not None
    return parse_compact_jws(tokens.id_token).kid


def test_key_rotation_between_two_logins(
    identity: Identity, browser: httpx.Client, oidc_provider: NodeOidcProvider
) -> None:
    """The provider rotates its signing keys right after a login: the next login finds the new key with one refetch."""
    cookie = _login(identity, browser, oidc_provider)
    before = _id_token_kid(identity, cookie)
    keys = identity.providers.get("node").keys
    fetches = keys.fetch_count
    oidc_provider.rotate_keys()
    cookie = _login(identity, browser, oidc_provider, cookie)
    assert _id_token_kid(identity, cookie) != before
    assert keys.fetch_count == fetches + 1


def test_backchannel_logout_with_an_extra_form_field(
    identity: Identity,
    browser: httpx.Client,
    oidc_provider: NodeOidcProvider,
    logout_receiver: LogoutReceiver,
) -> None:
    """oidc-provider's logout request carries other form fields beside logout_token: 200, no-store, the session ends."""
    cookie = _login(identity, browser, oidc_provider)
    logout_receiver.drain()
    out = identity.logout(_login(identity, browser, oidc_provider))
    assert out.url is not None
    parts = urllib.parse.urlsplit(out.url)
    drive_logout(
        browser,
        urllib.parse.urlunsplit(parts._replace(query="")),
        dict(urllib.parse.parse_qsl(parts.query)),
    )
    body, content_type = logout_receiver.wait_for_request()
    fields = urllib.parse.parse_qs(body.decode())
    assert set(fields) == {"logout_token", *EXTRA_FIELDS}
    status, headers = identity.handle_backchannel_logout(body, content_type)
    assert status == 200 and ("Cache-Control", "no-store") in headers
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)


def test_refresh_right_after_the_first_login(
    identity: Identity, browser: httpx.Client, oidc_provider: NodeOidcProvider
) -> None:
    """Sign up, register, then at once refresh and log out: the first login's tokens were kept, and logout revokes them at the provider."""
    cookie, claims = _first_login(identity, browser, oidc_provider)
    assert claims["email"] == "alice@example.test"
    _, issued = identity.register_account(
        cookie,
        personal=PersonalDetails(family_name="Tremblay", date_of_birth=dt.date(1990, 1, 2)),
        contact=ContactDetails(email="alice@example.test"),
    )
    cookie = issued.cookie_value
    before = identity.access_token(cookie)
    identity.refresh(cookie)
    assert identity.access_token(cookie) != before
    refresh_token = _refresh_token(identity, cookie)
    out = identity.logout(cookie)
    assert out.url is not None and "id_token_hint=" in out.url
    # Logout revoked the refresh token at oidc-provider (RFC 7009): it no
    # longer refreshes there.
    answer = _refresh_at_provider(identity, refresh_token)
    assert answer.status == 400 and json.loads(answer.body)["error"] == "invalid_grant"


def _refresh_token(identity: Identity, cookie: str) -> str:
    # The session's current refresh token, read as the library reads it.
    sessions = identity._session_manager
    with identity.store.unit_of_work(write=False) as uow:
        tokens = sessions.tokens(uow, sessions.require_row(uow, cookie))
    assert tokens is not None and tokens.refresh_token is not None
    return tokens.refresh_token


def _refresh_at_provider(identity: Identity, refresh_token: str) -> HttpResponse:
    # A refresh_token grant at the provider's token endpoint, authenticated
    # as the library authenticates (client_secret_basic or private_key_jwt).
    p = identity.providers.get("node")
    md = p.metadata()
    headers, form = client_auth(
        p.config, md, now=SystemClock().now(), randomness=SystemRandomness()
    )
    channel = identity.providers.back_channel
    return channel.request(
        "POST",
        md.token_endpoint,
        provider="node",
        max_bytes=channel.limits.max_response_bytes,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, **form},
        headers=headers,
    )


def test_dpop_login(
    store: SqlStore, oidc_provider: NodeOidcProvider, interop_ca: TestCA, browser: httpx.Client
) -> None:
    """A DPoP-bound client: PAR, token (after the server's nonce challenge), UserInfo and refresh, all with proofs."""
    key = oidc_provider.jwt_client_key
    config = ProviderConfig(
        name="node-dpop",
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.dpop_client_id,
        client_auth=PrivateKeyJwt(key=key.as_dict(private=True)),
        redirect_uri=oidc_provider.redirect_uri,
        post_logout_redirect_uri=oidc_provider.post_logout_redirect_uri,
        scopes=("openid", "email"),
        acr_map=ACR,
        fetch_userinfo=True,
        dpop=True,
    )
    providers = Providers([config], ssl_context=interop_ca.client_context)
    identity = Identity(store, providers)
    try:
        cookie, claims = _first_login(identity, browser, oidc_provider, "node-dpop")
        assert claims["email"] == "alice@example.test"  # UserInfo, with Authorization: DPoP
        md = providers.get("node-dpop").metadata()
        assert md.dpop_algorithm == "ES256"
        # The server demanded a nonce (RFC 9449 §8), and we kept the one it gave.
        assert providers.get("node-dpop").dpop_nonces.get(md.token_endpoint) is not None
        headers = identity.authorization_headers(cookie, "GET", md.userinfo_endpoint or "")
        assert headers["Authorization"].startswith("DPoP ")
        before = identity.access_token(cookie)
        identity.refresh(cookie)
        assert identity.access_token(cookie) != before
        assert identity.logout(cookie).url is not None
    finally:
        providers.close()
