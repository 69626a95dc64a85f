"""
Key sets (RFC 7517 §5): members we cannot use are ignored, a published secret refuses the set.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ircc_account.errors import ProviderMetadataInvalid
from ircc_account.hazmat.jose import KeySet

from ._mint import Signer, id_claims
from .test_id_token import check

GOOD = Signer("ES256", "good")

UNUSABLE: list[Any] = [
    None,
    "a string",
    42,
    [GOOD.public],
    {},
    {"kty": "AKP", "kid": "pq", "alg": "ML-DSA-44", "pub": "AAAA"},
    {"kty": ["EC"], "kid": "kty-list"},
    {"kty": "OKP", "crv": "X25519", "kid": "ecdh", "x": GOOD.public["x"]},
    {"kty": "EC", "crv": "P-256", "kid": "short", "x": "AA", "y": "AA"},
    {"kty": "EC", "crv": {"name": "P-256"}, "kid": "crv-object", "x": "AA", "y": "AA"},
    {"kty": "RSA", "kid": "n-number", "n": 12345, "e": "AQAB"},
    {"kty": "RSA", "kid": "n-padded", "n": "AQAB==", "e": "AQAB"},
    {"kty": "RSA", "kid": "e-missing", "n": "AQAB"},
    dict(GOOD.public, kid="alg-list", alg=["ES256"]),
    dict(GOOD.public, kid="use-object", use={"sig": True}),
    dict(GOOD.public, kid="ops-string", key_ops="verify"),
    dict(GOOD.public, kid=["not", "a", "string"]),
    dict(GOOD.public, kid="x-number", x=7),
]


@pytest.mark.parametrize("member", UNUSABLE, ids=lambda m: repr(m)[:40])
def test_rfc7517_s5_unusable_member_is_ignored_not_fatal(member: Any) -> None:
    """A member of an unknown kty, or one that does not parse, is skipped; the good key beside it still verifies."""
    keys = KeySet.from_jwks(json.dumps({"keys": [member, GOOD.public]}))
    assert [k.kid for k in keys] == ["good"]
    assert check(GOOD.sign(id_claims()), keys).sub


def test_rfc7517_s5_a_set_of_only_unusable_members_is_refused() -> None:
    """With no usable key left, the set is refused (ProviderMetadataInvalid)."""
    with pytest.raises(ProviderMetadataInvalid):
        KeySet.from_jwks(json.dumps({"keys": UNUSABLE}))


@pytest.mark.parametrize(
    "member",
    [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"},
        dict(GOOD.public, kid="with-d", d="AAAA"),
        {"kty": "AKP", "kid": "pq", "pub": "AAAA", "priv": "AAAA", "d": "AAAA"},
    ],
)
def test_sec_27_symmetric_keys_and_published_secrets_still_refuse_the_set(member: Any) -> None:
    """Ignoring what we cannot parse never extends to a symmetric key or a private member: the set is refused."""
    with pytest.raises(ProviderMetadataInvalid):
        KeySet.from_jwks(json.dumps({"keys": [GOOD.public, member]}))
