"""
DPoP (RFC 9449, SEC-22): sender-constrained tokens against a loopback
provider that checks every proof with joserfc.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec

from ircc_account._clock import FrozenClock
from ircc_account._model import Decision
from ircc_account._storage import SqlStore
from ircc_account._storage._schema_identity import identity_sessions
from ircc_account.errors import InvalidCallback, InvalidToken, ProviderMetadataInvalid
from ircc_account.hazmat.jose import jwk_thumbprint, parse_compact_jws
from ircc_account.identity import Identity, LoginOutcome, Providers
from ircc_account.identity._dpop import DpopKey
from ircc_account.identity._secrets import id_hash

from ._op import LoopbackOP
from .conftest import RecordingAudit, login, make_config
from .test_login import _register

IP = "198.51.100.7"
_PRIVATE = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture
def store(store_on_both: SqlStore) -> SqlStore:
    """These tests run on SQLite and on PostgreSQL."""
    return store_on_both


@pytest.fixture
def dpop_identity(
    store: SqlStore,
    op: LoopbackOP,
    client_key: ec.EllipticCurvePrivateKey,
    tls: ssl.SSLContext,
    clock: FrozenClock,
    audit: RecordingAudit,
) -> Iterator[Identity]:
    """An Identity for provider A with dpop=True and UserInfo on."""
    providers = Providers(
        [make_config(op, client_key, dpop=True, fetch_userinfo=True)], ssl_context=tls, clock=clock
    )
    yield Identity(store, providers, clock=clock, audit=audit)
    providers.close()


def _session_key(identity: Identity, cookie: str) -> DpopKey:
    with identity.store.unit_of_work(write=False) as uow:
        row = identity._session_manager.live_row(uow, cookie)
        assert row is not None
        tokens = identity._session_manager.tokens(uow, row)
    assert tokens is not None and tokens.dpop_key is not None and tokens.token_type == "DPoP"
    return DpopKey.from_json(tokens.dpop_key)


def test_sec_22_dpop_login_refresh_and_userinfo(
    dpop_identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Token, UserInfo and refresh requests carry valid proofs of one session key; the tokens are DPoP-bound to it."""
    result = login(dpop_identity, browser)
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL
    assert result.claims["email"] == "a@example.com"
    cookie = _register(dpop_identity, result.issued.cookie_value)
    dpop_identity.refresh(cookie)
    assert op.dpop.errors == []
    jkt = jwk_thumbprint(_session_key(dpop_identity, cookie).public_jwk())
    assert set(op.dpop.bound.values()) == {jkt}
    kinds = [(c["htm"], c["htu"], "ath" in c) for _, c in op.dpop.proofs]
    assert kinds == [
        ("POST", f"{op.issuer}/token", False),
        ("GET", f"{op.issuer}/userinfo", True),
        ("POST", f"{op.issuer}/token", False),
    ]
    for header, claims in op.dpop.proofs:
        assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
        assert not _PRIVATE & set(header["jwk"])
        assert len(claims["jti"]) >= 43
    assert len({c["jti"] for _, c in op.dpop.proofs}) == len(op.dpop.proofs)


def test_sec_22_each_session_gets_its_own_key(
    dpop_identity: Identity, browser: httpx.Client
) -> None:
    """Two logins make two sessions with different DPoP keys."""
    a = login(dpop_identity, browser).issued.cookie_value
    b = login(dpop_identity, browser).issued.cookie_value
    assert (
        _session_key(dpop_identity, a).public_jwk() != _session_key(dpop_identity, b).public_jwk()
    )


def test_sec_22_dpop_nonce_is_used_after_one_retry(
    dpop_identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A server that demands nonces: each endpoint's first request is challenged once, the retry carries the nonce."""
    op.bad.dpop_require_nonce = True
    result = login(dpop_identity, browser)
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL
    assert op.dpop.errors == []
    assert op.count("/token") == 2 and op.count("/userinfo") == 2
    nonces = [c.get("nonce") for _, c in op.dpop.proofs]
    assert nonces[0] is None and nonces[1] == op.dpop.nonces_issued[0]
    # The server's latest nonce goes first; the resource challenges (401) and gives its own.
    assert nonces[2] == op.dpop.nonces_issued[0]
    assert nonces[3] == op.dpop.resource_nonces[0]


def test_sec_22_nonce_challenge_is_retried_once_only(
    dpop_identity: Identity,
    browser: httpx.Client,
    op: LoopbackOP,
    store: SqlStore,
    audit: RecordingAudit,
) -> None:
    """A server that challenges every proof gets exactly one retry, then the login is refused: one audit entry, no session."""
    op.bad.dpop_require_nonce = op.bad.dpop_nonce_always_stale = True
    redirect = dpop_identity.start_login(None, "a", client_key=IP)
    assert redirect.issued is not None
    from .conftest import authorize

    query = authorize(browser, redirect.url)
    with pytest.raises(InvalidCallback) as info:
        dpop_identity.complete_login(redirect.issued.cookie_value, query, client_key=IP)
    assert info.value.params["error"] == "use_dpop_nonce"
    assert op.count("/token") == 2
    assert [(e.action, e.decision) for e in audit.entries] == [("login.refused", Decision.DENIED)]
    with store.engine.connect() as c:
        blobs = c.execute(sa.select(identity_sessions.c.tokens_ct)).scalars().all()
    assert all(b is None for b in blobs)


def test_sec_22_a_bearer_answer_to_a_dpop_request_is_refused(
    dpop_identity: Identity,
    browser: httpx.Client,
    op: LoopbackOP,
    audit: RecordingAudit,
    store: SqlStore,
) -> None:
    """With DPoP on, a token response that is not DPoP-bound (token_type Bearer) is refused: one audit entry, no signed-in or pending session, no token stored."""
    op.bad.token_response["token_type"] = "Bearer"
    with pytest.raises(InvalidToken) as info:
        login(dpop_identity, browser)
    assert info.value.reason == "token_response.token_type"
    assert [e.action for e in audit.entries] == ["login.refused"]
    s = identity_sessions.c
    with store.engine.connect() as c:
        rows = c.execute(sa.select(s.state, s.subject, s.pending_subject, s.tokens_ct)).all()
    # Only the anonymous session the login started from: nobody signed in,
    # no credential pending, no token kept.
    assert [(r.state, r.subject, r.pending_subject, r.tokens_ct) for r in rows] == [
        ("anonymous", None, None, None)
    ]


def test_sec_22_a_provider_without_dpop_is_refused_when_dpop_is_on(
    dpop_identity: Identity, op: LoopbackOP, audit: RecordingAudit
) -> None:
    """dpop=True and a provider whose discovery lists no DPoP algorithms: ProviderMetadataInvalid, recorded once as login.refused."""
    op.bad.metadata["dpop_signing_alg_values_supported"] = None
    with pytest.raises(ProviderMetadataInvalid) as info:
        dpop_identity.start_login(None, "a", client_key=IP)
    assert info.value.reason == "metadata.dpop"
    assert [(e.action, e.reason) for e in audit.entries] == [
        ("login.refused", "provider a: metadata.dpop")
    ]


def test_sec_22_authorization_headers_for_a_resource(
    dpop_identity: Identity,
    identity: Identity,
    browser: httpx.Client,
    op: LoopbackOP,
) -> None:
    """A DPoP session's headers are "DPoP <token>" and a proof for that method and URL (no query), with ath."""
    cookie = login(dpop_identity, browser).issued.cookie_value
    headers = dpop_identity.authorization_headers(
        cookie, "GET", "https://api.example.gc.ca/files?page=2#top", nonce="n-1"
    )
    token = dpop_identity.access_token(cookie)
    assert headers["Authorization"] == f"DPoP {token}"
    proof = parse_compact_jws(headers["DPoP"])
    claims = json.loads(proof.payload)
    assert claims["htu"] == "https://api.example.gc.ca/files" and claims["htm"] == "GET"
    assert claims["nonce"] == "n-1" and "ath" in claims
    assert not _PRIVATE & set(proof.header["jwk"])
    bearer = login(identity, browser).issued.cookie_value
    assert identity.authorization_headers(bearer, "GET", "https://api.example.gc.ca/x") == {
        "Authorization": f"Bearer {identity.access_token(bearer)}"
    }


def test_sec_22_the_dpop_key_is_never_logged_or_in_a_cookie(
    dpop_identity: Identity,
    browser: httpx.Client,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The private key's d appears in no log record, cookie, repr or stored column in the clear."""
    with caplog.at_level(logging.DEBUG):
        result = login(dpop_identity, browser)
    cookie = result.issued.cookie_value
    key = _session_key(dpop_identity, cookie)
    d = json.loads(key.to_json())["d"]
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert d not in everything and d not in result.issued.set_cookie()
    assert d not in repr(result) and d not in repr(key)
    with store.engine.connect() as c:
        row = c.execute(
            sa.select(identity_sessions).where(identity_sessions.c.id_hash == id_hash(cookie))
        ).one()
    assert all(d.encode() not in (v if isinstance(v, bytes) else str(v).encode()) for v in row)
