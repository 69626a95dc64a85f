"""
Diagnosis: a refused login says nothing to the user, tells the operator why
(a stable reason code, one WARNING), and is recorded once in the audit log.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import urllib.parse

import httpx
import pytest
import sqlalchemy as sa

from ircc_account._model import Decision
from ircc_account._storage import SqlStore
from ircc_account._storage._schema_identity import identity_sessions
from ircc_account.errors import IdentityError, InvalidCallback, InvalidToken
from ircc_account.identity import Identity
from tests.hazmat._mint import Signer

from ._op import LoopbackOP
from .conftest import RecordingAudit, authorize

IP = "198.51.100.7"
LOGGER = "ircc_account.identity"


@pytest.fixture
def store(store_on_both: SqlStore) -> SqlStore:
    """These tests run on SQLite and on PostgreSQL."""
    return store_on_both


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]


def _sessions(store: SqlStore) -> list[tuple[str, bytes | None]]:
    with store.engine.connect() as c:
        rows = c.execute(sa.select(identity_sessions.c.state, identity_sessions.c.tokens_ct))
        return [(r.state, r.tokens_ct) for r in rows]


def _start(identity: Identity, browser: httpx.Client) -> tuple[str, str]:
    redirect = identity.start_login(None, "a", client_key=IP)
    assert redirect.issued is not None
    return redirect.issued.cookie_value, authorize(browser, redirect.url)


@pytest.mark.parametrize(
    ("misbehave", "error", "reason"),
    [
        (
            lambda op: setattr(op.bad, "id_token_signer", Signer("ES256", kid="op-1")),
            InvalidToken,
            "signature",
        ),
        (
            lambda op: setattr(op.bad, "id_token_signer", Signer("ES256", kid="stranger")),
            InvalidToken,
            "key.unknown",
        ),
        (lambda op: op.bad.id_claims.update(nonce="other"), InvalidToken, "nonce"),
        (
            lambda op: op.bad.id_claims.update(aud=["ircc-portal", "other"], azp="ircc-portal"),
            InvalidToken,
            "aud.untrusted",
        ),
        (
            lambda op: setattr(op.bad, "callback_iss", "https://evil.example"),
            InvalidCallback,
            "iss.mismatch",
        ),
        (
            lambda op: op.bad.token_response.update(token_type="DPoP"),
            InvalidToken,
            "token_response.token_type",
        ),
        (lambda op: op.bad.token_response.update(id_token=None), InvalidToken, "id_token.missing"),
    ],
    ids=[
        "signature",
        "unknown-kid",
        "nonce",
        "untrusted-aud",
        "iss",
        "dpop-without-dpop",
        "no-id-token",
    ],
)
def test_refused_login_has_a_reason_one_warning_one_audit_entry_and_leaves_nothing(
    identity: Identity,
    browser: httpx.Client,
    op: LoopbackOP,
    store: SqlStore,
    audit: RecordingAudit,
    caplog: pytest.LogCaptureFixture,
    misbehave: object,
    error: type[IdentityError],
    reason: str,
) -> None:
    """The error is generic but carries its reason code; one WARNING names it; one audit entry; no session or token is left."""
    misbehave(op)  # type: ignore[operator]
    cookie, query = _start(identity, browser)
    before = _sessions(store)
    caplog.clear()
    with caplog.at_level(logging.DEBUG), pytest.raises(error) as info:
        identity.complete_login(cookie, query, client_key=IP)
    assert info.value.reason == reason
    assert reason not in str(info.value) and reason not in info.value.message("fr")
    warnings = _warnings(caplog)
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    text = warnings[0].getMessage()
    assert reason in text and "provider a" in text
    assert not any(token in text for token in op.issued_tokens)
    refused = [e for e in audit.entries if e.decision is Decision.DENIED]
    assert len(audit.entries) == 1 and len(refused) == 1
    assert refused[0].action == "login.refused" and reason in refused[0].reason
    assert _sessions(store) == before
    assert all(tokens is None for _, tokens in _sessions(store))


def test_malformed_callback_is_refused_once_with_its_reason(
    identity: Identity, audit: RecordingAudit, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback with two states: one WARNING with the reason, one audit entry, nothing else."""
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidCallback) as info:
        identity.complete_login(None, "state=a&state=b&code=c", client_key=IP)
    assert info.value.reason == "form.duplicate"
    assert len(_warnings(caplog)) == 1
    assert [e.action for e in audit.entries] == ["login.refused"]


def test_refused_backchannel_logout_is_logged_and_recorded_once(
    identity: Identity, op: LoopbackOP, audit: RecordingAudit, caplog: pytest.LogCaptureFixture
) -> None:
    """A logout token from an unknown key: 400, one WARNING with the reason, one audit entry."""
    token = op.logout_token(signer=Signer("ES256", kid="op-1"))
    body = urllib.parse.urlencode({"logout_token": token})
    with caplog.at_level(logging.DEBUG):
        status, _ = identity.handle_backchannel_logout(body, "application/x-www-form-urlencoded")
    assert status == 400
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "signature" in warnings[0].getMessage()
    assert token not in warnings[0].getMessage()
    assert [(e.action, e.decision) for e in audit.entries] == [
        ("logout.backchannel.refused", Decision.DENIED)
    ]


def test_nothing_reaches_stderr_when_the_application_configured_no_logging(
    tmp_path: object,
) -> None:
    """A refused login in a process without logging configuration writes nothing to stderr."""
    code = textwrap.dedent(
        f"""
        import pathlib
        from ircc_account._crypto import Keyring
        from ircc_account._storage import open_store
        from ircc_account.errors import InvalidCallback
        from ircc_account.identity import ClientSecret, Identity, ProviderConfig, Providers

        store = open_store("sqlite:///{tmp_path}/db.sqlite", keyring=Keyring.generate())
        providers = Providers([ProviderConfig(
            name="a", issuer="https://op.example", client_id="c",
            client_auth=ClientSecret(secret="s" * 8 + "3cr3t-3ntr0py-XY"),
            redirect_uri="https://rp.example/cb",
        )])
        try:
            Identity(store, providers).complete_login(None, "state=x&code=y", client_key="k")
        except InvalidCallback as e:
            print(e.reason)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "state.unknown"
    assert done.stderr == ""


def test_a_disabled_account_login_is_refused_and_recorded_in_its_file(
    identity: Identity, browser: httpx.Client, store: SqlStore, audit: RecordingAudit
) -> None:
    """Logging in to a disabled account: InvalidCallback (account.disabled), one entry in that account's file, no new session."""
    from .test_login import _signed_in

    cookie = _signed_in(identity, browser)
    account = identity.get_session(cookie).account_id
    with store.unit_of_work() as uow:
        uow.execute(sa.text("UPDATE accounts SET status='disabled'"), "account")
        uow.commit()
    before, sessions = len(audit.entries), len(_sessions(store))
    cookie, query = _start(identity, browser)
    with pytest.raises(InvalidCallback) as info:
        identity.complete_login(cookie, query, client_key=IP)
    assert info.value.reason == "account.disabled"
    refused = audit.entries[before:]
    assert [(e.action, e.client_id, e.decision) for e in refused] == [
        ("login.refused", account, Decision.DENIED)
    ]
    assert len(_sessions(store)) == sessions + 1  # only the pre-login session of _start


@pytest.mark.parametrize(
    ("misbehave", "reason"),
    [
        (
            lambda op: op.bad.metadata.update(
                token_endpoint_auth_methods_supported=["client_secret_basic"]
            ),
            "metadata.token_auth",
        ),
        (
            lambda op: op.bad.metadata.update(id_token_signing_alg_values_supported=["RS256"]),
            "metadata.algorithms",
        ),
        (
            lambda op: op.bad.metadata.update(
                pushed_authorization_request_endpoint=f"{op.issuer}/no-such-endpoint"
            ),
            "par.status",
        ),
    ],
    ids=["no-common-auth-method", "no-common-algorithm", "par-refused"],
)
def test_a_login_refused_at_its_start_is_logged_and_recorded_once(
    identity: Identity,
    op: LoopbackOP,
    store: SqlStore,
    audit: RecordingAudit,
    caplog: pytest.LogCaptureFixture,
    misbehave: object,
    reason: str,
) -> None:
    """A provider whose discovery shares no method or algorithm with the portal, or that refuses the pushed request: one WARNING, one login.refused entry with the reason, no session."""
    misbehave(op)  # type: ignore[operator]
    with caplog.at_level(logging.DEBUG), pytest.raises(IdentityError) as info:
        identity.start_login(None, "a", client_key=IP)
    assert info.value.reason == reason
    assert len(_warnings(caplog)) == 1
    assert [(e.action, e.decision, e.actor_id) for e in audit.entries] == [
        ("login.refused", Decision.DENIED, "anonymous")
    ]
    assert audit.entries[0].reason == f"provider a: {reason}"
    assert _sessions(store) == []
