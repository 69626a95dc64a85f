"""
Delegation tokens: minted only after the policy allows, verified strictly by legacy systems.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deleg_support import NOW, client_actor, rep_actor

from ircc_account._model import Action, Capacity, Membership, Organisation, Resource
from ircc_account._model._authz import Actor
from ircc_account._storage import SqlStore, open_store
from ircc_account.delegation import (
    TOKEN_LEEWAY,
    TOKEN_LIFETIME,
    Delegation,
    DelegationTokenIssuer,
    DelegationTokenVerifier,
    MemoryReplayStore,
    Policy,
    SqlReplayStore,
)
from ircc_account.delegation._tokens import public_jwk, sign_compact
from ircc_account.errors import AuthorizationError, ConfigurationError, InvalidToken

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


# --- one use, short lives -----------------------------------------------------------------


def test_a_token_is_accepted_once(token: str, issuer: DelegationTokenIssuer, clock: Any) -> None:
    """The same token presented twice to one verifier: the second time it is a replay, refused."""
    legacy = verifier(issuer, clock)
    legacy.verify(token)
    with pytest.raises(InvalidToken):
        legacy.verify(token)


def test_the_sql_replay_store_is_shared_by_every_process(
    token: str, issuer: DelegationTokenIssuer, clock: Any, database_url: str, keyring: Any
) -> None:
    """Two verifiers (two processes) on one database: a token used at one is refused at the other."""
    stores = [open_store(database_url, keyring=keyring) for _ in range(2)]
    try:
        first, second = (
            DelegationTokenVerifier(
                jwks=issuer.jwks(),
                issuer=ISS,
                audience=AUD,
                clock=clock,
                replay=SqlReplayStore(s, clock=clock),
            )
            for s in stores
        )
        first.verify(token)
        with pytest.raises(InvalidToken):
            second.verify(token)
    finally:
        for s in stores:
            s.close()


def test_of_two_racing_first_uses_one_wins(seeded: SqlStore, clock: Any) -> None:
    """Eight threads present the same token id at once: exactly one is told it is the first."""
    replay = SqlReplayStore(seeded, clock=clock)
    until = clock.now() + dt.timedelta(minutes=2)
    barrier = threading.Barrier(8)
    answers: list[bool] = []

    def use() -> None:
        barrier.wait()
        answers.append(replay.first_use(ISS, "jti-race", until))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [False] * 7 + [True]


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_replay_entries_are_kept_until_their_token_expires(
    seeded: SqlStore, clock: Any, kind: str
) -> None:
    """An entry refuses its token id until it expires, then is swept away."""
    replay = MemoryReplayStore(clock) if kind == "memory" else SqlReplayStore(seeded, clock=clock)
    until = clock.now() + dt.timedelta(minutes=2)
    assert replay.first_use(ISS, "jti-1", until)
    assert not replay.first_use(ISS, "jti-1", until)
    assert replay.first_use("https://other.example.ca", "jti-1", until)
    assert replay.purge() == 0
    clock.set(until)
    assert replay.purge() == 2


def test_default_lifetime_is_two_minutes_and_leeway_ten_seconds(
    token: str, issuer: DelegationTokenIssuer, clock: Any
) -> None:
    """A default token verifies up to ten seconds past its two minutes, and not at ten."""
    assert dt.timedelta(minutes=2) == TOKEN_LIFETIME
    assert dt.timedelta(seconds=10) == TOKEN_LEEWAY
    clock.advance(dt.timedelta(minutes=2, seconds=9))
    verifier(issuer, clock).verify(token)
    clock.advance(dt.timedelta(seconds=1))
    with pytest.raises(InvalidToken):
        verifier(issuer, clock).verify(token)


def test_long_lives_and_wide_leeways_are_refused(policy: Policy, clock: Any) -> None:
    """An issuer refuses a lifetime over five minutes; a verifier a leeway over a minute, and tokens living longer than five minutes."""
    key = Ed25519PrivateKey.generate()
    with pytest.raises(ConfigurationError):
        DelegationTokenIssuer(
            issuer=ISS, keys=[key], policy=policy, clock=clock, lifetime=dt.timedelta(minutes=6)
        )
    jwks = {"keys": [public_jwk(key.public_key())]}
    with pytest.raises(ConfigurationError):
        DelegationTokenVerifier(
            jwks=jwks, issuer=ISS, audience=AUD, clock=clock, leeway=dt.timedelta(seconds=61)
        )
    now = int(clock.now().timestamp())
    claims = {
        "iss": ISS,
        "aud": AUD,
        "sub": "client-1",
        "act": {"sub": "rep-family"},
        "scope": "view_status",
        "iat": now,
        "nbf": now,
        "jti": "j1",
        "gid": "grt-1",
    }
    legacy = DelegationTokenVerifier(jwks=jwks, issuer=ISS, audience=AUD, clock=clock)
    with pytest.raises(InvalidToken):
        legacy.verify(sign_compact(key, {**claims, "exp": now + 301}))
    assert legacy.verify(sign_compact(key, {**claims, "exp": now + 300})).grant_id == "grt-1"


# --- introspection: learning of a revocation -------------------------------------------------


def introspect(
    store: SqlStore, issuer: DelegationTokenIssuer, token: str, audience: str = AUD
) -> dict[str, Any]:
    with store.unit_of_work(write=False) as uow:
        return issuer.introspect(token, audience=audience, uow=uow)


def test_introspection_answers_from_the_grants_current_state(
    seeded: SqlStore, delegation: Delegation, issuer: DelegationTokenIssuer, token: str
) -> None:
    """An unexpired token is active while its grant stands, and inactive the moment it is revoked."""
    answer = introspect(seeded, issuer, token)
    assert answer["active"] is True
    assert {k: answer[k] for k in ("sub", "act", "scope", "aud", "iss", "svc", "item")} == {
        "sub": "client-1",
        "act": {"sub": "rep-family"},
        "scope": "view_status",
        "aud": AUD,
        "iss": ISS,
        "svc": "trv",
        "item": "app-1",
    }
    assert answer["exp"] - answer["iat"] == 120
    with seeded.unit_of_work() as uow:
        (g,) = delegation.grants(uow, client_actor())
        assert answer["gid"] == g.grant_id
        delegation.revoke(uow, client_actor(), g.grant_id)
        uow.commit()
    assert introspect(seeded, issuer, token) == {"active": False}


def test_introspection_is_tied_to_the_tokens_own_grant(
    seeded: SqlStore, delegation: Delegation, issuer: DelegationTokenIssuer, token: str
) -> None:
    """Another grant that would allow the same is no reason to keep a token of a revoked grant active."""
    with seeded.unit_of_work() as uow:
        (g,) = delegation.grants(uow, client_actor())
        delegation.grant(
            uow, client_actor(), grantee_id="rep-family", scopes=["view_status"], coverage="account"
        )
        delegation.revoke(uow, client_actor(), g.grant_id)
        uow.commit()
    assert introspect(seeded, issuer, token) == {"active": False}


def test_introspection_follows_membership_and_licence(
    seeded: SqlStore,
    delegation: Delegation,
    issuer: DelegationTokenIssuer,
    verifier: Any,
) -> None:
    """An office member's token dies when they leave; a consultant's when the body withdraws the licence."""
    with seeded.unit_of_work() as uow:
        delegation.add_organisation(
            uow, Organisation(organisation_id="mp", kind="mp_office", name="MP", created_at=NOW)
        )
        delegation.add_member(
            uow,
            Actor(actor_id="onboarding", capacity=Capacity.SYSTEM),
            Membership(
                organisation_id="mp",
                representative_id="rep-staff",
                role="staff",
                access_groups=["east"],
                started_at=NOW,
            ),
        )
        delegation.grant(
            uow,
            client_actor(),
            grantee_id="mp",
            grantee_is_organisation=True,
            access_group="east",
            scopes=["view_status"],
            coverage="account",
        )
        delegation.grant(
            uow, client_actor(), grantee_id="rep-consultant", scopes=["act"], coverage="account"
        )
        staff = issuer.issue(rep_actor("rep-staff"), Action.VIEW_STATUS, TRV, audience=AUD, uow=uow)
        paid = issuer.issue(rep_actor("rep-consultant"), Action.ACT, TRV, audience=AUD, uow=uow)
        uow.commit()
    assert (
        introspect(seeded, issuer, staff)["active"] and introspect(seeded, issuer, paid)["active"]
    )
    with seeded.unit_of_work() as uow:
        delegation.end_membership(uow, rep_actor("rep-staff"), "mp", "rep-staff")
        verifier.answers["R500001"] = (False, dt.date(2026, 12, 31))
        delegation.refresh_licence(uow, "rep-consultant")
        uow.commit()
    assert introspect(seeded, issuer, staff) == {"active": False}
    assert introspect(seeded, issuer, paid) == {"active": False}


def test_introspection_says_nothing_of_a_bad_token(
    seeded: SqlStore, issuer: DelegationTokenIssuer, token: str, clock: Any
) -> None:
    """Another system's, a forged, a malformed or an expired token is just inactive, with nothing else said."""
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = sign_compact(Ed25519PrivateKey.generate(), payload)
    for bad, audience in ((token, "legacy-other"), (forged, AUD), ("x.y", AUD), (token[:-3], AUD)):
        assert introspect(seeded, issuer, bad, audience) == {"active": False}
    clock.advance(dt.timedelta(minutes=2))
    assert introspect(seeded, issuer, token) == {"active": False}


def test_introspection_does_not_use_up_the_token(
    seeded: SqlStore, issuer: DelegationTokenIssuer, token: str, clock: Any
) -> None:
    """Asking about a token leaves it usable once at the legacy system."""
    assert introspect(seeded, issuer, token)["active"]
    assert introspect(seeded, issuer, token)["active"]
    verifier(issuer, clock).verify(token)


@pytest.mark.parametrize("jwks", [[], "keys", {"keys": 5}, {"keys": {"x": 1}}, {}])
def test_a_verifier_refuses_what_is_not_a_key_set(clock: Any, jwks: Any) -> None:
    """A verifier given something that is not a JWKS (fetched from elsewhere) says so with a typed error."""
    with pytest.raises(ConfigurationError):
        DelegationTokenVerifier(jwks=jwks, issuer=ISS, audience=AUD, clock=clock)


def test_members_that_are_not_keys_are_ignored(
    issuer: DelegationTokenIssuer, token: str, clock: Any
) -> None:
    """Members that are not objects, not Ed25519 keys, or whose "x" is not text are skipped; the good key still verifies."""
    junk: list[Any] = [5, "k", None, {"kty": "OKP", "crv": "Ed25519", "x": 5}, {"kty": "RSA"}]
    jwks = {"keys": [*junk, *issuer.jwks()["keys"]]}
    legacy = DelegationTokenVerifier(jwks=jwks, issuer=ISS, audience=AUD, clock=clock)
    assert legacy.verify(token).issuer == ISS


def _kept(store: SqlStore, client_id: str) -> list[tuple[str, str, str | None]]:
    """The client's audit entries as (action, decision, reason), oldest first."""
    import sqlalchemy as sa

    from ircc_account._storage._schema_audit import audit_entries as t

    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.action, t.c.decision, t.c.reason)
            .where(t.c.client_id == client_id)
            .order_by(t.c.seq)
        ).all()
    return [(r.action, r.decision, r.reason) for r in rows]


@pytest.fixture
def audited(seeded: SqlStore, clock: Any) -> tuple[Policy, DelegationTokenIssuer]:
    """A policy recording in the real audit log, and an issuer asking it."""
    from ircc_account.audit import AuditLog

    real = Policy(clock=clock, audit=AuditLog(seeded, clock=clock))
    return real, DelegationTokenIssuer(
        issuer=ISS, keys=[Ed25519PrivateKey.generate()], policy=real, clock=clock
    )


def test_the_client_themself_gets_no_token_and_the_refusal_is_kept_once(
    seeded: SqlStore, audited: tuple[Policy, DelegationTokenIssuer]
) -> None:
    """The client on their own file is refused a token (reason capacity), and ``with uow:`` rolling back keeps exactly one denied entry."""
    _, issuer = audited
    before = _kept(seeded, "client-1")
    with pytest.raises(AuthorizationError) as e, seeded.unit_of_work() as uow:
        issuer.issue(client_actor(), Action.VIEW_STATUS, TRV, audience=AUD, uow=uow)
        uow.commit()  # not reached
    assert e.value.params == {"reason": "capacity"}
    assert _kept(seeded, "client-1") == [*before, ("authz.view_status", "denied", "capacity")]


def test_a_refused_token_carries_the_policys_reason_and_is_kept_once(
    seeded: SqlStore, audited: tuple[Policy, DelegationTokenIssuer]
) -> None:
    """A representative without a grant is refused with the policy's reason, one kept entry past the rollback."""
    _, issuer = audited
    before = _kept(seeded, "client-1")
    with pytest.raises(AuthorizationError) as e, seeded.unit_of_work() as uow:
        issuer.issue(rep_actor("rep-family"), Action.VIEW_STATUS, TRV, audience=AUD, uow=uow)
        uow.commit()  # not reached
    assert e.value.params == {"reason": "no_grant"}
    assert _kept(seeded, "client-1") == [*before, ("authz.view_status", "denied", "no_grant")]


def test_a_refused_switch_inside_with_uow_is_kept_once(
    seeded: SqlStore, audited: tuple[Policy, DelegationTokenIssuer]
) -> None:
    """begin_acting_for refused inside ``with uow:`` rolls the unit back and keeps exactly one entry."""
    from ircc_account.delegation import begin_acting_for

    policy, _ = audited
    before = _kept(seeded, "client-1")
    with pytest.raises(AuthorizationError) as e, seeded.unit_of_work() as uow:
        begin_acting_for(policy, rep_actor("rep-family"), "client-1", uow=uow)
        uow.commit()  # not reached
    assert e.value.params == {"reason": "no_grant"}
    assert _kept(seeded, "client-1") == [*before, ("acting.begin", "denied", "no_grant")]
