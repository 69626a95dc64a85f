"""
What a failed legacy claim leaves behind: counters keyed with the keyring's
blind index (never a plain hash of the UCI), expired once they no longer
count, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx
import pytest
import sqlalchemy as sa

from ircc_account._clock import FrozenClock
from ircc_account._storage import SqlStore
from ircc_account._storage._schema_identity import claim_attempt_key, identity_claim_attempts
from ircc_account.errors import LegacyClaimFailed
from ircc_account.identity import Identity

from .conftest import login
from .test_accounts import DOB, UCI, claims, store
from .test_login import _signed_in

__all__ = ["claims", "store"]  # the fixtures, shared with the accounts tests


def _keys(store: SqlStore) -> set[bytes]:
    with store.engine.connect() as c:
        return set(c.execute(sa.select(identity_claim_attempts.c.key_hash)).scalars())


def _fail(claims: Identity, cookie: str, uci: str = UCI) -> None:
    with pytest.raises(LegacyClaimFailed):
        claims.claim_legacy_file(
            cookie, client_key="ip-1", uci=uci, date_of_birth=DOB, application_number="W0"
        )


def test_a_failed_claims_counters_are_keyed_not_plain_hashes(
    claims: Identity, browser: httpx.Client, store: SqlStore
) -> None:
    """The counters of a failed claim are the keyring's blind indexes of the account and the UCI, not a hash anyone can recompute by trying every UCI."""
    cookie = _signed_in(claims, browser)
    account_id = claims.get_session(cookie).account_id
    assert account_id is not None
    _fail(claims, cookie)
    keys = _keys(store)
    assert keys == {
        claim_attempt_key(store.keyring, account_id=account_id),
        claim_attempt_key(store.keyring, uci=UCI),
    }
    digits = "".join(c for c in UCI if c.isdigit())
    for guess in (f"claim:uci:{digits}", digits, f"uci:{digits}", f"claim:account:{account_id}"):
        assert hashlib.sha256(guess.encode()).digest() not in keys


def test_counters_go_once_their_window_and_lockout_are_over(
    claims: Identity, browser: httpx.Client, store: SqlStore, clock: FrozenClock
) -> None:
    """A counter whose window has passed and that locks nothing is deleted by the next claim, so no trace of a UCI tried stays for ever."""
    cookie = _signed_in(claims, browser)
    _fail(claims, cookie, uci="8765-4321")
    old = _keys(store)
    assert len(old) == 2
    clock.advance(dt.timedelta(hours=25))
    cookie = login(claims, browser).issued.cookie_value
    assert claims.claim_legacy_file(cookie, client_key="ip-2", code="CODE-123456")
    assert _keys(store) & old == set()
