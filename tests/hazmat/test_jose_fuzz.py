"""
Hypothesis fuzzing of the JOSE layer: only our typed errors, and no mutated token is ever accepted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ircc_account.errors import InvalidLogoutToken, InvalidToken, ProviderMetadataInvalid
from ircc_account.hazmat.jose import (
    InMemoryJtiStore,
    KeySet,
    b64url_decode,
    b64url_encode,
    parse_compact_jws,
    validate_id_token,
    validate_logout_token,
)

from ._mint import CLIENT_ID, ISSUER, NONCE, NOW, Signer, id_claims, logout_claims

SIGNERS = [Signer("RS256", "rsa1"), Signer("ES256", "ec1"), Signer("EdDSA", "ed1")]
KEYS = KeySet.from_jwks(SIGNERS[0].jwks(*SIGNERS[1:]))
TOKENS = [s.sign(id_claims()) for s in SIGNERS]
LOGOUTS = [s.sign(logout_claims(), typ="logout+jwt") for s in SIGNERS]
JWKS = SIGNERS[0].jwks(*SIGNERS[1:])


def _id(token: Any) -> bool:
    """True if accepted; InvalidToken means refused; anything else propagates and fails the test."""
    try:
        validate_id_token(
            token, keys=KEYS, issuer=ISSUER, client_id=CLIENT_ID, nonce=NONCE, now=NOW
        )
    except InvalidLogoutToken:  # pragma: no cover - the wrong kind of error
        raise AssertionError("an ID token failure must be InvalidToken") from None
    except InvalidToken:
        return False
    return True


def _logout(token: Any) -> bool:
    try:
        validate_logout_token(
            token, keys=KEYS, issuer=ISSUER, client_id=CLIENT_ID, now=NOW,
            jti_store=InMemoryJtiStore(),
        )  # fmt: skip
    except InvalidLogoutToken:
        return False
    return True


@st.composite
def mutated(draw: st.DrawFn, originals: list[str]) -> tuple[str, str]:
    original = draw(st.sampled_from(originals))
    data = bytearray(original.encode())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "replace", "insert", "delete", "truncate", "swap"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "replace" and data:
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data.insert(i, draw(st.sampled_from(b".=+/-_ A\x00\xff{}")))
        elif op == "delete" and data:
            del data[i]
        elif op == "truncate":
            del data[i:]
        elif op == "swap" and len(data) > 1:
            j = draw(st.integers(0, len(data) - 1))
            data[i], data[j] = data[j], data[i]
    return original, bytes(data).decode("latin-1")


def test_sec_30_valid_tokens_are_accepted() -> None:
    """The unmutated tokens are accepted, so the mutation properties below can fail."""
    assert all(_id(t) for t in TOKENS) and all(_logout(t) for t in LOGOUTS)


@given(st.text(max_size=300))
def test_sec_32_random_text_only_typed_errors(text: str) -> None:
    """Random text is refused with InvalidToken and never anything else."""
    assert _id(text) is False


@given(st.binary(max_size=300))
def test_sec_32_random_bytes_only_typed_errors(data: bytes) -> None:
    """Random bytes are refused with InvalidToken and never anything else."""
    assert _id(data) is False


@given(mutated(TOKENS))
def test_sec_30_mutated_id_token_never_accepted(pair: tuple[str, str]) -> None:
    """A byte-mutated ID token is refused unless the mutation left the token identical."""
    original, token = pair
    assert _id(token) is (token == original)


@given(mutated(LOGOUTS))
def test_sec_30_mutated_logout_token_never_accepted(pair: tuple[str, str]) -> None:
    """A byte-mutated logout token is refused with InvalidLogoutToken unless it is unchanged."""
    original, token = pair
    assert _logout(token) is (token == original)


@given(st.sampled_from(TOKENS), st.sampled_from(["header", "payload"]), st.data())
def test_sec_30_resigned_tokens_with_fuzzed_json_only_typed_errors(
    token: str, part: str, data: st.DataObject
) -> None:
    """Tokens with arbitrary JSON claims or headers (validly signed) give only InvalidToken when refused."""
    signer = SIGNERS[TOKENS.index(token)]
    json_values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=8,
    )
    names = ["iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "acr", "amr",
             "typ", "kid", "crit", "cty", "alg", "events", "at_hash", "sid"]  # fmt: skip
    over = data.draw(st.dictionaries(st.sampled_from(names), json_values, min_size=1, max_size=4))
    if part == "payload":
        candidate = signer.sign({**id_claims(), **over})
    else:
        candidate = signer.sign(id_claims(), **over)
    # Accepted or InvalidToken; any other exception fails the test.
    assert _id(candidate) in (True, False)


@given(st.binary(max_size=2000))
def test_sec_30_b64url_decode_is_canonical(data: bytes) -> None:
    """Decoding inverts encoding, and any string that decodes re-encodes to itself."""
    text = b64url_encode(data)
    assert b64url_decode(text, InvalidToken, "x") == data


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ ", max_size=40
    )
)
def test_sec_30_b64url_accepts_only_canonical_strings(text: str) -> None:
    """A string is decoded only if re-encoding the result gives back exactly that string."""
    try:
        raw = b64url_decode(text, InvalidToken, "x")
    except InvalidToken:
        return
    assert b64url_encode(raw) == text


@given(mutated([JWKS.decode()]))
def test_sec_27_mutated_jwks_only_typed_errors(pair: tuple[str, str]) -> None:
    """A mutated JWKS document yields a KeySet or ProviderMetadataInvalid, never another exception."""
    _, document = pair
    try:
        keys = KeySet.from_jwks(document.encode("latin-1"))
    except ProviderMetadataInvalid:
        return
    assert len(keys) >= 1


@given(st.data())
def test_sec_27_fuzzed_jwk_members_only_typed_errors(data: st.DataObject) -> None:
    """JWKs with arbitrary member values never crash the parser."""
    doc = json.loads(JWKS)
    values = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.text(max_size=12)
        | st.lists(st.text(max_size=5), max_size=2)
    )
    for jwk in doc["keys"]:
        for name in data.draw(
            st.lists(
                st.sampled_from(["kty", "kid", "alg", "use", "key_ops", "crv", "n", "e", "x", "y"]),
                max_size=3,
            )
        ):
            jwk[name] = data.draw(values)
    # Either a key set (every kept key usable) or ProviderMetadataInvalid; any
    # other exception fails the test.
    try:
        keys = KeySet.from_jwks(json.dumps(doc))
    except ProviderMetadataInvalid:
        return
    assert len(keys) >= 1


@pytest.mark.parametrize("token", TOKENS)
def test_sec_30_parse_does_not_verify(token: str) -> None:
    """parse_compact_jws decodes without verifying: a forged signature parses but never validates."""
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{'A' * len(sig)}"
    assert parse_compact_jws(forged).kid == parse_compact_jws(token).kid
    assert forged != token
    assert _id(forged) is False
