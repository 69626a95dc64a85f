"""
Server-side sessions: ids, rotation, cookies, timeouts, logout, lists and step-up (SEC-33..40).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ircc_account._clock import FrozenClock, SystemRandomness
from ircc_account._model import AssuranceLevel
from ircc_account._storage import SqlStore
from ircc_account._storage._schema_identity import identity_sessions
from ircc_account.errors import ConfigurationError, SessionExpired, StepUpRequired
from ircc_account.identity import (
    Identity,
    Providers,
    RotationReason,
    SessionPolicy,
    SqlSessionStore,
    StepUpPlan,
    clear_cookie,
    session_cookie,
)
from ircc_account.identity._secrets import new_token

from .conftest import authorize, login
from .test_login import IP, _query, _signed_in


@pytest.fixture
def store(store_on_both: SqlStore) -> SqlStore:
    """These tests run on SQLite and on PostgreSQL."""
    return store_on_both


def test_sec_33_session_ids_are_unique_256_bit_base64url() -> None:
    """10⁴ ids are distinct, 43 base64url characters (256 bits), and decode to random bytes."""
    rnd = SystemRandomness()
    ids = [new_token(rnd) for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for value in ids[:100]:
        assert len(value) == 43
        assert len(base64.urlsafe_b64decode(value + "=")) == 32


def test_sec_33_the_store_holds_only_a_hash_of_the_id(
    identity: Identity, browser: httpx.Client, store: SqlStore
) -> None:
    """The sessions table holds SHA-256(id), never the cookie value."""
    cookie = _signed_in(identity, browser)
    with store.engine.connect() as c:
        rows = c.execute(sa.select(identity_sessions.c.id_hash)).scalars().all()
    assert hashlib.sha256(cookie.encode()).digest() in rows
    dump = b"".join(rows)
    assert cookie.encode() not in dump


def test_sec_34_login_issues_a_new_id_and_the_old_one_dies(
    identity: Identity, browser: httpx.Client
) -> None:
    """Fixation: the pre-login cookie is replaced at login and no longer works."""
    redirect = identity.start_login(None, "a", client_key=IP)
    assert redirect.issued is not None
    pre = redirect.issued.cookie_value
    result = identity.complete_login(pre, authorize(browser, redirect.url), client_key=IP)
    assert result.issued.cookie_value != pre
    with pytest.raises(SessionExpired):
        identity.get_session(pre)


def test_sec_34_rotate_and_act_for_replace_the_id(
    identity: Identity, browser: httpx.Client
) -> None:
    """rotate() and act_for() issue new ids; the old ones stop working; tokens follow."""
    cookie = _signed_in(identity, browser)
    token = identity.access_token(cookie)
    rotated = identity.rotate(cookie, RotationReason.PRIVILEGE_CHANGE)
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)
    acting = identity.act_for(rotated.cookie_value, "acct-client-1")
    assert acting.session.acting_for == "acct-client-1"
    with pytest.raises(SessionExpired):
        identity.get_session(rotated.cookie_value)
    assert identity.access_token(acting.cookie_value) == token


def test_sec_34_reauthentication_rotates(identity: Identity, browser: httpx.Client) -> None:
    """A step-up login from a signed-in session gives a new id."""
    cookie = _signed_in(identity, browser)
    again = login(identity, browser, cookie=cookie, force_login=True)
    assert again.issued.cookie_value != cookie
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)


class _RecordingSessionStore:
    """A session store that is not the SQL one: it delegates to it and notes each call."""

    def __init__(self) -> None:
        self._sql = SqlSessionStore()
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._sql, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)

        return call


def test_sec_34_any_session_store_retires_the_old_id_with_take(
    store: SqlStore, providers: Providers, clock: FrozenClock, browser: httpx.Client
) -> None:
    """A store other than SqlSessionStore is asked for the port's atomic take at login, not a get and a delete."""
    sessions = _RecordingSessionStore()
    identity = Identity(store, providers, clock=clock, sessions=sessions)
    redirect = identity.start_login(None, "a", client_key=IP)
    assert redirect.issued is not None
    pre = redirect.issued.cookie_value
    sessions.calls.clear()
    result = identity.complete_login(pre, authorize(browser, redirect.url), client_key=IP)
    assert sessions.calls == ["take", "insert"]
    assert identity.get_session(result.issued.cookie_value).pending is not None
    with pytest.raises(SessionExpired):
        identity.get_session(pre)


def test_sec_35_set_cookie_attributes(identity: Identity, browser: httpx.Client) -> None:
    """The Set-Cookie value has __Host-, Secure, HttpOnly, Path=/, SameSite=Lax, no Domain."""
    header = login(identity, browser).issued.set_cookie()
    parsed = SimpleCookie()
    parsed.load(header)
    (morsel,) = parsed.values()
    assert morsel.key.startswith("__Host-")
    assert morsel["secure"] and morsel["httponly"]
    assert morsel["path"] == "/" and morsel["samesite"] == "Lax" and not morsel["domain"]
    assert len(header) <= 4096
    assert "Max-Age=0" in clear_cookie()


def test_sec_35_cookie_helper_refuses_unsafe_names_and_values() -> None:
    """A cookie name without __Host- or a value outside base64url is refused."""
    with pytest.raises(ConfigurationError):
        session_cookie("abc", name="session")
    with pytest.raises(ConfigurationError):
        session_cookie("a;b=c")
    with pytest.raises(ConfigurationError):
        SessionPolicy(cookie_name="sid")


@pytest.mark.parametrize(
    ("advance", "alive"),
    [
        (dt.timedelta(minutes=29), True),
        (dt.timedelta(minutes=30), False),
    ],
)
def test_sec_36_idle_timeout(
    identity: Identity,
    browser: httpx.Client,
    clock: FrozenClock,
    advance: dt.timedelta,
    alive: bool,
) -> None:
    """A request just before 30 idle minutes keeps the session; at 30 it has ended."""
    cookie = _signed_in(identity, browser)
    clock.advance(advance)
    if alive:
        identity.get_session(cookie)
    else:
        with pytest.raises(SessionExpired):
            identity.get_session(cookie)


def test_sec_36_absolute_timeout(
    identity: Identity, browser: httpx.Client, clock: FrozenClock
) -> None:
    """Activity every 20 minutes keeps a session only until 12 hours after login."""
    cookie = _signed_in(identity, browser)
    for _ in range(35):
        clock.advance(dt.timedelta(minutes=20))
        identity.get_session(cookie)
    clock.advance(dt.timedelta(minutes=20))
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)


def test_sec_37_logout_deletes_the_session_and_replay_fails(
    identity: Identity, browser: httpx.Client
) -> None:
    """After logout, the copied cookie is unauthenticated."""
    cookie = _signed_in(identity, browser)
    identity.logout(cookie)
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)


def test_sec_38_end_all_sessions_and_disabled_account(
    identity: Identity, browser: httpx.Client, store: SqlStore
) -> None:
    """end_all_sessions ends every session of the account; a disabled account's session ends too."""
    cookie = _signed_in(identity, browser)
    account = identity.get_session(cookie).account_id
    assert account is not None
    assert identity.end_all_sessions(account) >= 1
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)
    cookie = login(identity, browser).issued.cookie_value
    with store.unit_of_work() as uow:
        uow.execute(sa.text("UPDATE accounts SET status='disabled'"), "account")
        uow.commit()
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)


def test_sec_39_list_and_end_own_sessions(identity: Identity, browser: httpx.Client) -> None:
    """Ending session A by its ref stops A's cookie and leaves B working."""
    a = _signed_in(identity, browser)
    b = login(identity, browser).issued.cookie_value
    refs = {s.ref for s in identity.list_sessions(b)}
    ref_a = identity.get_session(a).ref
    assert {ref_a, identity.get_session(b).ref} <= refs
    assert identity.end_session(b, ref_a)
    with pytest.raises(SessionExpired):
        identity.get_session(a)
    assert identity.get_session(b).authenticated
    assert not identity.end_session(b, "s:000000")


def test_sec_40_stale_auth_time_raises_step_up_with_a_plan(
    identity: Identity, browser: httpx.Client, clock: FrozenClock
) -> None:
    """require_assurance raises StepUpRequired for a weak or old login; the plan drives the next login."""
    cookie = _signed_in(identity, browser)
    session = identity.get_session(cookie)
    identity.require_assurance(session, AssuranceLevel.MODERATE, max_age=600)
    with pytest.raises(StepUpRequired) as info:
        identity.require_assurance(session, AssuranceLevel.HIGH)
    clock.advance(dt.timedelta(minutes=11))
    with pytest.raises(StepUpRequired) as stale:
        identity.require_assurance(identity.get_session(cookie), AssuranceLevel.LOW, max_age=300)
    plan = StepUpPlan.from_error(stale.value)
    assert plan.max_age == 300 and plan.provider == "a"
    url = identity.start_login(cookie, "a", client_key=IP, step_up=plan).url
    assert _query(url)["max_age"] == ["300"] and _query(url)["prompt"] == ["login"]
    high = StepUpPlan.from_error(info.value)
    assert _query(identity.start_login(cookie, "a", client_key=IP, step_up=high).url)[
        "acr_values"
    ] == ["high"]


def test_sec_40_anonymous_session_cannot_pass_require_assurance(identity: Identity) -> None:
    """A pre-login session is not signed in: SessionExpired."""
    issued = identity.start_login(None, "a", client_key=IP).issued
    assert issued is not None
    with pytest.raises(SessionExpired):
        identity.require_assurance(identity.get_session(issued.cookie_value), AssuranceLevel.LOW)


def test_tokens_are_encrypted_at_rest(
    identity: Identity, browser: httpx.Client, store: SqlStore
) -> None:
    """The stored session row holds none of the provider's tokens in the clear."""
    cookie = _signed_in(identity, browser)
    token = identity.access_token(cookie)
    with store.engine.connect() as c:
        blobs = c.execute(sa.select(identity_sessions.c.tokens_ct)).scalars().all()
    assert any(blobs)
    assert all(token.encode() not in (b or b"") for b in blobs)


def test_sec_34_a_store_without_replace_still_retires_the_old_id(
    store: SqlStore, providers: Providers, clock: FrozenClock, browser: httpx.Client
) -> None:
    """A session store that predates replace(): a login still takes the old session and issues a new id."""

    class OldStore(SqlSessionStore):
        replace = None  # type: ignore[assignment]

    identity = Identity(store, providers, clock=clock, sessions=OldStore())
    first = login(identity, browser)
    _register_and_relogin = identity.register_account
    from .test_login import _register

    cookie = _register(identity, first.issued.cookie_value)
    redirect = identity.start_login(cookie, "a", client_key=IP)
    again = identity.complete_login(cookie, authorize(browser, redirect.url), client_key=IP)
    assert again.issued.cookie_value != cookie
    with pytest.raises(SessionExpired):
        identity.get_session(cookie)
    assert identity.get_session(again.issued.cookie_value).authenticated


def test_sec_34_login_into_an_existing_session_rewrites_it_under_a_new_id(
    identity: Identity, browser: httpx.Client, store: SqlStore
) -> None:
    """Signing in from a pre-login session leaves exactly one row: the old id is gone, nothing of it survives."""
    cookie = _signed_in(identity, browser)
    redirect = identity.start_login(cookie, "a", client_key=IP)
    with store.engine.connect() as c:
        before = c.execute(sa.select(sa.func.count()).select_from(identity_sessions)).scalar()
    again = identity.complete_login(cookie, authorize(browser, redirect.url), client_key=IP)
    with store.engine.connect() as c:
        after = c.execute(sa.select(sa.func.count()).select_from(identity_sessions)).scalar()
        ids = c.execute(sa.select(identity_sessions.c.id_hash)).scalars().all()
    assert after == before
    assert hashlib.sha256(cookie.encode()).digest() not in ids
    assert hashlib.sha256(again.issued.cookie_value.encode()).digest() in ids
    assert identity.get_session(again.issued.cookie_value).acting_for is None
