"""
Our relying party against the npm oidc-provider (OpenID-certified, someone else's
code), over HTTPS with the throw-away CA: login with PAR and private_key_jwt,
refresh, RP-initiated logout and back-channel logout.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from ircc_account._crypto import Keyring
from ircc_account._model import AssuranceLevel, ContactDetails, PersonalDetails
from ircc_account._storage import SqlStore, open_store
from ircc_account.errors import SessionExpired
from ircc_account.identity import (
    ClientSecret,
    Identity,
    LoginOutcome,
    PrivateKeyJwt,
    ProviderConfig,
    Providers,
)
from ircc_account.testing._oidc_provider import (
    LogoutReceiver,
    NodeOidcProvider,
    drive_login,
    drive_logout,
)
from ircc_account.testing._tls import TestCA

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
    # The provider ended its session (sid) and tells us over the back channel.
    token = logout_receiver.wait_for_token()
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    status, headers = identity.handle_backchannel_logout(body, "application/x-www-form-urlencoded")
    assert status == 200 and ("Cache-Control", "no-store") in headers
    with pytest.raises(SessionExpired):
        identity.get_session(other)
    assert identity.handle_backchannel_logout(body, "application/x-www-form-urlencoded")[0] == 400
