"""
Project Wycheproof JOSE vectors through our verification path (KeySet.from_jwks, then verify_jws).

Each group's public key (or, where a group has none, its private key or key
set) is loaded as the provider's JWKS; each compact or JSON-serialized JWS is
then verified with every algorithm we support allowed. HMAC vectors marked
valid must still be refused: no trust context of ours accepts HMAC. Four
RFC 7520 vectors marked valid are refused on purpose because the key pins a
different ``alg`` than the token uses; they are listed below and shown to
verify once that pin is removed.
"""

from __future__ import annotations

import base64
import collections
import json
import pathlib
import re
from typing import Any

import pytest

from ircc_account.errors import InvalidToken, ProviderMetadataInvalid
from ircc_account.hazmat.jose import SUPPORTED_ALGORITHMS, KeySet, verify_jws

VECTORS = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "wycheproof"
FILES = ("json_web_signature_test.json", "json_web_key_test.json", "json_web_crypto_test.json")

# tcId in json_web_signature_test.json → why a "valid" vector is refused.
KEY_ALG_PINNED = {
    346: "key alg PS256, token alg PS384",
    350: "key alg PS256, token alg PS384",
    347: "key alg 'ES521' (not a JOSE name), token alg ES512",
    351: "key alg 'ES521' (not a JOSE name), token alg ES512",
}


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for name in FILES:
        data = json.loads((VECTORS / name).read_text())
        for group in data["testGroups"]:
            for test in group["tests"]:
                if "jws" in test:
                    cases.append((name, group, test))
    return cases


CASES = _cases()


def _jwks(group: dict[str, Any], *, drop_alg: bool = False) -> bytes:
    key = group.get("public") or group["private"]
    doc = key if "keys" in key else {"keys": [key]}
    if drop_alg:
        doc = {"keys": [{k: v for k, v in jwk.items() if k != "alg"} for jwk in doc["keys"]]}
    return json.dumps(doc).encode()


def _header_alg(jws: str) -> str:
    # Leniently, for classification only: vectors 372-373 insert "?" into the header.
    h64 = re.sub(r"[^A-Za-z0-9_-]", "", jws.split(".")[0])
    try:
        alg = json.loads(base64.urlsafe_b64decode(h64 + "=" * (-len(h64) % 4))).get("alg")
    except ValueError:
        return "?"
    return alg if isinstance(alg, str) else "?"


def _accepted(group: dict[str, Any], jws: Any, *, drop_alg: bool = False) -> bool:
    token = jws if isinstance(jws, str) else json.dumps(jws)
    try:
        keys = KeySet.from_jwks(_jwks(group, drop_alg=drop_alg))
        verify_jws(token, keys, algorithms=SUPPORTED_ALGORITHMS)
    except (InvalidToken, ProviderMetadataInvalid):
        return False
    return True


def _expected(name: str, test: dict[str, Any]) -> tuple[bool, str]:
    jws = test["jws"]
    if test["result"] != "valid":
        return False, "invalid"
    if isinstance(jws, str) and _header_alg(jws).startswith("HS"):
        return False, "valid HMAC, refused"
    if name == "json_web_signature_test.json" and test["tcId"] in KEY_ALG_PINNED:
        return False, "valid, refused by key alg pin"
    return True, "valid"


@pytest.mark.parametrize(
    ("name", "group", "test"),
    CASES,
    ids=[f"{n.split('_test')[0]}-{t['tcId']}-{t['comment'][:40]}" for n, _, t in CASES],
)
def test_sec_23_24_27_29_30_wycheproof_vector(
    name: str, group: dict[str, Any], test: dict[str, Any]
) -> None:
    """Every invalid vector is refused and every valid vector with a supported alg and key verifies."""
    expected, _ = _expected(name, test)
    assert _accepted(group, test["jws"]) is expected, (test["comment"], test["flags"])


@pytest.mark.parametrize("tc_id", sorted(KEY_ALG_PINNED))
def test_sec_24_key_alg_pin_is_the_only_reason_rfc7520_vectors_fail(tc_id: int) -> None:
    """The RFC 7520 vectors refused for a key alg pin verify once the key's alg member is dropped."""
    (group, test) = next(
        (g, t) for n, g, t in CASES if n == "json_web_signature_test.json" and t["tcId"] == tc_id
    )
    assert not _accepted(group, test["jws"])
    assert _accepted(group, test["jws"], drop_alg=True)


def test_wycheproof_summary_counts() -> None:
    """The run executes vectors of every kind (so no vector set silently went missing) and prints a summary."""
    counts: collections.Counter[str] = collections.Counter()
    flags: collections.Counter[str] = collections.Counter()
    for name, group, test in CASES:
        expected, kind = _expected(name, test)
        assert _accepted(group, test["jws"]) is expected
        counts[kind] += 1
        for flag in test["flags"]:
            flags[flag] += 1
    print(f"\nWycheproof JOSE: {len(CASES)} JWS vectors executed: {dict(counts)}")
    print(f"flags covered: {dict(flags)}")
    assert counts["valid"] > 0 and counts["invalid"] > 0
    assert counts["valid HMAC, refused"] > 0
    assert counts["valid, refused by key alg pin"] == len(KEY_ALG_PINNED)
    for flag in ("AlgIsNone", "WrongPrimitive", "ModifiedSignature", "JsonSerialization"):
        assert flags[flag] > 0, flag
    assert len(CASES) > 400
