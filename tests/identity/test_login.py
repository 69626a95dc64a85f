"""
Login end to end against the loopback providers: the code flow, PKCE, state,
nonce, the iss check, PAR, client authentication and ID token validation (SEC-01..21).
"""

from __future__ import annotations

import datetime as dt
import ssl
import time
import urllib.parse
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ircc_account._clock import FrozenClock
from ircc_account._model import AssuranceLevel, ContactDetails, PersonalDetails
from ircc_account._storage import SqlStore
from ircc_account._storage._schema_identity import identity_sessions, identity_transactions
from ircc_account.errors import (
    ConfigurationError,
    InvalidCallback,
    InvalidToken,
    ProviderMetadataInvalid,
    ProviderUnavailable,
)
from ircc_account.identity import (
    Identity,
    LoginOutcome,
    PrivateKeyJwt,
    Providers,
    SessionState,
)
from ircc_account.identity._secrets import code_challenge
from tests.hazmat._mint import Signer

from ._op import CLIENT_ID, LoopbackOP
from .conftest import authorize, login, make_config

IP = "198.51.100.7"


def _query(url: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def _register(identity: Identity, cookie: str) -> str:
    account, issued = identity.register_account(
        cookie,
        personal=PersonalDetails(family_name="Tremblay", date_of_birth=dt.date(1990, 5, 1)),
        contact=ContactDetails(email="m.tremblay@example.com"),
    )
    assert issued.session.account_id == account.account_id
    return issued.cookie_value


def _signed_in(identity: Identity, browser: httpx.Client) -> str:
    first = login(identity, browser)
    assert first.outcome is LoginOutcome.NEW_CREDENTIAL
    _register(identity, first.issued.cookie_value)
    again = login(identity, browser)
    assert again.outcome is LoginOutcome.SIGNED_IN
    return again.issued.cookie_value


def _callback(identity: Identity, browser: httpx.Client) -> tuple[str, str]:
    redirect = identity.start_login(None, "a", client_key=IP)
    assert redirect.issued is not None
    return redirect.issued.cookie_value, authorize(browser, redirect.url)


# --- the happy path ------------------------------------------------------------------


def test_first_login_is_a_new_credential_then_registration_signs_in(
    identity: Identity, browser: httpx.Client
) -> None:
    """A first login returns NEW_CREDENTIAL; registering creates the account and signs the session in."""
    result = login(identity, browser)
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL
    assert result.session.state is SessionState.PENDING
    assert result.session.account_id is None
    cookie = _register(identity, result.issued.cookie_value)
    session = identity.get_session(cookie)
    assert session.authenticated and session.assurance is AssuranceLevel.MODERATE


def test_sec_11_second_login_opens_the_same_account(
    identity: Identity, browser: httpx.Client
) -> None:
    """A later login with the same (iss, sub) signs in to the account registered before."""
    cookie = _signed_in(identity, browser)
    assert identity.get_session(cookie).authenticated


def test_sec_11_same_sub_at_two_providers_is_two_credentials(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, op_b: LoopbackOP
) -> None:
    """Provider B returning the same sub as provider A does not open A's account."""
    _signed_in(identity, browser)
    op_b.sub = op.sub
    result = login(identity, browser, provider="b")
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL


def test_sec_11_email_change_at_the_provider_keeps_the_account(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """The account is found by (iss, sub): a new email claim changes nothing."""
    cookie = _signed_in(identity, browser)
    account = identity.get_session(cookie).account_id
    op.bad.id_claims = {"email": "new@example.com"}
    again = login(identity, browser)
    assert again.outcome is LoginOutcome.SIGNED_IN and again.session.account_id == account


# --- SEC-01, SEC-02, SEC-21: the request ----------------------------------------------


def test_sec_01_sec_21_authorization_request_is_code_flow_with_minimum_scope(
    identity: Identity,
) -> None:
    """The front-channel request asks for response_type=code and exactly the configured scopes."""
    q = _query(identity.start_login(None, "a", client_key=IP).url)
    assert q["response_type"] == ["code"]
    assert q["scope"] == ["openid"]
    assert "response_mode" not in q


def test_ui_locales_ask_the_provider_for_the_persons_language(identity: Identity) -> None:
    """Languages in order of preference go out as ui_locales (OIDC Core 3.1.2.1); anything not a language tag is refused."""
    q = _query(identity.start_login(None, "a", client_key=IP, ui_locales=("fr-CA", "fr")).url)
    assert q["ui_locales"] == ["fr-CA fr"]
    assert "ui_locales" not in _query(identity.start_login(None, "a", client_key=IP).url)
    with pytest.raises(ConfigurationError):
        identity.start_login(None, "a", client_key=IP, ui_locales=("fr ca&x=1",))


def test_sec_01_tokens_in_the_callback_query_are_ignored(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """An access_token or id_token smuggled into the callback query never becomes the session's token."""
    op.bad.callback_extra = "&access_token=EVIL-AT&id_token=EVIL.ID.TOKEN"
    result = login(identity, browser)
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL
    cookie = _register(identity, result.issued.cookie_value)
    result = login(identity, browser, cookie=cookie)
    assert identity.access_token(result.issued.cookie_value) != "EVIL-AT"


def test_sec_02_rfc7636_appendix_b_vector() -> None:
    """The S256 challenge of the RFC 7636 Appendix B verifier is the published value."""
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_sec_02_challenges_are_fresh_s256_and_verified_by_the_provider(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Over 50 requests the challenges differ and use S256; the provider accepts the verifier."""
    challenges = set()
    for _ in range(50):
        q = _query(identity.start_login(None, "a", client_key=f"ip-{_}").url)
        assert q["code_challenge_method"] == ["S256"]
        assert len(q["code_challenge"][0]) == 43
        challenges.add(q["code_challenge"][0])
    assert len(challenges) == 50
    # The loopback provider refuses a verifier that does not hash to the challenge.
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL


def test_sec_03_sec_04_state_and_nonce_are_256_bit_and_distinct(identity: Identity) -> None:
    """state and nonce are 43 base64url characters (256 bits) and never repeat."""
    seen = set()
    for i in range(50):
        q = _query(identity.start_login(None, "a", client_key=f"ip-{i}").url)
        for name in ("state", "nonce"):
            (value,) = q[name]
            assert len(value) == 43
            seen.add(value)
    assert len(seen) == 100


# --- SEC-03, SEC-20: state -------------------------------------------------------------


@pytest.mark.parametrize("mutation", ["missing", "unknown"])
def test_sec_03_missing_or_unknown_state_is_rejected_before_the_token_request(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, mutation: str
) -> None:
    """A callback without state, or with one we never issued, fails without a token request."""
    cookie, query = _callback(identity, browser)
    fields = dict(urllib.parse.parse_qsl(query))
    if mutation == "missing":
        del fields["state"]
    else:
        fields["state"] = "A" * 43
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, urllib.parse.urlencode(fields), client_key=IP)
    assert op.count("/token") == 0


def test_sec_03_sec_20_another_sessions_state_is_rejected(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """The attacker's valid code and state delivered to the victim's browser make no session."""
    _attacker_cookie, query = _callback(identity, browser)
    victim = identity.start_login(None, "a", client_key=IP).issued
    assert victim is not None
    with pytest.raises(InvalidCallback):
        identity.complete_login(victim.cookie_value, query, client_key=IP)
    with pytest.raises(InvalidCallback):
        identity.complete_login(None, query, client_key=IP)
    assert op.count("/token") == 0


def test_sec_03_state_is_single_use_even_after_an_error(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A replayed callback fails, and so does a retry after a failed first use."""
    cookie, query = _callback(identity, browser)
    identity.complete_login(cookie, query, client_key=IP)
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, query, client_key=IP)
    op.bad.callback_iss = "https://evil.example"
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, query, client_key=IP)
    good = query.replace(urllib.parse.quote("https://evil.example", safe=""), "")
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, good, client_key=IP)
    assert op.count("/token") == 1


def test_sec_03_concurrent_replay_cannot_succeed_twice(
    identity: Identity, browser: httpx.Client, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A callback whose state another callback used up during its token request writes nothing."""
    cookie, query = _callback(identity, browser)
    real = identity._login._token_request

    def racing(*args: Any, **kwargs: Any) -> Any:
        got = real(*args, **kwargs)
        # The other callback with the same state commits first.
        with store.unit_of_work() as uow:
            uow.execute(identity_transactions.delete(), "login transaction")
            uow.commit()
        return got

    monkeypatch.setattr(identity._login, "_token_request", racing)
    with store.engine.connect() as c:
        before = c.execute(sa.select(sa.func.count()).select_from(identity_sessions)).scalar()
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, query, client_key=IP)
    with store.engine.connect() as c:
        after = c.execute(sa.select(sa.func.count()).select_from(identity_sessions)).scalar()
    assert after == before


def test_sec_03_expired_transaction_is_rejected(
    identity: Identity, browser: httpx.Client, clock: FrozenClock, op: LoopbackOP
) -> None:
    """A callback arriving after the transaction lifetime fails."""
    cookie, query = _callback(identity, browser)
    clock.advance(dt.timedelta(minutes=11))
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, query, client_key=IP)
    assert op.count("/token") == 0


def test_provider_error_response_carries_the_protocol_code(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """An error redirect raises InvalidCallback with the (known) OAuth error code, else "unknown"."""
    cookie, query = _callback(identity, browser)
    state = dict(urllib.parse.parse_qsl(query))["state"]
    error = urllib.parse.urlencode({"error": "login_required", "state": state, "iss": op.issuer})
    with pytest.raises(InvalidCallback) as info:
        identity.complete_login(cookie, error, client_key=IP)
    assert info.value.params["error"] == "login_required"
    cookie, query = _callback(identity, browser)
    state = dict(urllib.parse.parse_qsl(query))["state"]
    error = urllib.parse.urlencode({"error": "<script>", "state": state, "iss": op.issuer})
    with pytest.raises(InvalidCallback) as info:
        identity.complete_login(cookie, error, client_key=IP)
    assert info.value.params["error"] == "unknown"


# --- SEC-05: mix-up ---------------------------------------------------------------------


@pytest.mark.parametrize("iss", ["https://evil.example", "{issuer}/", "{upper}"])
def test_sec_05_iss_mismatch_aborts_before_token_request(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, iss: str
) -> None:
    """A callback iss of another issuer, a trailing-slash variant or another case is refused."""
    op.bad.callback_iss = iss.format(issuer=op.issuer, upper=op.issuer.upper())
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, query, client_key=IP)
    assert op.count("/token") == 0


def test_sec_05_missing_iss_when_advertised_aborts_before_token_request(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """With authorization_response_iss_parameter_supported, a callback without iss is refused."""
    op.bad.omit_callback_iss = True
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, query, client_key=IP)
    assert op.count("/token") == 0


def test_sec_05_missing_iss_accepted_when_not_advertised(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A provider that does not advertise RFC 9207 may omit iss."""
    op.bad.metadata = {"authorization_response_iss_parameter_supported": None}
    op.bad.omit_callback_iss = True
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL


def test_sec_05_code_from_provider_b_into_flow_started_at_a_is_rejected(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, op_b: LoopbackOP
) -> None:
    """Provider B's authorization response delivered to a flow started at A is refused, no token request."""
    cookie, query_a = _callback(identity, browser)
    redirect_b = identity.start_login(cookie, "b", client_key=IP)
    query_b = authorize(browser, redirect_b.url)
    state_a = dict(urllib.parse.parse_qsl(query_a))["state"]
    fields_b = dict(urllib.parse.parse_qsl(query_b))
    mixed = urllib.parse.urlencode({**fields_b, "state": state_a})
    with pytest.raises(InvalidCallback):
        identity.complete_login(cookie, mixed, client_key=IP)
    assert op.count("/token") == 0 and op_b.count("/token") == 0


# --- SEC-06: discovery -------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["{i}/", "{i}/other", "{I}"])
def test_sec_06_metadata_issuer_mismatch_refuses_login(
    identity: Identity, op: LoopbackOP, variant: str
) -> None:
    """Metadata whose issuer differs by trailing slash, path or case makes login impossible."""
    op.bad.metadata = {"issuer": variant.format(i=op.issuer, I=op.issuer.upper())}
    with pytest.raises(ProviderMetadataInvalid):
        identity.start_login(None, "a", client_key=IP)
    assert op.count("/authorize") == 0


def test_sec_06_non_https_endpoint_in_metadata_is_refused(
    identity: Identity, op: LoopbackOP
) -> None:
    """An http:// token endpoint in the metadata is refused."""
    op.bad.metadata = {"token_endpoint": "http://127.0.0.1/token"}
    with pytest.raises(ProviderMetadataInvalid):
        identity.start_login(None, "a", client_key=IP)


def test_sec_06_untrusted_certificate_is_refused(
    store: SqlStore, op: LoopbackOP, client_key: ec.EllipticCurvePrivateKey, clock: FrozenClock
) -> None:
    """Without the test CA in the trust store the provider cannot be reached."""
    providers = Providers([make_config(op, client_key)], ssl_context=ssl.create_default_context())
    with pytest.raises(ProviderUnavailable):
        Identity(store, providers, clock=clock).start_login(None, "a", client_key=IP)
    providers.close()


def test_sec_06_metadata_is_cached_and_shared(identity: Identity, op: LoopbackOP) -> None:
    """Ten logins fetch the discovery document once."""
    for i in range(10):
        identity.start_login(None, "a", client_key=f"ip-{i}")
    assert op.count("/.well-known/openid-configuration") == 1


# --- SEC-07..10, SEC-12..14: the ID token ---------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example"},
        {"aud": "other"},
        {"aud": ["other"], "azp": CLIENT_ID},
        {"aud": [CLIENT_ID, "untrusted"], "azp": CLIENT_ID},
        {"exp": int(time.time()) - 120},
        {"iat": None},
        {"sub": None},
        {"iat": int(time.time()) + 3600},
        {"nonce": "n-wrong"},
        {"nonce": None},
    ],
    ids=[
        "iss",
        "aud",
        "aud-azp",
        "aud-extra",
        "expired",
        "no-iat",
        "no-sub",
        "iat-future",
        "nonce-wrong",
        "nonce-missing",
    ],
)
def test_sec_04_sec_07_sec_08_sec_10_bad_id_token_claims_make_no_session(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, claims: dict[str, object]
) -> None:
    """Each invalid ID token claim fails the login with InvalidToken and no UserInfo call."""
    op.bad.id_claims = claims
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(cookie, query, client_key=IP)
    assert op.count("/userinfo") == 0
    assert identity.get_session(cookie).state is SessionState.ANONYMOUS


def test_sec_09_id_token_signed_by_another_key_is_rejected(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """An ID token signed with a key not in the provider's JWKS is refused (one refetch at most)."""
    op.bad.id_token_signer = Signer("ES256", kid="op-1")
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(cookie, query, client_key=IP)


def test_sec_09_alg_outside_the_pinned_allowlist_is_rejected(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """An RS256 ID token is refused when the provider is pinned to ES256."""
    op.bad.id_token_signer = Signer("RS256", kid="op-1")
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(cookie, query, client_key=IP)


def test_sec_12_requested_acr_below_policy_is_refused(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Asking for HIGH sends acr_values and refuses an ID token with a lower acr."""
    redirect = identity.start_login(None, "a", client_key=IP, acr=AssuranceLevel.HIGH)
    assert _query(redirect.url)["acr_values"] == ["high"]
    assert redirect.issued is not None
    query = authorize(browser, redirect.url)
    with pytest.raises(InvalidToken):
        identity.complete_login(redirect.issued.cookie_value, query, client_key=IP)


def test_sec_12_absent_acr_is_the_lowest_assurance(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """An ID token without acr (or with an unknown one) gives LOW assurance."""
    op.bad.id_claims = {"acr": None}
    first = login(identity, browser)
    cookie = _register(identity, first.issued.cookie_value)
    assert identity.get_session(cookie).assurance is AssuranceLevel.LOW
    op.bad.id_claims = {"acr": "gold-plated"}
    assert login(identity, browser).session.assurance is AssuranceLevel.LOW


def test_sec_12_max_age_exceeded_is_refused(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """With max_age sent, an auth_time older than it is refused."""
    op.bad.id_claims = {"auth_time": int(time.time()) - 3600}
    redirect = identity.start_login(None, "a", client_key=IP, max_age=60)
    assert _query(redirect.url)["max_age"] == ["60"]
    assert redirect.issued is not None
    query = authorize(browser, redirect.url)
    with pytest.raises(InvalidToken):
        identity.complete_login(redirect.issued.cookie_value, query, client_key=IP)


def test_sec_13_userinfo_sub_mismatch_is_rejected(
    store: SqlStore,
    op: LoopbackOP,
    client_key: ec.EllipticCurvePrivateKey,
    tls: ssl.SSLContext,
    clock: FrozenClock,
    browser: httpx.Client,
) -> None:
    """UserInfo naming another sub fails the login; a matching one is merged into the claims."""
    providers = Providers(
        [make_config(op, client_key, fetch_userinfo=True)], ssl_context=tls, clock=clock
    )
    identity = Identity(store, providers, clock=clock)
    assert login(identity, browser).claims["email"] == "a@example.com"
    op.bad.userinfo = {"sub": "someone-else"}
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(cookie, query, client_key=IP)
    providers.close()


@pytest.mark.parametrize(
    "response",
    [{"id_token": None}, {"token_type": "DPoP"}, {"access_token": None}, {"id_token": 7}],
    ids=["no-id-token", "token-type", "no-access-token", "id-token-type"],
)
def test_sec_14_token_response_without_id_token_or_bearer_fails(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, response: dict[str, object]
) -> None:
    """A token response lacking id_token or access_token, or not Bearer, fails the login."""
    op.bad.token_response = response
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(cookie, query, client_key=IP)


def test_sec_22_dpop_is_not_enabled_so_a_dpop_bound_token_is_refused(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """DPoP is not enabled: the RP holds no proof key, so a DPoP-bound token response fails."""
    op.bad.token_response = {"token_type": "DPoP"}
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(cookie, query, client_key=IP)
    session = identity.get_session(cookie)
    assert session.account_id is None and session.issuer is None


def test_sec_14_bad_at_hash_is_rejected(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """An at_hash that does not match the access token fails the login."""
    op.bad.id_claims = {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}
    cookie, query = _callback(identity, browser)
    with pytest.raises(InvalidToken):
        identity.complete_login(cookie, query, client_key=IP)


def test_token_endpoint_error_is_typed(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A 400 invalid_grant from the token endpoint is InvalidCallback carrying the code."""
    cookie, query = _callback(identity, browser)
    op.codes.clear()
    with pytest.raises(InvalidCallback) as info:
        identity.complete_login(cookie, query, client_key=IP)
    assert info.value.params["error"] == "invalid_grant"


# --- SEC-15: refresh ----------------------------------------------------------------------


def test_sec_15_refresh_keeps_the_session(identity: Identity, browser: httpx.Client) -> None:
    """A refresh replaces the access token and keeps the session signed in."""
    cookie = _signed_in(identity, browser)
    before = identity.access_token(cookie)
    identity.refresh(cookie)
    assert identity.access_token(cookie) != before


@pytest.mark.parametrize(
    "claims",
    [{"sub": "other"}, {"iss": "https://evil.example"}, {"aud": "other"}, {"azp": "other"}],
    ids=["sub", "iss", "aud", "azp"],
)
def test_sec_15_refreshed_id_token_with_changed_identity_is_rejected(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, claims: dict[str, object]
) -> None:
    """A refreshed ID token with another iss, sub, aud or azp is refused and the tokens are kept."""
    cookie = _signed_in(identity, browser)
    before = identity.access_token(cookie)
    op.bad.refresh_claims = claims
    with pytest.raises(InvalidToken):
        identity.refresh(cookie)
    assert identity.access_token(cookie) == before


# --- SEC-16, SEC-17: client authentication and PAR --------------------------------------


def test_sec_16_client_assertions_are_well_formed_and_unique(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """Each private_key_jwt assertion has iss=sub=client_id, aud the issuer string, a fresh jti, exp-iat ≤ 300."""
    for _ in range(5):
        login(identity, browser)
    assert len(op.assertions) == 5
    for a in op.assertions:
        assert a["iss"] == a["sub"] == CLIENT_ID
        assert a["aud"] == op.issuer and isinstance(a["aud"], str)
        assert 0 < a["exp"] - a["iat"] <= 300
    assert len({a["jti"] for a in op.assertions}) == 5


def test_sec_16_client_keys_must_fit_their_algorithm() -> None:
    """A private_key_jwt key of the wrong type, curve or size is refused when configured."""
    p256, p384 = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP384R1())
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 (the weak key under test)
    for key, alg in [(p384, "ES256"), (p256, "ES384"), (p256, "PS256"), (weak, "RS256")]:
        with pytest.raises(ConfigurationError):
            PrivateKeyJwt(key=key, algorithm=alg)
    assert PrivateKeyJwt(key=p384, algorithm="ES384").algorithm == "ES384"


def test_sec_17_par_front_channel_carries_only_client_id_and_request_uri(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """With PAR offered, the browser URL has exactly client_id and request_uri, and login completes."""
    op.bad.metadata = {"pushed_authorization_request_endpoint": f"{op.issuer}/par"}
    redirect = identity.start_login(None, "a", client_key=IP)
    assert set(_query(redirect.url)) == {"client_id", "request_uri"}
    assert op.count("/par") == 1
    assert redirect.issued is not None
    query = authorize(browser, redirect.url)
    result = identity.complete_login(redirect.issued.cookie_value, query, client_key=IP)
    assert result.outcome is LoginOutcome.NEW_CREDENTIAL


def test_sec_17_use_par_always_refuses_a_provider_without_par(
    store: SqlStore,
    op: LoopbackOP,
    client_key: ec.EllipticCurvePrivateKey,
    tls: ssl.SSLContext,
    clock: FrozenClock,
) -> None:
    """use_par="always" and no PAR endpoint in the metadata: no login starts."""
    providers = Providers(
        [make_config(op, client_key, use_par="always")], ssl_context=tls, clock=clock
    )
    with pytest.raises(ProviderMetadataInvalid):
        Identity(store, providers, clock=clock).start_login(None, "a", client_key=IP)
    providers.close()


# --- SEC-18: configuration -----------------------------------------------------------------


@pytest.mark.parametrize(
    "over",
    [
        {"redirect_uri": "http://portal.example.gc.ca/callback"},
        {"redirect_uri": "https://portal.example.gc.ca/callback#x"},
        {"issuer": "http://idp.example"},
        {"scopes": ("profile",)},
        {"leeway": dt.timedelta(seconds=301)},
        {"algorithms": frozenset({"none"})},
        {"algorithms": frozenset({"HS256"})},
        {"use_par": "sometimes"},
    ],
)
def test_sec_18_unsafe_provider_configuration_is_refused(
    op: LoopbackOP, client_key: ec.EllipticCurvePrivateKey, over: dict[str, object]
) -> None:
    """Non-HTTPS or fragment redirect URIs, scopes without openid, leeway over 300 s, none/HMAC are refused."""
    with pytest.raises(ConfigurationError):
        make_config(op, client_key, **over)


def test_sec_21_results_and_cookies_hold_no_provider_tokens(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """No token the provider issued appears in the cookie, the Set-Cookie header or any repr."""
    result = login(identity, browser)
    cookie = _register(identity, result.issued.cookie_value)
    result = login(identity, browser, cookie=cookie)
    shown = " ".join(
        [result.issued.set_cookie(), repr(result), repr(result.session), result.issued.cookie_value]
    )
    assert op.issued_tokens
    for token in op.issued_tokens:
        assert token not in shown
