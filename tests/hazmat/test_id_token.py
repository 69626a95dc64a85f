"""
ID token validation (OIDC Core §3.1.3.7, §12.2), key selection and key policy, with real keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ircc_account._clock import FrozenClock
from ircc_account.errors import (
    ConfigurationError,
    InvalidLogoutToken,
    InvalidToken,
    ProviderMetadataInvalid,
)
from ircc_account.hazmat.jose import (
    IdTokenClaims,
    InMemoryJtiStore,
    JtiStore,
    JwksCache,
    KeySet,
    LogoutTokenClaims,
    validate_id_token,
    validate_logout_token,
    validate_refreshed_id_token,
)

from ._mint import (
    CLIENT_ID,
    ISSUER,
    LOGOUT_EVENT,
    NONCE,
    NOW,
    Signer,
    b64,
    b64json,
    hs256,
    id_claims,
    logout_claims,
    unsigned,
)

TS = int(NOW.timestamp())


@pytest.fixture(scope="module")
def rsa_signer() -> Signer:
    return Signer("RS256", "rsa1")


@pytest.fixture(scope="module")
def ec_signer() -> Signer:
    return Signer("ES256", "ec1")


@pytest.fixture(scope="module")
def ed_signer() -> Signer:
    return Signer("EdDSA", "ed1")


@pytest.fixture(scope="module")
def keys(rsa_signer: Signer, ec_signer: Signer, ed_signer: Signer) -> KeySet:
    return KeySet.from_jwks(rsa_signer.jwks(ec_signer, ed_signer))


def check(token: str, keys: Any, **kw: Any) -> IdTokenClaims:
    args: dict[str, Any] = {
        "keys": keys, "issuer": ISSUER, "client_id": CLIENT_ID, "nonce": NONCE, "now": NOW,
    }  # fmt: skip
    args.update(kw)
    return validate_id_token(token, **args)


def assert_rejected(token: str, keys: Any, **kw: Any) -> InvalidToken:
    with pytest.raises(InvalidToken) as info:
        check(token, keys, **kw)
    assert type(info.value) is InvalidToken
    return info.value


# --- SEC-09: signatures and algorithms --------------------------------------------


@pytest.mark.parametrize("which", ["rsa_signer", "ec_signer", "ed_signer"])
def test_sec_09_valid_token_accepted_for_each_key_type(
    which: str, keys: KeySet, request: pytest.FixtureRequest
) -> None:
    """A correctly signed ID token (RS256, ES256, EdDSA) is accepted with its claims typed."""
    signer: Signer = request.getfixturevalue(which)
    claims = check(signer.sign(id_claims()), keys)
    assert claims.iss == ISSUER and claims.aud == (CLIENT_ID,) and claims.alg == signer.alg
    assert claims.exp == NOW + dt.timedelta(seconds=300) and claims.iat == NOW
    assert claims.auth_time == NOW - dt.timedelta(seconds=30) and claims.amr == ("pwd", "otp")
    assert (
        claims.sub == "248289761001" and claims.nonce == NONCE and claims.claims["sid"] == "sid-1"
    )


def test_sec_09_23_alg_none_rejected(keys: KeySet) -> None:
    """Unsigned tokens (alg none in any case, with or without a signature part) are rejected."""
    for alg in ("none", "None", "NONE"):
        token = unsigned(id_claims(), kid="rsa1").replace(
            b64json({"alg": "none", "kid": "rsa1"}), b64json({"alg": alg, "kid": "rsa1"})
        )
        assert_rejected(token, keys)
        assert_rejected(token + "AAAA", keys)


def test_sec_09_24_hs256_keyed_with_rsa_public_key_rejected(
    rsa_signer: Signer, keys: KeySet
) -> None:
    """An HS256 token whose secret is the OP's RSA public key (PEM or DER) is rejected."""
    pub = rsa_signer.key.public_key()
    for secret in (
        pub.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        pub.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        json.dumps(rsa_signer.public).encode(),
    ):
        for kid in ("rsa1", None):
            header = {"kid": kid} if kid else {}
            assert_rejected(hs256(id_claims(), secret, **header), keys)
            assert_rejected(
                hs256(id_claims(), secret, **header), keys, algorithms=frozenset({"RS256"})
            )


def test_sec_09_wrong_signature_rejected(
    rsa_signer: Signer, ec_signer: Signer, keys: KeySet
) -> None:
    """A flipped signature byte, a changed payload, or a signature by another key are rejected."""
    for signer in (rsa_signer, ec_signer):
        token = signer.sign(id_claims())
        head, payload, sig = token.split(".")
        raw = bytearray(__import__("base64").urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
        raw[5] ^= 1
        assert_rejected(f"{head}.{payload}.{b64(bytes(raw))}", keys)
        assert_rejected(f"{head}.{b64json(id_claims(sub='attacker'))}.{sig}", keys)
    assert_rejected(Signer("RS256", "rsa1").sign(id_claims()), keys)
    assert_rejected(Signer("ES256", "ec1").sign(id_claims()), keys)


def test_sec_09_alg_not_in_pinned_allowlist_rejected(rsa_signer: Signer, keys: KeySet) -> None:
    """A correctly signed RS384/PS256 token is rejected when the RP pinned only RS256, whatever the OP says."""
    ps = Signer("PS256", "rsa1")
    ps.key, ps.public = rsa_signer.key, rsa_signer.public
    assert check(ps.sign(id_claims()), keys).alg == "PS256"
    assert_rejected(ps.sign(id_claims()), keys, algorithms=frozenset({"RS256"}))
    rs384 = Signer("RS384", "rsa1")
    rs384.key = rsa_signer.key
    assert_rejected(rs384.sign(id_claims()), keys)  # RS384 is not in DEFAULT_ALGORITHMS


@pytest.mark.parametrize(
    "bad", [frozenset({"none"}), frozenset({"HS256"}), frozenset(), frozenset({"RS256", "XX"})]
)
def test_sec_09_23_unsafe_allowlist_refused_at_configuration(
    bad: frozenset[str], rsa_signer: Signer, keys: KeySet
) -> None:
    """An allowlist naming none, an HMAC or an unknown alg (or empty) is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        check(rsa_signer.sign(id_claims()), keys, algorithms=bad)


# --- SEC-07, SEC-08: issuer and audience ------------------------------------------


@pytest.mark.parametrize("iss", ["https://evil.example", ISSUER + "/", ISSUER.upper(), "", 1, None])
def test_sec_07_issuer_must_match_exactly(iss: Any, rsa_signer: Signer, keys: KeySet) -> None:
    """A different, trailing-slash, differently cased, empty, non-string or missing iss is rejected."""
    assert_rejected(
        rsa_signer.sign(id_claims(iss=iss) if iss is not None else id_claims(iss=None)), keys
    )


@pytest.mark.parametrize(
    ("aud", "azp"),
    [
        ("other", None),
        (["other"], CLIENT_ID),
        ([CLIENT_ID, "untrusted"], CLIENT_ID),
        ([CLIENT_ID, "untrusted"], None),
        ([CLIENT_ID], "other"),
        (CLIENT_ID, "other"),
        ([], None),
        (123, None),
        ([CLIENT_ID, 1], CLIENT_ID),
        ({"aud": CLIENT_ID}, None),
    ],
)
def test_sec_08_extra_untrusted_audience_rejected(
    aud: Any, azp: Any, rsa_signer: Signer, keys: KeySet
) -> None:
    """aud must contain client_id, list no untrusted audience, and azp (if any) must be client_id."""
    assert_rejected(rsa_signer.sign(id_claims(aud=aud, azp=azp)), keys)


def test_sec_08_trusted_extra_audience_needs_azp(rsa_signer: Signer, keys: KeySet) -> None:
    """An extra audience is accepted only if configured as trusted, and then azp must be present."""
    token = rsa_signer.sign(id_claims(aud=[CLIENT_ID, "ircc-api"], azp=CLIENT_ID))
    assert check(token, keys, extra_trusted_audiences=["ircc-api"]).aud == (CLIENT_ID, "ircc-api")
    assert_rejected(token, keys)
    no_azp = rsa_signer.sign(id_claims(aud=[CLIENT_ID, "ircc-api"]))
    assert_rejected(no_azp, keys, extra_trusted_audiences=["ircc-api"])


# --- SEC-10: required claims, types and time ---------------------------------------


@pytest.mark.parametrize("missing", ["iss", "sub", "aud", "exp", "iat", "nonce"])
def test_sec_10_missing_required_claim_rejected(
    missing: str, rsa_signer: Signer, keys: KeySet
) -> None:
    """A token without iss, sub, aud, exp, iat or nonce is rejected."""
    assert_rejected(rsa_signer.sign(id_claims(**{missing: None})), keys)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", True), ("exp", str(TS + 300)), ("exp", float("inf")), ("exp", 10**20), ("exp", -1),
        ("iat", False), ("iat", [TS]), ("nbf", "0"), ("auth_time", True), ("sub", 123),
        ("sub", "x" * 256), ("sub", ""), ("sub", "é"), ("sub", "a\nb"), ("nonce", 1),
        ("azp", ["ircc-portal"]), ("acr", 2), ("amr", "pwd"), ("amr", [1]), ("sid", 5),
    ],
)  # fmt: skip
def test_sec_10_82_claim_types_are_strict(
    claim: str, value: Any, rsa_signer: Signer, keys: KeySet
) -> None:
    """Times are numbers (not booleans or strings), sub is 1-255 printable ASCII, strings are strings."""
    payload = json.dumps(id_claims(**{claim: value}), allow_nan=True).encode()
    assert_rejected(rsa_signer.sign(payload), keys)


def test_sec_10_time_window_and_leeway(rsa_signer: Signer, keys: KeySet) -> None:
    """With a 10 s leeway, iat +10 s is accepted and +11 s rejected; exp and nbf honour it too."""
    lw = {"leeway": dt.timedelta(seconds=10)}
    ok = [{"iat": TS + 10}, {"exp": TS - 9}, {"nbf": TS + 10}, {"iat": TS - 600}]
    bad = [{"iat": TS + 60}, {"iat": TS + 3600}, {"iat": TS + 11}, {"exp": TS - 10},
           {"exp": TS - 3600}, {"nbf": TS + 11}, {"iat": TS - 611}]  # fmt: skip
    for over in ok:
        check(rsa_signer.sign(id_claims(**over)), keys, **lw)
    for over in bad:
        assert_rejected(rsa_signer.sign(id_claims(**over)), keys, **lw)
    assert_rejected(
        rsa_signer.sign(id_claims(iat=TS - 120)), keys, max_iat_age=dt.timedelta(seconds=60), **lw
    )


def test_sec_10_default_leeway_is_60_s(rsa_signer: Signer, keys: KeySet) -> None:
    """By default a provider clock up to 60 s ahead (or behind, for exp) is accepted, and 61 s is not."""
    ok = [{"iat": TS + 30}, {"iat": TS + 60}, {"nbf": TS + 60}, {"exp": TS - 59},
          {"auth_time": TS + 60}]  # fmt: skip
    bad = [{"iat": TS + 61}, {"nbf": TS + 61}, {"exp": TS - 60}, {"auth_time": TS + 61}]
    for over in ok:
        check(rsa_signer.sign(id_claims(**over)), keys)
    for over in bad:
        assert_rejected(rsa_signer.sign(id_claims(**over)), keys)


def test_sec_10_leeway_is_configurable_up_to_five_minutes(rsa_signer: Signer, keys: KeySet) -> None:
    """A leeway of 120 s accepts iat +120 s; the largest allowed is 300 s."""
    token = rsa_signer.sign(id_claims(iat=TS + 120))
    check(token, keys, leeway=dt.timedelta(seconds=120))
    check(token, keys, leeway=dt.timedelta(seconds=300))


@pytest.mark.parametrize(
    "leeway", [dt.timedelta(seconds=301), dt.timedelta(hours=1), dt.timedelta(seconds=-1)]
)
def test_sec_10_leeway_over_five_minutes_refused(
    leeway: dt.timedelta, rsa_signer: Signer, keys: KeySet
) -> None:
    """A leeway above 300 s, or negative, is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        check(rsa_signer.sign(id_claims()), keys, leeway=leeway)


def test_sec_10_naive_now_refused(rsa_signer: Signer, keys: KeySet) -> None:
    """A naive datetime for now is a ConfigurationError, never a TypeError."""
    with pytest.raises(ConfigurationError):
        check(rsa_signer.sign(id_claims()), keys, now=NOW.replace(tzinfo=None))


# --- SEC-04, SEC-12, SEC-14: nonce, assurance, at_hash -----------------------------


@pytest.mark.parametrize("nonce", ["other", NONCE + "x", NONCE[:-1], ""])
def test_sec_04_nonce_must_match(nonce: str, rsa_signer: Signer, keys: KeySet) -> None:
    """A nonce that differs in any way from the one sent is rejected."""
    assert_rejected(rsa_signer.sign(id_claims(nonce=nonce)), keys)


def test_sec_12_acr_checked_against_acceptable_values(rsa_signer: Signer, keys: KeySet) -> None:
    """The acr must be one of the acceptable values; a missing acr is the lowest assurance and fails."""
    assert (
        check(rsa_signer.sign(id_claims()), keys, acr_values=["high", "substantial"]).acr
        == "substantial"
    )
    assert_rejected(rsa_signer.sign(id_claims(acr="low")), keys, acr_values=["high", "substantial"])
    assert_rejected(rsa_signer.sign(id_claims(acr=None)), keys, acr_values=["substantial"])
    assert check(rsa_signer.sign(id_claims(acr=None)), keys).acr is None


def test_sec_12_auth_time_and_max_age(rsa_signer: Signer, keys: KeySet) -> None:
    """auth_time older than max_age (+leeway) fails, a missing auth_time fails when max_age or auth_time was asked."""
    lw = dt.timedelta(seconds=10)
    check(rsa_signer.sign(id_claims(auth_time=TS - 300)), keys, max_age=300, leeway=lw)
    check(rsa_signer.sign(id_claims(auth_time=TS - 310)), keys, max_age=300, leeway=lw)
    assert_rejected(rsa_signer.sign(id_claims(auth_time=TS - 311)), keys, max_age=300, leeway=lw)
    check(rsa_signer.sign(id_claims(auth_time=TS - 360)), keys, max_age=300)
    assert_rejected(rsa_signer.sign(id_claims(auth_time=TS - 361)), keys, max_age=300)
    assert_rejected(rsa_signer.sign(id_claims(auth_time=None)), keys, max_age=300)
    assert_rejected(rsa_signer.sign(id_claims(auth_time=None)), keys, auth_time_required=True)
    assert_rejected(rsa_signer.sign(id_claims(auth_time=TS + 3600)), keys)


@pytest.mark.parametrize("which", ["rsa_signer", "ec_signer", "ed_signer"])
def test_sec_14_at_hash_checked(which: str, keys: KeySet, request: pytest.FixtureRequest) -> None:
    """A correct at_hash is accepted and a wrong one rejected, with the alg's hash (SHA-512 for EdDSA)."""
    signer: Signer = request.getfixturevalue(which)
    at = "SlAV32hkKG-access-token"
    digest = (hashlib.sha512 if signer.alg == "EdDSA" else hashlib.sha256)(at.encode()).digest()
    good = b64(digest[: len(digest) // 2])
    assert check(signer.sign(id_claims(at_hash=good)), keys, access_token=at).at_hash == good
    assert_rejected(signer.sign(id_claims(at_hash=good)), keys, access_token=at + "x")
    assert_rejected(signer.sign(id_claims(at_hash=good[:-1] + "A")), keys, access_token=at)
    assert_rejected(signer.sign(id_claims(at_hash=good)), keys, access_token="é")


# --- SEC-15: refreshed ID tokens ---------------------------------------------------


@pytest.mark.parametrize(
    "over",
    [
        {"iss": "https://other.example"}, {"sub": "someone-else"}, {"aud": [CLIENT_ID, "x"], "azp": CLIENT_ID},
        {"azp": CLIENT_ID}, {"auth_time": TS - 5}, {"nonce": "different"},
    ],
)  # fmt: skip
def test_sec_15_refresh_token_must_keep_identity(
    over: dict[str, Any], rsa_signer: Signer, keys: KeySet
) -> None:
    """A refreshed ID token with another iss, sub, aud, azp, auth_time or nonce is rejected."""
    original = check(rsa_signer.sign(id_claims()), keys)
    later = NOW + dt.timedelta(minutes=30)
    new = id_claims(iat=TS + 1800, exp=TS + 2100, **over)
    with pytest.raises(InvalidToken):
        validate_refreshed_id_token(
            rsa_signer.sign(new), original, keys=keys, issuer=ISSUER, client_id=CLIENT_ID, now=later,
            extra_trusted_audiences=["x"],
        )  # fmt: skip


def test_sec_15_refresh_token_same_identity_accepted(rsa_signer: Signer, keys: KeySet) -> None:
    """A refreshed ID token with the same identity and no nonce (or the same nonce) is accepted."""
    original = check(rsa_signer.sign(id_claims()), keys)
    later = NOW + dt.timedelta(minutes=30)
    for over in ({"nonce": None}, {}, {"nonce": None, "auth_time": None}):
        new = rsa_signer.sign(id_claims(iat=TS + 1800, exp=TS + 2100, **over))
        got = validate_refreshed_id_token(
            new, original, keys=keys, issuer=ISSUER, client_id=CLIENT_ID, now=later
        )
        assert got.sub == original.sub and got.iat == later


# --- SEC-23..30: JOSE parsing ------------------------------------------------------


def test_sec_25_header_keys_ignored_and_never_fetched(rsa_signer: Signer) -> None:
    """A token signed by a key embedded in jwk (or pointed to by jku/x5u) fails, and nothing is fetched."""
    fetched: list[int] = []

    def fetch() -> bytes:
        fetched.append(1)
        return rsa_signer.jwks()

    cache = JwksCache(fetch, clock=FrozenClock(NOW))
    attacker = Signer("RS256", "rsa1")
    for extra in ({"jwk": attacker.public}, {"jku": "https://evil.example/jwks"},
                  {"x5u": "https://evil.example/cert"}, {"x5c": ["MIIB"]}):  # fmt: skip
        assert_rejected(attacker.sign(id_claims(), **extra), cache)
        assert check(rsa_signer.sign(id_claims(), **extra), cache).sub == "248289761001"
    assert len(fetched) == 1  # the configured jwks_uri, once


def test_sec_29_crit_and_json_serialization_rejected(rsa_signer: Signer, keys: KeySet) -> None:
    """Any crit header, and the JWS JSON serialization of a valid token, are rejected."""
    assert_rejected(rsa_signer.sign(id_claims(), crit=["exp"], exp=1), keys)
    assert_rejected(rsa_signer.sign(id_claims(), crit=[]), keys)
    head, payload, sig = rsa_signer.sign(id_claims()).split(".")
    flattened = json.dumps({"protected": head, "payload": payload, "signature": sig})
    general = json.dumps(
        {"payload": payload, "signatures": [{"protected": head, "signature": sig}]}
    )
    assert_rejected(flattened, keys)
    assert_rejected(general, keys)


def test_sec_30_non_canonical_base64_rejected(rsa_signer: Signer, keys: KeySet) -> None:
    """Padding, non-alphabet characters, whitespace and non-zero unused bits are rejected."""
    token = rsa_signer.sign(id_claims(pad="ab"))
    head, payload, sig = token.split(".")
    check(token, keys)
    variants = [f"{head}=.{payload}.{sig}", f"{head}.{payload}.{sig}==", f" {token}", f"{token}\n",
                f"{head}.{payload}.{sig.replace('-', '+').replace('_', '/')}" if ("-" in sig or "_" in sig) else f"{head}.{payload}.{sig}+"]  # fmt: skip
    for part_index, part in enumerate((head, payload, sig)):
        if len(part) % 4:
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            bumped = part[:-1] + alphabet[alphabet.index(part[-1]) + 1]
            parts = [head, payload, sig]
            parts[part_index] = bumped
            variants.append(".".join(parts))
    assert len(variants) > 5
    for v in variants:
        assert_rejected(v, keys)


def test_sec_30_duplicate_json_members_rejected(rsa_signer: Signer, keys: KeySet) -> None:
    """Duplicate member names in the payload or header, a BOM, NaN, bad UTF-8 or a lone surrogate are rejected."""
    body = json.dumps(id_claims())[:-1]
    for payload in (body + ', "sub": "attacker"}', body + ', "nonce": "x"}', "\ufeff" + body + "}",
                    body + ', "x": NaN}', body + ', "x": "\\ud800"}'):  # fmt: skip
        assert_rejected(rsa_signer.sign(payload.encode()), keys)
    assert_rejected(rsa_signer.sign(body.encode() + b', "x": "\xff"}'), keys)
    dup_header = '{"alg":"none","alg":"RS256","kid":"rsa1"}'
    signing_input = f"{b64(dup_header.encode())}.{b64json(id_claims())}".encode()
    assert_rejected(f"{signing_input.decode()}.{b64(rsa_signer.raw_sign(signing_input))}", keys)


def test_sec_79_oversized_token_rejected(rsa_signer: Signer, keys: KeySet) -> None:
    """A token over 16 KiB (or the configured cap) is rejected before any decoding."""
    big = rsa_signer.sign(id_claims(pad="x" * 17_000))
    assert_rejected(big, keys)
    assert check(big, keys, max_token_bytes=32_768).sub
    assert_rejected(rsa_signer.sign(id_claims()), keys, max_token_bytes=200)
    assert_rejected("a." * 600_000, keys)


# --- SEC-24, SEC-26: key selection -------------------------------------------------


def test_sec_24_key_type_must_match_alg(
    rsa_signer: Signer, ec_signer: Signer, keys: KeySet
) -> None:
    """A token whose kid names a key of another type or curve, or a key pinned to another alg, fails."""
    assert_rejected(ec_signer.sign(id_claims(), kid="rsa1"), keys)
    assert_rejected(rsa_signer.sign(id_claims(), kid="ec1"), keys)
    assert_rejected(rsa_signer.sign(id_claims(), kid="ed1"), keys)
    pinned = KeySet.from_jwks(json.dumps({"keys": [dict(rsa_signer.public, alg="RS256")]}))
    ps = Signer("PS256", "rsa1")
    ps.key = rsa_signer.key
    assert_rejected(ps.sign(id_claims()), pinned)
    assert check(rsa_signer.sign(id_claims()), pinned).alg == "RS256"


def test_sec_26_kid_absent_selection_is_deterministic(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    """Without kid, the single key compatible with the alg is used; two compatible keys are ambiguous."""
    single = KeySet.from_jwks(rsa_signer.jwks())
    mixed = KeySet.from_jwks(rsa_signer.jwks(ec_signer))
    assert check(rsa_signer.sign(id_claims(), kid=None), single).sub
    assert check(rsa_signer.sign(id_claims(), kid=None), mixed).sub
    two_rsa = KeySet.from_jwks(rsa_signer.jwks(Signer("RS256", "rsa2")))
    exc = assert_rejected(rsa_signer.sign(id_claims(), kid=None), two_rsa)
    assert exc.__dict__["_reason"] == "key.ambiguous"


def test_sec_26_duplicate_kids_resolved_by_type_or_rejected(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    """Two keys sharing a kid are told apart by kty/alg, and a token matching both is rejected."""
    ec_same = dict(ec_signer.public, kid="rsa1")
    by_type = KeySet.from_jwks(json.dumps({"keys": [rsa_signer.public, ec_same]}))
    assert check(rsa_signer.sign(id_claims()), by_type).alg == "RS256"
    assert check(ec_signer.sign(id_claims(), kid="rsa1"), by_type).alg == "ES256"
    other = Signer("RS256", "rsa1")
    same_type = KeySet.from_jwks(rsa_signer.jwks(other))
    assert_rejected(rsa_signer.sign(id_claims()), same_type)


def test_sec_26_key_rotation_one_refetch_then_fail(rsa_signer: Signer) -> None:
    """An unknown kid causes one refetch (picking up a rotated key); past the budget it fails without fetching."""
    new = Signer("RS256", "rsa-new")
    documents = [rsa_signer.jwks(), rsa_signer.jwks(new)]
    fetched: list[int] = []

    def fetch() -> bytes:
        fetched.append(1)
        return documents[min(len(fetched), len(documents)) - 1]

    clock = FrozenClock(NOW)
    cache = JwksCache(fetch, clock=clock, refetch_budget=2, refetch_window=dt.timedelta(seconds=60))
    assert check(rsa_signer.sign(id_claims()), cache).sub
    assert len(fetched) == 1
    clock.advance(1)
    assert check(new.sign(id_claims()), cache, now=clock.now()).sub
    assert len(fetched) == 2
    for _ in range(3):
        assert_rejected(Signer("RS256", "rsa-unknown").sign(id_claims()), cache, now=clock.now())
    assert len(fetched) == 3


def test_sec_26_failed_refetch_keeps_old_keys(rsa_signer: Signer) -> None:
    """If the refetch fails, the cached keys stay in use and the unknown-kid token fails as InvalidToken."""
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("down")
        return rsa_signer.jwks()

    clock = FrozenClock(NOW)
    cache = JwksCache(fetch, clock=clock)
    check(rsa_signer.sign(id_claims()), cache)
    clock.advance(61)
    assert_rejected(Signer("RS256", "zz").sign(id_claims()), cache, now=clock.now())
    assert check(rsa_signer.sign(id_claims()), cache, now=clock.now()).sub
    assert len(calls) == 2


# --- SEC-27: key policy ------------------------------------------------------------


def _rsa_jwk(n: int, e: int, kid: str) -> dict[str, str]:
    return {"kty": "RSA", "kid": kid, "n": b64(n.to_bytes((n.bit_length() + 7) // 8, "big")),
            "e": b64(e.to_bytes((e.bit_length() + 7) // 8, "big"))}  # fmt: skip


def test_sec_27_weak_keys_ignored_good_key_kept(rsa_signer: Signer, ec_signer: Signer) -> None:
    """1024-bit RSA, e=1, even e, an off-curve point, secp256k1, use=enc and key_ops without verify are ignored."""
    small = Signer("RS256", "small", rsa_bits=1024)
    n = rsa_signer.key.public_key().public_numbers().n
    off_curve = dict(ec_signer.public, kid="off", y=ec_signer.public["x"])
    k1 = ec.generate_private_key(ec.SECP256K1()).public_key().public_numbers()
    secp256k1 = {
        "kty": "EC",
        "crv": "secp256k1",
        "kid": "k1",
        "x": b64(k1.x.to_bytes(32, "big")),
        "y": b64(k1.y.to_bytes(32, "big")),
    }
    weak = [small.public, _rsa_jwk(n, 1, "e1"), _rsa_jwk(n, 65536, "even"), off_curve, secp256k1,
            dict(rsa_signer.public, kid="enc", use="enc"), dict(rsa_signer.public, kid="ops", key_ops=["sign"]),
            dict(rsa_signer.public, kid="badalg", alg="HS256"), {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
            {"kty": "XYZ", "kid": "x"}, dict(rsa_signer.public, kid=None), dict(rsa_signer.public, kid=7)]  # fmt: skip
    keys = KeySet.from_jwks(json.dumps({"keys": [*weak, rsa_signer.public]}))
    assert [k.kid for k in keys] == ["rsa1"]
    assert check(rsa_signer.sign(id_claims()), keys).sub
    assert_rejected(small.sign(id_claims()), keys)
    with pytest.raises(ProviderMetadataInvalid):
        KeySet.from_jwks(json.dumps({"keys": weak}))


@pytest.mark.parametrize(
    "extra",
    [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
        {"kty": "oct", "kid": "hmac"},
        {"kty": "EC", "crv": "P-256", "kid": "priv", "x": "AA", "y": "AA", "d": "AA"},
        {"kty": "RSA", "kid": "priv", "n": "AA", "e": "AQAB", "p": "AA"},
    ],
)
def test_sec_27_symmetric_or_private_key_refuses_the_whole_set(
    extra: dict[str, str], rsa_signer: Signer
) -> None:
    """A JWKS mixing in a symmetric key or any private-key member is refused entirely."""
    with pytest.raises(ProviderMetadataInvalid):
        KeySet.from_jwks(json.dumps({"keys": [rsa_signer.public, extra]}))


@pytest.mark.parametrize(
    "document",
    [b"", b"[]", b"{}", b'{"keys": {}}', b'{"keys": [1]}', b'{"keys": []}', b"\xff", b'{"keys": [], "keys": []}',
     json.dumps({"keys": [{"kty": "RSA"}] * 101}).encode(), b'{"keys": [' + b" " * 70_000 + b"]}"],
)  # fmt: skip
def test_sec_79_malformed_or_oversized_jwks_refused(document: bytes) -> None:
    """A malformed, empty, oversized (bytes or key count) or duplicate-member JWKS is ProviderMetadataInvalid."""
    with pytest.raises(ProviderMetadataInvalid):
        KeySet.from_jwks(document)


# --- SEC-28, SEC-32: token kinds and generic errors --------------------------------


def test_sec_28_logout_token_is_never_an_id_token(rsa_signer: Signer, keys: KeySet) -> None:
    """A token typed logout+jwt, or carrying an events claim, or with another typ or a cty, is not an ID token."""
    events = {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert_rejected(rsa_signer.sign(id_claims(), typ="logout+jwt"), keys)
    assert_rejected(rsa_signer.sign(id_claims(events=events)), keys)
    assert_rejected(rsa_signer.sign(id_claims(), typ="at+jwt"), keys)
    assert_rejected(rsa_signer.sign(id_claims(), typ=1), keys)
    assert_rejected(rsa_signer.sign(id_claims(), cty="JWT"), keys)
    assert check(rsa_signer.sign(id_claims(), typ=None), keys).sub
    assert check(rsa_signer.sign(id_claims(), typ="application/jwt"), keys).sub


def test_sec_32_errors_do_not_say_which_check_failed(rsa_signer: Signer, keys: KeySet) -> None:
    """Different failures give the same message and repr; only the private _reason differs."""
    a = assert_rejected(rsa_signer.sign(id_claims(aud="other")), keys)
    b = assert_rejected(rsa_signer.sign(id_claims(nonce="x")), keys)
    c = assert_rejected("garbage", keys)
    assert str(a) == str(b) == str(c) and repr(a) == repr(b) == repr(c)
    assert "aud" not in str(a) + repr(a) and a.__dict__["_reason"] != b.__dict__["_reason"]
    d = assert_rejected(
        rsa_signer.sign(b'{"sub": '), keys
    )  # raised while handling a JSONDecodeError
    for exc in (a, b, c, d):
        assert exc.__cause__ is None and not getattr(exc, "__notes__", None)
        assert exc.__context__ is None or exc.__suppress_context__
    assert not isinstance(a, InvalidLogoutToken)


def test_id_token_claims_repr_hides_subject_and_secrets(rsa_signer: Signer, keys: KeySet) -> None:
    """The claims' repr shows neither sub, nonce, sid nor the raw claims."""
    claims = check(rsa_signer.sign(id_claims(email="marie@example.ca")), keys)
    text = repr(claims)
    for secret in ("248289761001", NONCE, "sid-1", "marie@example.ca"):
        assert secret not in text
    assert "IdTokenClaims(" in text and ISSUER in text


# --- SEC-44..46, SEC-28: back-channel logout tokens --------------------------------


def logout(token: str, keys: Any, store: Any = None, **kw: Any) -> LogoutTokenClaims:
    args: dict[str, Any] = {"keys": keys, "issuer": ISSUER, "client_id": CLIENT_ID, "now": NOW,
                            "jti_store": store if store is not None else InMemoryJtiStore(clock=FrozenClock(NOW))}  # fmt: skip
    args.update(kw)
    return validate_logout_token(token, **args)


def assert_logout_rejected(
    token: str, keys: Any, store: Any = None, **kw: Any
) -> InvalidLogoutToken:
    with pytest.raises(InvalidLogoutToken) as info:
        logout(token, keys, store, **kw)
    return info.value


def test_sec_45_valid_logout_token_accepted(
    rsa_signer: Signer, ec_signer: Signer, keys: KeySet
) -> None:
    """A logout+jwt token with events, sub/sid and jti is accepted; sid alone or sub alone also."""
    got = logout(rsa_signer.sign(logout_claims(), typ="logout+jwt"), keys)
    assert got.sub == "248289761001" and got.sid == "sid-1" and got.jti == "jti-1"
    assert LOGOUT_EVENT in got.events and got.exp == NOW + dt.timedelta(seconds=120)
    assert logout(ec_signer.sign(logout_claims(sub=None), typ="logout+jwt"), keys).sid == "sid-1"
    assert (
        logout(ec_signer.sign(logout_claims(sid=None), typ="application/logout+JWT"), keys).sid
        is None
    )
    assert "248289761001" not in repr(got) and "sid-1" not in repr(got)


def test_sec_44_logout_token_signature_and_alg(rsa_signer: Signer, keys: KeySet) -> None:
    """Logout tokens with alg none, HS256 keyed with the public key, another key, or an unpinned alg are rejected."""
    pem = rsa_signer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert_logout_rejected(unsigned(logout_claims(), typ="logout+jwt"), keys)
    assert_logout_rejected(hs256(logout_claims(), pem, typ="logout+jwt", kid="rsa1"), keys)
    assert_logout_rejected(Signer("RS256", "rsa1").sign(logout_claims(), typ="logout+jwt"), keys)
    assert_logout_rejected(
        rsa_signer.sign(logout_claims(), typ="logout+jwt"), keys, algorithms=frozenset({"ES256"})
    )


@pytest.mark.parametrize(
    "over",
    [
        {"iss": "https://evil.example"}, {"iss": ISSUER + "/"}, {"aud": "other"},
        {"aud": [CLIENT_ID, "untrusted"]}, {"iat": TS + 61}, {"exp": TS - 61}, {"iat": None},
        {"exp": None}, {"events": None}, {"events": {}}, {"events": {LOGOUT_EVENT: "yes"}},
        {"events": {"http://schemas.openid.net/event/other": {}}}, {"events": [LOGOUT_EVENT]},
        {"nonce": "n"}, {"sub": None, "sid": None}, {"jti": None}, {"jti": ""}, {"jti": 5},
        {"sid": 5}, {"sub": ""}, {"exp": TS + 301}, {"iat": TS - 400, "exp": TS + 10},
    ],
)  # fmt: skip
def test_sec_44_45_bad_logout_claims_rejected(
    over: dict[str, Any], rsa_signer: Signer, keys: KeySet
) -> None:
    """Wrong iss/aud, bad times, missing or wrong events, a nonce, no sub/sid, no jti, or a long life are rejected."""
    assert_logout_rejected(rsa_signer.sign(logout_claims(**over), typ="logout+jwt"), keys)


def test_sec_45_typ_required_unless_configured_off(rsa_signer: Signer, keys: KeySet) -> None:
    """A missing typ is refused by default and accepted only with require_typ=False; typ JWT never is."""
    untyped = rsa_signer.sign(logout_claims(), typ=None)
    assert_logout_rejected(untyped, keys)
    assert logout(untyped, keys, require_typ=False).jti == "jti-1"
    assert_logout_rejected(rsa_signer.sign(logout_claims(), typ="JWT"), keys, require_typ=False)
    assert_logout_rejected(rsa_signer.sign(logout_claims(), typ="logout+jwt", cty="JWT"), keys)


def test_sec_28_id_token_is_never_a_logout_token(rsa_signer: Signer, keys: KeySet) -> None:
    """A valid ID token posted as a logout token is rejected, typed or not."""
    assert_logout_rejected(rsa_signer.sign(id_claims()), keys)
    assert_logout_rejected(rsa_signer.sign(id_claims(), typ=None), keys, require_typ=False)


def test_sec_46_jti_replay_rejected(rsa_signer: Signer, keys: KeySet) -> None:
    """The same logout token twice is rejected the second time; another jti or issuer is not a replay."""
    clock = FrozenClock(NOW)
    store = InMemoryJtiStore(clock=clock)
    token = rsa_signer.sign(logout_claims(), typ="logout+jwt")
    logout(token, keys, store)
    exc = assert_logout_rejected(token, keys, store)
    assert exc.__dict__["_reason"] == "jti.replay"
    logout(rsa_signer.sign(logout_claims(jti="jti-2"), typ="logout+jwt"), keys, store)
    assert store.seen("https://other-idp.example", "jti-1", NOW + dt.timedelta(minutes=1)) is False


def test_sec_46_failed_token_does_not_consume_its_jti(rsa_signer: Signer, keys: KeySet) -> None:
    """A token failing another check leaves its jti unrecorded, so the genuine token still works."""
    store = InMemoryJtiStore(clock=FrozenClock(NOW))
    assert_logout_rejected(rsa_signer.sign(logout_claims(nonce="x"), typ="logout+jwt"), keys, store)
    assert len(store) == 0
    logout(rsa_signer.sign(logout_claims(), typ="logout+jwt"), keys, store)


def test_sec_46_jti_store_expires_and_is_bounded() -> None:
    """Entries expire with their token, and a full store refuses new ids rather than forget live ones."""
    clock = FrozenClock(NOW)
    store = InMemoryJtiStore(max_entries=2, clock=clock)
    until = NOW + dt.timedelta(seconds=130)
    assert store.seen(ISSUER, "a", until) is False
    assert store.seen(ISSUER, "a", until) is True
    assert store.seen(ISSUER, "b", until) is False
    assert store.seen(ISSUER, "c", until) is True  # full: fail closed
    clock.advance(131)
    assert store.seen(ISSUER, "c", clock.now() + dt.timedelta(seconds=60)) is False
    assert store.seen(ISSUER, "a", clock.now() + dt.timedelta(seconds=60)) is False
    assert isinstance(store, JtiStore)


def test_sec_46_jti_store_is_atomic_under_threads() -> None:
    """Of 16 threads recording the same jti at once, exactly one sees it as new."""
    store = InMemoryJtiStore(clock=FrozenClock(NOW))
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def go() -> None:
        barrier.wait()
        results.append(store.seen(ISSUER, "same", NOW + dt.timedelta(minutes=2)))

    threads = [threading.Thread(target=go) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(False) == 1 and len(results) == 16
