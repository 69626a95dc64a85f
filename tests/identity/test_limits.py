"""
Rate limits, size caps, no SSRF, and no secrets in logs (SEC-26, SEC-68, SEC-79, SEC-83, SEC-84).
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse

import httpx
import pytest

from ircc_account._clock import FrozenClock
from ircc_account.errors import InvalidToken, ProviderMetadataInvalid, RateLimited
from ircc_account.identity import Identity, RateLimiter, RateLimits
from ircc_account.identity._http import BackChannel, HttpLimits

from ._op import LoopbackOP
from .conftest import RecordingAudit, login
from .test_login import IP, _callback, _register

FORM = "application/x-www-form-urlencoded"


def test_sec_83_token_bucket_refills_with_the_clock() -> None:
    """A burst past capacity is refused; time refills the bucket; keys are independent."""
    clock = FrozenClock()
    limiter = RateLimiter(3, 1.0, clock=clock)
    assert [limiter.try_acquire("k") for _ in range(4)] == [True, True, True, False]
    assert limiter.try_acquire("other")
    clock.advance(1.0)
    assert limiter.try_acquire("k") and not limiter.try_acquire("k")


def test_sec_83_login_start_and_callback_bursts_are_refused(identity: Identity) -> None:
    """More than 20 login starts from one client key in a burst → RateLimited."""
    for _ in range(20):
        identity.start_login(None, "a", client_key="burst")
    with pytest.raises(RateLimited):
        identity.start_login(None, "a", client_key="burst")
    for _ in range(20):
        with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal before the limit.
            identity.complete_login(None, "state=x&code=y", client_key="burst")
    with pytest.raises(RateLimited):
        identity.complete_login(None, "state=x&code=y", client_key="burst")


def test_sec_83_limits_set_on_identity_apply_at_once(identity: Identity) -> None:
    """Limits assigned to Identity.rate_limits govern the very next request."""
    one = RateLimiter(1, 0.001)
    identity.rate_limits = RateLimits(
        login_start=one, callback=one, backchannel_logout=one, legacy_claim=one
    )
    assert identity.rate_limits.login_start is one
    identity.start_login(None, "a", client_key="k")
    with pytest.raises(RateLimited):
        identity.start_login(None, "a", client_key="k")


def test_sec_83_backchannel_logout_burst_gets_429(identity: Identity) -> None:
    """A burst of back-channel requests from one source is answered 429."""
    statuses = {
        identity.handle_backchannel_logout(b"logout_token=x", FORM, client_key="op")[0]
        for _ in range(101)
    }
    assert statuses == {400, 429}


def test_sec_26_unknown_kids_refetch_jwks_at_most_the_budget(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, audit: RecordingAudit
) -> None:
    """Ten logout tokens with random unknown kids cause at most the budget (2 a minute) of JWKS refetches, and ten audited refusals."""
    from tests.hazmat._mint import Signer

    login(identity, browser)
    before = op.count("/jwks")
    for i in range(10):
        token = op.logout_token(signer=Signer("ES256", kid=f"rnd-{i}"))
        body = urllib.parse.urlencode({"logout_token": token}).encode()
        assert identity.handle_backchannel_logout(body, FORM)[0] == 400
    assert op.count("/jwks") - before == 2
    refused = [e for e in audit.entries if e.action == "logout.backchannel.refused"]
    assert len(refused) == 10


def test_sec_79_oversized_metadata_is_refused(op: LoopbackOP, tls: object) -> None:
    """A discovery document larger than the cap is refused without reading it all."""
    op.bad.metadata = {"padding": "x" * 100_000}
    channel = BackChannel(ssl_context=tls, limits=HttpLimits(max_metadata_bytes=16_384))  # type: ignore[arg-type]
    with pytest.raises(ProviderMetadataInvalid):
        channel.request(
            "GET",
            op.issuer + "/.well-known/openid-configuration",
            provider="a",
            max_bytes=16_384,
        )
    channel.close()


def test_sec_79_back_channel_never_follows_redirects(identity: Identity, op: LoopbackOP) -> None:
    """A redirect from the provider on a back channel is a failure, not followed."""
    from ircc_account.errors import ProviderUnavailable

    channel = identity.providers.back_channel
    with pytest.raises(ProviderUnavailable):
        channel.request("GET", op.issuer + "/moved", provider="a", max_bytes=1024)
    assert op.count("/jwks") == 0


def test_sec_84_jku_and_x5u_in_tokens_are_never_fetched(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A logout token pointing jku/x5u at an attacker URL causes no request there (only to the OP)."""
    login(identity, browser)
    op.requests.clear()
    evil = op.issuer + "/evil-jwks"
    token = op.signer.sign({"iss": op.issuer}, typ="logout+jwt", jku=evil, x5u=evil, kid="nope")
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    identity.handle_backchannel_logout(body, FORM)
    assert set(op.requests) <= {"/jwks"}


def test_sec_68_no_token_values_in_debug_logs(
    identity: Identity,
    browser: httpx.Client,
    op: LoopbackOP,
    caplog: pytest.LogCaptureFixture,
    clock: FrozenClock,
) -> None:
    """Captured logs at DEBUG (ours, httpx, httpcore) hold no token, code, state, nonce, verifier or cookie."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "authlib", "ircc_account"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    secrets: list[str] = []
    result = login(identity, browser)
    cookie = _register(identity, result.issued.cookie_value)
    result = login(identity, browser, cookie=cookie)
    cookie = result.issued.cookie_value
    identity.refresh(cookie)
    identity.logout(cookie)
    op.bad.id_claims = {"nonce": "bad"}
    pre, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(pre, query, client_key=IP)
    redirect = identity.start_login(None, "a", client_key=IP)
    fields = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect.url).query))
    secrets += [fields["state"], fields["nonce"], pre]
    callback = dict(urllib.parse.parse_qsl(query))
    secrets += [callback["code"], callback["state"]]
    secrets += [*op.issued_tokens, cookie, result.issued.cookie_value]
    # The test's own browser (httpx too) logs the front-channel URLs, which carry
    # state and code by design; only what the relying party's back channel logs counts.
    front = ("/authorize", "portal.example.gc.ca/callback")
    texts = [r.getMessage() + " " + str(r.args) for r in caplog.records]
    text = "\n".join(t for t in texts if not any(f in t for f in front))
    assert caplog.records
    for secret in secrets:
        if len(secret) >= 16:
            assert secret not in text
    clock.advance(dt.timedelta(0))
