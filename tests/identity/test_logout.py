"""
RP-initiated and back-channel logout (SEC-43..48).
"""

from __future__ import annotations

import logging
import urllib.parse

import httpx
import pytest
import sqlalchemy as sa

from ircc_account._storage import SqlStore
from ircc_account._storage._schema_identity import identity_sessions
from ircc_account.errors import InvalidCallback, SessionExpired
from ircc_account.identity import Identity
from tests.hazmat._mint import Signer, unsigned

from ._op import CLIENT_ID, POST_LOGOUT, LoopbackOP
from .conftest import RecordingAudit, login
from .test_login import _signed_in


@pytest.fixture
def store(store_on_both: SqlStore) -> SqlStore:
    """These tests run on SQLite and on PostgreSQL."""
    return store_on_both


FORM = "application/x-www-form-urlencoded"


def _body(token: str) -> bytes:
    return urllib.parse.urlencode({"logout_token": token}).encode()


def test_sec_43_rp_initiated_logout_destroys_first_then_redirects(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """The redirect carries id_token_hint, the registered post_logout_redirect_uri and a fresh state."""
    cookie = _signed_in(identity, browser)
    out = identity.logout(cookie)
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)
    assert out.url is not None and out.url.startswith(op.issuer + "/logout?")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(out.url).query))
    assert q["post_logout_redirect_uri"] == POST_LOGOUT
    assert q["id_token_hint"] in op.issued_tokens
    assert len(q["state"]) == 43
    identity.complete_logout(out.issued.cookie_value, f"state={q['state']}")
    with pytest.raises(InvalidCallback):
        identity.complete_logout(out.issued.cookie_value, f"state={q['state']}")


@pytest.mark.parametrize("query", ["", "state=", "state=AAAA", "state=a&state=b"])
def test_sec_43_logout_return_with_bad_or_missing_state_fails(
    identity: Identity, browser: httpx.Client, query: str
) -> None:
    """A return without state, with an unknown one, or with a duplicate is refused."""
    out = identity.logout(_signed_in(identity, browser))
    with pytest.raises(InvalidCallback):
        identity.complete_logout(out.issued.cookie_value, query)


def test_sec_43_logout_state_is_bound_to_the_browser(
    identity: Identity, browser: httpx.Client
) -> None:
    """Another browser presenting the logout state is refused."""
    out = identity.logout(_signed_in(identity, browser))
    assert out.url is not None
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(out.url).query))["state"]
    other = identity.logout(None).issued.cookie_value
    with pytest.raises(InvalidCallback):
        identity.complete_logout(other, f"state={state}")


def test_sec_47_backchannel_sid_ends_that_session_only(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, op_b: LoopbackOP
) -> None:
    """A valid logout token with sid ends the sessions of that sid; other issuers are untouched."""
    cookie = _signed_in(identity, browser)
    op_b.sub = op.sub
    other = login(identity, browser, provider="b").issued.cookie_value
    status, headers = identity.handle_backchannel_logout(_body(op.logout_token()), FORM)
    assert status == 200 and ("Cache-Control", "no-store") in headers
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)
    identity.get_session(other)


def test_sec_47_backchannel_sub_ends_every_session_and_tokens(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, store: SqlStore
) -> None:
    """A logout token with only sub ends all sessions of (iss, sub); no token blob is left."""
    a = _signed_in(identity, browser)
    b = login(identity, browser).issued.cookie_value
    status, _ = identity.handle_backchannel_logout(_body(op.logout_token(sid=None)), FORM)
    assert status == 200
    for cookie in (a, b):
        with pytest.raises(SessionExpired):
            identity.get_session(cookie)
    with store.engine.connect() as c:
        left = c.execute(
            sa.select(identity_sessions.c.tokens_ct).where(
                identity_sessions.c.tokens_ct.is_not(None)
            )
        ).all()
    assert left == []


def test_sec_47_already_logged_out_is_success(identity: Identity, op: LoopbackOP) -> None:
    """A logout for a subject with no session answers 200."""
    status, _ = identity.handle_backchannel_logout(_body(op.logout_token(sub="nobody")), FORM)
    assert status == 200


def test_sec_46_replayed_logout_token_is_refused(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """The same logout token twice: the second is refused (400)."""
    body = _body(op.logout_token())
    assert identity.handle_backchannel_logout(body, FORM)[0] == 200
    assert identity.handle_backchannel_logout(body, FORM)[0] == 400


@pytest.mark.parametrize(
    "make",
    [
        lambda op: op.logout_token(signer=Signer("ES256", kid="op-1")),
        lambda op: op.logout_token(iss="https://evil.example"),
        lambda op: op.logout_token(aud="other"),
        lambda op: op.logout_token(events=None),
        lambda op: op.logout_token(events={"http://example.com/other": {}}),
        lambda op: op.logout_token(nonce="n"),
        lambda op: op.logout_token(sub=None, sid=None),
        lambda op: op.logout_token(jti=None),
        lambda op: unsigned({"iss": op.issuer, "aud": CLIENT_ID}, typ="logout+jwt"),
        lambda op: op.signer.sign({"iss": op.issuer, "sub": op.sub, "aud": CLIENT_ID}),
    ],
    ids=[
        "wrong-key",
        "wrong-iss",
        "wrong-aud",
        "no-event",
        "wrong-event",
        "nonce",
        "no-sub-sid",
        "no-jti",
        "alg-none",
        "id-token",
    ],
)
def test_sec_28_sec_44_sec_45_bad_logout_tokens_get_400_and_sessions_survive(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, make: object
) -> None:
    """Each invalid logout token (or an ID token) is answered 400 and the session stays alive."""
    cookie = _signed_in(identity, browser)
    token = make(op)  # type: ignore[operator]
    status, headers = identity.handle_backchannel_logout(_body(token), FORM)
    assert status == 400 and ("Cache-Control", "no-store") in headers
    identity.get_session(cookie)


@pytest.mark.parametrize(
    ("body", "content_type", "method", "status"),
    [
        (b"", FORM, "GET", 405),
        (b'{"logout_token": "x"}', "application/json", "POST", 400),
        (b"", FORM, "POST", 400),
        (b"logout_token=a&logout_token=b", FORM, "POST", 400),
        (b"logout_token=a&extra=1", FORM, "POST", 400),
        (b"logout_token=" + b"a" * 40_000, FORM, "POST", 400),
    ],
)
def test_sec_48_endpoint_contract(
    identity: Identity, body: bytes, content_type: str, method: str, status: int
) -> None:
    """GET is 405; JSON, empty, duplicate, extra-field and oversized bodies are 400; always no-store."""
    got, headers = identity.handle_backchannel_logout(body, content_type, method=method)
    assert got == status and ("Cache-Control", "no-store") in headers


# --- BCL §2.5: other form values are ignored ------------------------------------------


@pytest.mark.parametrize(
    "shape",
    [
        "{token}&state=abc",
        "iss=https%3A%2F%2Fop.example&{token}",
        "x=1&x=2&{token}&y=",
        "{token}&logout_token_hint=1&%E2%9C%93=%E2%9C%93",
    ],
)
def test_bcl_2_5_extra_form_values_are_ignored(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, shape: str
) -> None:
    """A request with other form values besides logout_token (even repeated ones) ends the session: 200, no-store."""
    cookie = _signed_in(identity, browser)
    token = urllib.parse.urlencode({"logout_token": op.logout_token()})
    body = shape.format(token=token).encode()
    status, headers = identity.handle_backchannel_logout(body, FORM)
    assert status == 200 and ("Cache-Control", "no-store") in headers
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)


def test_bcl_2_5_body_may_be_text_and_content_type_may_carry_a_charset(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """The body as str (as some frameworks hand it over) and a charset parameter are accepted."""
    cookie = _signed_in(identity, browser)
    body = urllib.parse.urlencode({"logout_token": op.logout_token(), "extra": "1"})
    status, headers = identity.handle_backchannel_logout(
        body, "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
    )
    assert status == 200 and ("Cache-Control", "no-store") in headers
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)


@pytest.mark.parametrize(
    "body",
    [
        "logout_token={t}&logout_token={t}",
        "logout_token={t}&extra=1&logout_token={t}",
        "extra=1",
        "logout_token=",
    ],
)
def test_bcl_2_8_duplicated_or_missing_logout_token_is_400(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, audit: RecordingAudit, body: str
) -> None:
    """logout_token twice (even the same value), missing or empty: 400 with no-store, one audit entry, and the session lives."""
    cookie = _signed_in(identity, browser)
    before = len(audit.entries)
    token = urllib.parse.quote(op.logout_token())
    status, headers = identity.handle_backchannel_logout(body.format(t=token).encode(), FORM)
    assert status == 400 and ("Cache-Control", "no-store") in headers
    assert [e.action for e in audit.entries[before:]] == ["logout.backchannel.refused"]
    identity.get_session(cookie)


# --- RFC 7009: refresh tokens revoked at the provider on logout ---------------------------


def _refresh_token(identity: Identity, cookie: str, store: SqlStore) -> str:
    from ircc_account.identity._secrets import id_hash

    with store.unit_of_work(write=False) as uow:
        row = identity._session_manager.live_row(uow, cookie)
        assert row is not None and row["id_hash"] == id_hash(cookie)
        tokens = identity._session_manager.tokens(uow, row)
    assert tokens is not None and tokens.refresh_token is not None
    return tokens.refresh_token


def test_rfc7009_logout_revokes_the_refresh_token(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, store: SqlStore
) -> None:
    """RP-initiated logout revokes the session's refresh token at the revocation endpoint, with client authentication."""
    cookie = _signed_in(identity, browser)
    refresh = _refresh_token(identity, cookie, store)
    op.auth_methods.clear()
    out = identity.logout(cookie)
    assert out.url is not None
    assert op.revoked == [(refresh, "refresh_token")]
    assert op.auth_methods == ["private_key_jwt"]


def test_rfc7009_a_first_login_is_revoked_too(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, store: SqlStore
) -> None:
    """Logging out of a session still awaiting registration revokes its refresh token."""
    cookie = login(identity, browser).issued.cookie_value
    refresh = _refresh_token(identity, cookie, store)
    identity.logout(cookie)
    assert op.revoked == [(refresh, "refresh_token")]


def test_rfc7009_no_revocation_endpoint_means_no_call(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A provider without a revocation_endpoint is not called; logout works as before."""
    op.bad.metadata["revocation_endpoint"] = None
    cookie = _signed_in(identity, browser)
    assert identity.logout(cookie).url is not None
    assert op.count("/revoke") == 0


def test_rfc7009_a_failed_revocation_never_stops_logout(
    identity: Identity,
    browser: httpx.Client,
    op: LoopbackOP,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A revocation endpoint answering 503 is logged once at WARNING; the session is gone and the redirect returned."""
    op.bad.revoke_status = 503
    cookie = _signed_in(identity, browser)
    with caplog.at_level(logging.DEBUG):
        out = identity.logout(cookie)
    assert out.url is not None
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "revocation" in warnings[0].getMessage()
