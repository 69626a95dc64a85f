"""
The first login keeps its tokens: refresh and RP-initiated logout work for a
session of any age, before and after registration.
"""

from __future__ import annotations

import urllib.parse

import httpx
import pytest
import sqlalchemy as sa

from ircc_account._storage import SqlStore
from ircc_account._storage._schema_identity import identity_sessions
from ircc_account.errors import DecryptionFailed, SessionExpired
from ircc_account.identity import Identity, LoginOutcome
from ircc_account.identity._secrets import id_hash

from ._op import LoopbackOP
from .conftest import login
from .test_login import _register


@pytest.fixture
def store(store_on_both: SqlStore) -> SqlStore:
    """These tests run on SQLite and on PostgreSQL."""
    return store_on_both


def _new_user(identity: Identity, browser: httpx.Client) -> str:
    first = login(identity, browser)
    assert first.outcome is LoginOutcome.NEW_CREDENTIAL
    return first.issued.cookie_value


def test_refresh_right_after_registration_works(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Sign up, register, refresh at once: the first login's refresh token was kept, and a new access token comes back."""
    cookie = _register(identity, _new_user(identity, browser))
    before = identity.access_token(cookie)
    identity.refresh(cookie)
    after = identity.access_token(cookie)
    assert after != before and after in op.issued_tokens


def test_logout_right_after_registration_sends_id_token_hint(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Sign up, register, log out: the redirect carries the first login's ID token as id_token_hint."""
    cookie = _register(identity, _new_user(identity, browser))
    out = identity.logout(cookie)
    assert out.url is not None and out.url.startswith(op.issuer + "/logout?")
    hint = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(out.url).query))["id_token_hint"]
    assert hint in op.issued_tokens


def test_a_session_awaiting_registration_can_refresh_and_log_out(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Before registration the session already holds its tokens: refresh works, logout sends id_token_hint."""
    cookie = _new_user(identity, browser)
    identity.refresh(cookie)
    out = identity.logout(cookie)
    assert out.url is not None
    assert "id_token_hint=" in out.url


def test_pending_tokens_are_sealed_and_bound_to_their_session(
    identity: Identity, browser: httpx.Client, store: SqlStore
) -> None:
    """The tokens of a session without an account are encrypted, and a blob moved to another session does not open."""
    victim = _new_user(identity, browser)
    token = identity.access_token(victim)
    attacker = _new_user(identity, browser)
    with store.engine.begin() as c:
        blob = c.execute(
            sa.select(identity_sessions.c.tokens_ct).where(
                identity_sessions.c.id_hash == id_hash(victim)
            )
        ).scalar_one()
        assert blob is not None and token.encode() not in blob
        c.execute(
            identity_sessions.update()
            .where(identity_sessions.c.id_hash == id_hash(attacker))
            .values(tokens_ct=blob)
        )
    with pytest.raises((DecryptionFailed, SessionExpired)):
        identity.access_token(attacker)
    assert identity.access_token(victim) == token
