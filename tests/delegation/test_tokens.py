"""
Delegation tokens: minted only after the policy allows, verified strictly by legacy systems.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deleg_support import client_actor, rep_actor

from ircc_account._model import Action, Resource
from ircc_account._storage import SqlStore
from ircc_account.delegation import (
    Delegation,
    DelegationTokenIssuer,
    DelegationTokenVerifier,
    Policy,
)
from ircc_account.delegation._tokens import sign_compact
from ircc_account.errors import AuthorizationError, InvalidToken

TRV = Resource(client_id="client-1", service_id="trv", item_id="app-1")
ISS, AUD = "https://account.example.ca", "legacy-gcms"


@pytest.fixture
def issuer(policy: Policy, clock: Any) -> DelegationTokenIssuer:
    return DelegationTokenIssuer(
        issuer=ISS, keys=[Ed25519PrivateKey.generate()], policy=policy, clock=clock
    )


@pytest.fixture
def token(seeded: SqlStore, delegation: Delegation, issuer: DelegationTokenIssuer) -> str:
    with seeded.unit_of_work() as uow:
        delegation.grant(
            uow, client_actor(), grantee_id="rep-family", scopes=["view_status"], coverage="account"
        )
        t = issuer.issue(rep_actor("rep-family"), Action.VIEW_STATUS, TRV, audience=AUD, uow=uow)
        uow.commit()
    return t


def verifier(
    issuer: DelegationTokenIssuer, clock: Any, audience: str = AUD
) -> DelegationTokenVerifier:
    return DelegationTokenVerifier(jwks=issuer.jwks(), issuer=ISS, audience=audience, clock=clock)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_token_says_who_acts_for_whom(
    token: str, issuer: DelegationTokenIssuer, clock: Any
) -> None:
    """A minted token verifies, with sub the client and act.sub the representative."""
    claims = verifier(issuer, clock).verify(token)
    assert (claims.client_id, claims.actor_id, claims.scope, claims.audience) == (
        "client-1",
        "rep-family",
        "view_status",
        AUD,
    )
    assert claims.expires_at - claims.issued_at == dt.timedelta(minutes=2)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "kid": issuer.current_kid, "typ": "ircc-delegation+jwt"}


def test_no_token_without_an_allowing_decision(
    seeded: SqlStore, issuer: DelegationTokenIssuer
) -> None:
    """A representative without a grant gets no token."""
    with seeded.unit_of_work() as uow, pytest.raises(AuthorizationError):
        issuer.issue(rep_actor("rep-family"), Action.VIEW_STATUS, TRV, audience=AUD, uow=uow)


def test_forged_signature_rejected(token: str, issuer: DelegationTokenIssuer, clock: Any) -> None:
    """A token with a changed payload or a foreign key's signature is rejected."""
    h, p, s = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(p + "=="))
    payload["act"] = {"sub": "rep-consultant"}
    with pytest.raises(InvalidToken):
        verifier(issuer, clock).verify(f"{h}.{b64(payload)}.{s}")
    forged = sign_compact(Ed25519PrivateKey.generate(), payload)
    with pytest.raises(InvalidToken):
        verifier(issuer, clock).verify(forged)


def test_expired_token_rejected(token: str, issuer: DelegationTokenIssuer, clock: Any) -> None:
    """Past its expiry (and leeway) a token is rejected."""
    clock.advance(dt.timedelta(minutes=5, seconds=31))
    with pytest.raises(InvalidToken):
        verifier(issuer, clock).verify(token)


def test_wrong_audience_rejected(token: str, issuer: DelegationTokenIssuer, clock: Any) -> None:
    """A token for one legacy system is refused by another."""
    with pytest.raises(InvalidToken):
        verifier(issuer, clock, audience="legacy-other").verify(token)


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "typ": "ircc-delegation+jwt"},
        {"alg": "EdDSA", "typ": "JWT"},
        {"alg": "HS256", "typ": "ircc-delegation+jwt"},
        {"alg": "EdDSA", "typ": "ircc-delegation+jwt", "crit": ["x"]},
    ],
)
def test_alg_none_and_wrong_typ_rejected(
    token: str, issuer: DelegationTokenIssuer, clock: Any, header: dict[str, Any]
) -> None:
    """alg=none, other algorithms, another typ or extra header members are rejected."""
    _, p, s = token.split(".")
    h = b64({**header, "kid": issuer.current_kid})
    for candidate in (f"{h}.{p}.{s}", f"{h}.{p}."):
        with pytest.raises(InvalidToken):
            verifier(issuer, clock).verify(candidate)


@pytest.mark.parametrize(
    "mangle", [lambda t: t + "=", lambda t: t.replace(".", "..", 1), lambda t: "", lambda t: t[:-2]]
)
def test_malformed_tokens_rejected(
    token: str, issuer: DelegationTokenIssuer, clock: Any, mangle: Any
) -> None:
    """Padding, extra parts, empty and truncated tokens are rejected."""
    with pytest.raises(InvalidToken):
        verifier(issuer, clock).verify(mangle(token))


def test_jwks_rotation_keeps_the_previous_key(
    token: str, issuer: DelegationTokenIssuer, clock: Any
) -> None:
    """After one rotation old tokens still verify; after two the old key is gone."""
    first = issuer.current_kid
    issuer.rotate()
    assert [k["kid"] for k in issuer.jwks()["keys"]][1] == first
    verifier(issuer, clock).verify(token)
    issuer.rotate()
    assert first not in {k["kid"] for k in issuer.jwks()["keys"]}
    with pytest.raises(InvalidToken):
        verifier(issuer, clock).verify(token)
