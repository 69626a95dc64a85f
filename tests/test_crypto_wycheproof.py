"""
Wycheproof vectors pin the two primitives the data-at-rest code calls: AES-256-GCM and HMAC-SHA256.

The vectors are in tests/vectors/wycheproof/ (C2SP/wycheproof, Apache 2.0; see the README there).
The tests call ``_seal``/``_open`` and ``_mac``, the exact functions the envelope and the blind
index use, so a change of primitive or of parameters breaks them.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ircc_account._crypto._envelope import _open, _seal
from ircc_account._crypto._index import _mac
from ircc_account.errors import DecryptionFailed

VECTORS = pathlib.Path(__file__).parent / "vectors" / "wycheproof"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


def _aes_gcm_cases() -> list[tuple[dict[str, Any], bytes, bytes, bytes, bytes, bytes]]:
    """The vectors with our parameters: 256-bit key, 96-bit IV, 128-bit tag."""
    data = _load("aes_gcm_test.json")
    assert data["algorithm"] == "AES-GCM"
    cases = []
    for group in data["testGroups"]:
        if (group["keySize"], group["ivSize"], group["tagSize"]) != (256, 96, 128):
            continue
        for t in group["tests"]:
            cases.append(
                (
                    t,
                    bytes.fromhex(t["key"]),
                    bytes.fromhex(t["iv"]),
                    bytes.fromhex(t["aad"]),
                    bytes.fromhex(t["msg"]),
                    bytes.fromhex(t["ct"] + t["tag"]),
                )
            )
    return cases


def _hmac_cases() -> list[tuple[dict[str, Any], bytes, bytes, bytes]]:
    """The HMAC-SHA256 vectors with full-length (256-bit) tags, as the blind index uses."""
    data = _load("hmac_sha256_test.json")
    assert data["algorithm"] == "HMACSHA256"
    cases = []
    for group in data["testGroups"]:
        if group["tagSize"] != 256:
            continue
        for t in group["tests"]:
            cases.append(
                (t, bytes.fromhex(t["key"]), bytes.fromhex(t["msg"]), bytes.fromhex(t["tag"]))
            )
    return cases


def test_aes_gcm_vectors_match_seal_and_open() -> None:
    """AES-256-GCM vectors: valid ones seal to ct||tag and open back; invalid ones never open."""
    cases = _aes_gcm_cases()
    valid = invalid = 0
    for t, key, iv, aad, msg, sealed in cases:
        aead = AESGCM(key)
        if t["result"] == "valid":
            assert _seal(aead, iv, msg, aad) == sealed, t["tcId"]
            assert _open(aead, iv, sealed, aad) == msg, t["tcId"]
            valid += 1
        elif t["result"] == "invalid":
            with pytest.raises(DecryptionFailed):
                _open(aead, iv, sealed, aad)
            invalid += 1
        else:  # "acceptable": none exist for these parameters today; fail if that changes.
            pytest.fail(f"unexpected acceptable vector {t['tcId']} {t['flags']}")
    assert valid > 0
    assert invalid > 0
    assert valid + invalid == len(cases)


def test_aes_gcm_invalid_vectors_are_mostly_tag_forgeries() -> None:
    """The invalid AES-256-GCM vectors include modified tags, so the negative path is exercised."""
    flags = {f for t, *_ in _aes_gcm_cases() if t["result"] == "invalid" for f in t["flags"]}
    assert "ModifiedTag" in flags


def test_hmac_sha256_vectors_match_mac() -> None:
    """Every full-length HMAC-SHA256 vector: valid tags equal _mac's output, invalid ones differ."""
    cases = _hmac_cases()
    valid = invalid = 0
    for t, key, msg, tag in cases:
        if t["result"] == "valid":
            assert _mac(key, msg) == tag, t["tcId"]
            valid += 1
        else:
            assert t["result"] == "invalid", t["tcId"]
            assert _mac(key, msg) != tag, t["tcId"]
            invalid += 1
    assert valid > 0
    assert invalid > 0
    assert valid + invalid == len(cases)
