"""
Registration, linking a second credential, and legacy claims with attempt limits.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from ircc_account._clock import FrozenClock
from ircc_account._model import ContactDetails, Decision, PersonalDetails
from ircc_account._storage import SqlStore
from ircc_account.errors import Conflict, LegacyClaimFailed, SessionExpired
from ircc_account.identity import ClaimPolicy, Identity, LegacyFileRef, LoginOutcome, Providers

from ._op import LoopbackOP
from .conftest import RecordingAudit, login
from .test_login import IP, _register, _signed_in


@pytest.fixture
def store(store_on_both: SqlStore) -> SqlStore:
    """These tests run on SQLite and on PostgreSQL."""
    return store_on_both


DOB = dt.date(1985, 3, 9)
UCI = "1234-5678"


class FakeLegacy:
    """One legacy file, matched by its details or a one-time code."""

    def __init__(self) -> None:
        self.codes = {"CODE-123456": LegacyFileRef("gcms", "W301234567")}

    def match_details(
        self, *, uci: str, date_of_birth: dt.date, application_number: str
    ) -> LegacyFileRef | None:
        if uci == UCI and date_of_birth == DOB and application_number == "W301234567":
            return LegacyFileRef("gcms", "W301234567")
        return None

    def redeem_code(self, code: str) -> LegacyFileRef | None:
        return self.codes.pop(code, None)


@pytest.fixture
def claims(
    store: SqlStore, providers: Providers, clock: FrozenClock, audit: RecordingAudit
) -> Identity:
    """An Identity with the fake legacy system and a limit of 3 failures."""
    return Identity(
        store,
        providers,
        clock=clock,
        audit=audit,
        legacy=FakeLegacy(),
        claim_policy=ClaimPolicy(max_failures=3),
    )


def test_register_writes_account_and_credential_in_one_unit(
    identity: Identity, browser: httpx.Client, audit: RecordingAudit
) -> None:
    """Registration links the credential; registering twice from the same session is refused."""
    pending = login(identity, browser).issued.cookie_value
    cookie = _register(identity, pending)
    assert [e.action for e in audit.entries] == ["account.register"]
    with pytest.raises(SessionExpired):
        _register(identity, cookie)
    assert login(identity, browser).outcome is LoginOutcome.SIGNED_IN


def test_register_needs_a_fresh_pending_credential(
    identity: Identity, browser: httpx.Client, clock: FrozenClock
) -> None:
    """A new credential older than the link window cannot be registered."""
    pending = login(identity, browser).issued.cookie_value
    clock.advance(dt.timedelta(minutes=11))
    with pytest.raises(SessionExpired):
        _register(identity, pending)


def test_link_second_credential_with_both_logins_in_one_session(
    identity: Identity, browser: httpx.Client, op_b: LoopbackOP, audit: RecordingAudit
) -> None:
    """A signed-in client logs in at B in the same session; link_credential links B to the account."""
    cookie = _signed_in(identity, browser)
    account = identity.get_session(cookie).account_id
    op_b.sub = "b-person"
    result = login(identity, browser, provider="b", cookie=cookie)
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL
    assert result.session.account_id == account and result.session.pending is not None
    credential, issued = identity.link_credential(result.issued.cookie_value)
    assert credential.account_id == account and issued.session.pending is None
    assert "credential.link" in [e.action for e in audit.entries]
    again = login(identity, browser, provider="b")
    assert again.outcome is LoginOutcome.SIGNED_IN and again.session.account_id == account


def test_link_refused_without_fresh_logins_or_signed_in_account(
    identity: Identity, browser: httpx.Client, op_b: LoopbackOP, clock: FrozenClock
) -> None:
    """Linking needs a signed-in account and both logins within the window."""
    op_b.sub = "b-alone"
    lonely = login(identity, browser, provider="b").issued.cookie_value
    with pytest.raises(SessionExpired):
        identity.link_credential(lonely)
    cookie = _signed_in(identity, browser)
    clock.advance(dt.timedelta(minutes=11))
    op_b.sub = "b-late"
    result = login(identity, browser, provider="b", cookie=cookie)
    with pytest.raises(SessionExpired):
        identity.link_credential(result.issued.cookie_value)


def test_link_of_a_credential_owned_by_another_account_is_refused(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, op_b: LoopbackOP
) -> None:
    """A credential already linked elsewhere signs in to its own account instead of linking."""
    op_b.sub = "b-owner"
    _register(identity, login(identity, browser, provider="b").issued.cookie_value)
    cookie = _signed_in(identity, browser)
    mine = identity.get_session(cookie).account_id
    result = login(identity, browser, provider="b", cookie=cookie)
    assert result.outcome is LoginOutcome.SIGNED_IN and result.session.account_id != mine


def test_link_conflict_is_typed(
    identity: Identity, browser: httpx.Client, op_b: LoopbackOP
) -> None:
    """Linking a credential that was linked meanwhile raises Conflict."""
    cookie = _signed_in(identity, browser)
    op_b.sub = "b-race"
    pending = login(identity, browser, provider="b", cookie=cookie).issued.cookie_value
    other = login(identity, browser, provider="b").issued.cookie_value
    identity.register_account(
        other,
        personal=PersonalDetails(family_name="Roy", date_of_birth=DOB),
        contact=ContactDetails(email="r@example.com"),
    )
    with pytest.raises(Conflict):
        identity.link_credential(pending)


def test_claim_by_details_and_by_code(
    claims: Identity, browser: httpx.Client, audit: RecordingAudit
) -> None:
    """Matching details claim the file; a one-time code works once; both are audited."""
    cookie = _signed_in(claims, browser)
    linked = claims.claim_legacy_file(
        cookie, client_key=IP, uci=UCI, date_of_birth=DOB, application_number="W301234567"
    )
    assert linked.file_number == "W301234567"
    again = claims.claim_legacy_file(cookie, client_key="ip-2", code="CODE-123456")
    assert again == linked
    with pytest.raises(LegacyClaimFailed):
        claims.claim_legacy_file(cookie, client_key="ip-3", code="CODE-123456")
    decisions = [e.decision for e in audit.entries if e.action == "legacy.claim"]
    assert decisions == [Decision.ALLOWED, Decision.ALLOWED, Decision.DENIED]


def test_claim_attempt_limit_locks_out_even_correct_details(
    claims: Identity, browser: httpx.Client, clock: FrozenClock, audit: RecordingAudit
) -> None:
    """After 3 failures the account is locked: the right details fail too, with the same message."""
    cookie = _signed_in(claims, browser)
    messages = set()
    for i in range(3):
        clock.advance(dt.timedelta(minutes=2))
        with pytest.raises(LegacyClaimFailed) as info:
            claims.claim_legacy_file(
                cookie, client_key=f"ip-{i}", uci=UCI, date_of_birth=DOB, application_number=f"W{i}"
            )
        messages.add(str(info.value))
    with pytest.raises(LegacyClaimFailed) as info:
        claims.claim_legacy_file(
            cookie, client_key="ip-9", uci=UCI, date_of_birth=DOB, application_number="W301234567"
        )
    messages.add(str(info.value))
    assert len(messages) == 1
    assert [e.reason for e in audit.entries if e.action == "legacy.claim"][-1] == "locked"
    clock.advance(dt.timedelta(hours=25))
    cookie = login(claims, browser).issued.cookie_value
    assert claims.claim_legacy_file(
        cookie, client_key="ip-10", uci=UCI, date_of_birth=DOB, application_number="W301234567"
    )


def test_claim_limit_per_target_stops_enumeration_across_accounts(
    claims: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Failures against one UCI from several accounts lock that target for everyone."""
    for i in range(3):
        op.sub = f"attacker-{i}"
        cookie = _signed_in(claims, browser)
        with pytest.raises(LegacyClaimFailed):
            claims.claim_legacy_file(
                cookie, client_key=f"ip-{i}", uci=UCI, date_of_birth=DOB, application_number="X"
            )
    op.sub = "victim"
    cookie = _signed_in(claims, browser)
    with pytest.raises(LegacyClaimFailed):
        claims.claim_legacy_file(
            cookie, client_key="ip-v", uci=UCI, date_of_birth=DOB, application_number="W301234567"
        )


def test_claim_needs_a_signed_in_session(claims: Identity) -> None:
    """An unknown cookie cannot claim."""
    with pytest.raises(SessionExpired):
        claims.claim_legacy_file(None, client_key=IP, code="CODE-123456")


def test_sec_67_login_success_is_audited_with_provider_and_assurance(
    identity: Identity, browser: httpx.Client, audit: RecordingAudit
) -> None:
    """A signed-in login leaves one login.success entry naming the provider and assurance."""
    _signed_in(identity, browser)
    logins = [e for e in audit.entries if e.action == "login.success"]
    assert len(logins) == 1 and logins[0].reason == "provider a assurance 2"
