"""
The development provider's DPoP (RFC 9449) and token revocation (RFC 7009),
driven with proofs made by joserfc, not by our relying party.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from ircc_account.devidp import DevClient, DevelopmentProvider, DevProviderConfig, DevUser
from ircc_account.hazmat.jose import b64url_encode
from ircc_account.testing._oidc_provider import drive_login, pkce_pair
from ircc_account.testing._tls import TestCA, make_test_ca

REDIRECT = "https://rp.example.test/callback"
ALICE = DevUser("alice", "sub-alice", "alice@example.test", "Alice", "Tremblay")
SECRET = "portal-secret-" + "x" * 20


def _config(*, nonce: bool) -> DevProviderConfig:
    return DevProviderConfig(
        development_mode=True,
        clients=[
            DevClient("portal", client_secret=SECRET, redirect_uris=[REDIRECT]),
            DevClient(
                "portal-dpop",
                client_secret=SECRET,
                redirect_uris=[REDIRECT],
                dpop_bound_access_tokens=True,
            ),
        ],
        users=[ALICE],
        dpop_nonce=nonce,
    )


@pytest.fixture(scope="module")
def ca() -> TestCA:
    """One throw-away CA for the module."""
    return make_test_ca()


@pytest.fixture(scope="module", params=[False, True], ids=["no-nonce", "nonce"])
def provider(ca: TestCA, request: pytest.FixtureRequest) -> Iterator[DevelopmentProvider]:
    """The development provider over HTTPS, with and without DPoP nonces."""
    provider = DevelopmentProvider(_config(nonce=request.param))
    with provider.serve(ssl_context=ca.server_context):
        yield provider
    provider.close()


@pytest.fixture
def http(ca: TestCA) -> Iterator[httpx.Client]:
    """A client that trusts only the test CA."""
    with httpx.Client(verify=ca.client_context) as client:
        yield client


class Prover:
    """A client's DPoP key; makes proofs with joserfc (RFC 9449 §4.2)."""

    def __init__(self, key: ECKey | None = None) -> None:
        self.key = key or ECKey.generate_key("P-256")
        self.nonce: str | None = None

    def proof(self, method: str, url: str, *, access_token: str | None = None, **over: Any) -> str:
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(24),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
        }
        if self.nonce is not None:
            claims["nonce"] = self.nonce
        if access_token is not None:
            claims["ath"] = b64url_encode(hashlib.sha256(access_token.encode()).digest())
        claims.update(over)
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}
        return jws.serialize_compact(header, json.dumps(claims), self.key)


def _post(
    http: httpx.Client, url: str, form: dict[str, str], client: str, **headers: str
) -> httpx.Response:
    return http.post(url, data=form, auth=(client, SECRET), headers=headers)


def _with_nonce(send: Any, prover: Prover) -> httpx.Response:
    """Send; on use_dpop_nonce, retry once with the server's nonce (RFC 9449 §8)."""
    response = send()
    if "dpop-nonce" in response.headers and response.status_code in (400, 401):
        prover.nonce = response.headers["dpop-nonce"]
        response = send()
    return response


def _code(http: httpx.Client, provider: DevelopmentProvider, client: str) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    params = {
        "client_id": client, "response_type": "code", "scope": "openid email",
        "redirect_uri": REDIRECT, "state": "s", "nonce": "n" + challenge[:10],
        "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": "alice",
    }  # fmt: skip
    response = drive_login(
        http, f"{provider.issuer()}/authorize?{urllib.parse.urlencode(params)}", REDIRECT
    )
    return {
        "grant_type": "authorization_code",
        "code": response["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }


def _dpop_tokens(
    http: httpx.Client, provider: DevelopmentProvider, prover: Prover, client: str = "portal"
) -> httpx.Response:
    form = _code(http, provider, client)
    url = f"{provider.issuer()}/token"
    return _with_nonce(
        lambda: _post(http, url, form, client, DPoP=prover.proof("POST", url)), prover
    )


def test_discovery_advertises_dpop_and_revocation(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """dpop_signing_alg_values_supported and revocation_endpoint are in the discovery document."""
    doc = http.get(f"{provider.issuer()}/.well-known/openid-configuration").json()
    assert "ES256" in doc["dpop_signing_alg_values_supported"]
    assert doc["revocation_endpoint"] == f"{provider.issuer()}/revoke"


def test_a_dpop_token_request_gets_a_dpop_bound_token(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """A valid proof at the token endpoint: token_type DPoP; UserInfo then needs the DPoP scheme and a proof by that key."""
    prover = Prover()
    tokens = _dpop_tokens(http, provider, prover)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "DPoP"
    at, url = body["access_token"], f"{provider.issuer()}/userinfo"
    assert http.get(url, headers={"Authorization": f"Bearer {at}"}).status_code == 401

    def call(who: Prover) -> httpx.Response:
        headers = {"Authorization": f"DPoP {at}", "DPoP": who.proof("GET", url, access_token=at)}
        return http.get(url, headers=headers)

    assert _with_nonce(lambda: call(prover), prover).json()["sub"] == ALICE.subject
    thief = Prover()
    thief.nonce = prover.nonce
    assert call(thief).status_code == 401


@pytest.mark.parametrize(
    "bad",
    [
        {"htu": "https://elsewhere.example/token"},
        {"htm": "GET"},
        {"iat": int(time.time()) - 3600},
        {"typ_header": "JWT"},
        {"private_jwk": True},
    ],
    ids=["htu", "htm", "stale-iat", "typ", "private-jwk"],
)
def test_bad_proofs_are_refused(
    http: httpx.Client, provider: DevelopmentProvider, bad: dict[str, Any]
) -> None:
    """A proof for another URL or method, too old, mistyped, or carrying a private key: 400 invalid_dpop_proof."""
    prover = Prover()
    form = _code(http, provider, "portal")
    url = f"{provider.issuer()}/token"

    def send() -> httpx.Response:
        claims = {k: v for k, v in bad.items() if k in ("htu", "htm", "iat")}
        proof = prover.proof("POST", url, **claims)
        if "typ_header" in bad or "private_jwk" in bad:
            header = {"typ": bad.get("typ_header", "dpop+jwt"), "alg": "ES256",
                      "jwk": prover.key.as_dict(private=bool(bad.get("private_jwk")))}  # fmt: skip
            payload = json.loads(jws.extract_compact(proof.encode()).payload)
            proof = jws.serialize_compact(header, json.dumps(payload), prover.key)
        return _post(http, url, form, "portal", DPoP=proof)

    response = _with_nonce(send, prover)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_a_replayed_proof_is_refused(http: httpx.Client, provider: DevelopmentProvider) -> None:
    """The same proof (same jti) twice: the second is refused."""
    prover = Prover()
    tokens = _dpop_tokens(http, provider, prover)
    at, url = tokens.json()["access_token"], f"{provider.issuer()}/userinfo"
    proof = prover.proof("GET", url, access_token=at)
    headers = {"Authorization": f"DPoP {at}", "DPoP": proof}
    first = http.get(url, headers=headers)
    if first.status_code == 401 and "dpop-nonce" in first.headers:
        prover.nonce = first.headers["dpop-nonce"]
        headers["DPoP"] = proof = prover.proof("GET", url, access_token=at)
        first = http.get(url, headers=headers)
    assert first.status_code == 200
    assert http.get(url, headers=headers).status_code == 401


def test_a_dpop_bound_client_must_send_a_proof(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """A client registered with dpop_bound_access_tokens gets 400 invalid_dpop_proof without a proof."""
    form = _code(http, provider, "portal-dpop")
    response = _post(http, f"{provider.issuer()}/token", form, "portal-dpop")
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof"


def test_nonce_is_demanded_when_configured(ca: TestCA, http: httpx.Client) -> None:
    """With dpop_nonce, a proof without the nonce gets 400 use_dpop_nonce and the DPoP-Nonce header."""
    provider = DevelopmentProvider(_config(nonce=True))
    with provider.serve(ssl_context=ca.server_context):
        form = _code(http, provider, "portal")
        url = f"{provider.issuer()}/token"
        response = _post(http, url, form, "portal", DPoP=Prover().proof("POST", url))
        assert response.status_code == 400 and response.json()["error"] == "use_dpop_nonce"
        assert response.headers["dpop-nonce"] == provider.dpop.nonce
    provider.close()


def test_rfc7009_revoked_refresh_token_no_longer_refreshes(
    http: httpx.Client, provider: DevelopmentProvider
) -> None:
    """Revoking the refresh token (authenticated, 200) makes the next refresh fail with invalid_grant."""
    form = _code(http, provider, "portal")
    tokens = _post(http, f"{provider.issuer()}/token", form, "portal").json()
    revoke = _post(
        http,
        f"{provider.issuer()}/revoke",
        {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        "portal",
    )
    assert revoke.status_code == 200
    again = _post(
        http,
        f"{provider.issuer()}/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        "portal",
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
