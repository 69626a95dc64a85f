"""
The canonical encoding, the chain hash and the RFC 6962 Merkle tree.
"""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from ircc_account.audit._codec import (
    FIELDS,
    encode,
    inclusion_path,
    merkle_root,
    root_from_path,
    sql_encoding_expression,
)

# RFC 6962 reference vectors (certificate-transparency and transparency-dev/merkle
# testdata): the roots of the trees over the first n of these eight leaves.
LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
          bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]  # fmt: skip
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_sec_64_merkle_roots_match_rfc_6962_vectors() -> None:
    """The tree hash over the reference leaves gives the reference roots (RFC 9162 §2.1.1)."""
    assert (
        merkle_root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    for n, root in enumerate(ROOTS, start=1):
        assert merkle_root(LEAVES[:n]).hex() == root


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_sec_64_inclusion_paths_verify_and_reject_other_leaves(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """Every leaf's audit path leads to the root; a different leaf or index does not (RFC 9162 §2.1.3.2)."""
    index = data.draw(st.integers(0, len(leaves) - 1))
    root = merkle_root(leaves)
    path = inclusion_path(leaves, index)
    assert root_from_path(leaves[index], index, len(leaves), path) == root
    assert root_from_path(leaves[index] + b"x", index, len(leaves), path) != root
    if len(leaves) > 1 and leaves[index] != leaves[(index + 1) % len(leaves)]:
        assert root_from_path(leaves[index], (index + 1) % len(leaves), len(leaves), path) != root


values = st.one_of(st.none(), st.text(max_size=20), st.integers(0, 2**62))


@given(st.lists(values, min_size=len(FIELDS), max_size=len(FIELDS)),
       st.lists(values, min_size=len(FIELDS), max_size=len(FIELDS)))  # fmt: skip
def test_encoding_is_injective(a: list[object], b: list[object]) -> None:
    """Two different field lists never encode alike (length prefixes, a marker for absent)."""

    def norm(xs: list[object]) -> list[str | None]:
        return [None if x is None else str(x) for x in xs]

    if norm(a) != norm(b):
        assert encode(a) != encode(b)  # type: ignore[arg-type]


@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                                             min_size=1, max_size=12)),
                min_size=len(FIELDS) - 2, max_size=len(FIELDS) - 2),
       st.integers(1, 2**40), st.integers(0, 2**60))  # fmt: skip
def test_sqlite_builds_the_same_bytes_as_python(
    texts: list[str | None], seq: int, when: int
) -> None:
    """The fast verifier's SQL encoding equals the writer's Python encoding, byte for byte."""
    values: list[str | int | None] = list(texts)
    values.insert(FIELDS.index("seq"), seq)
    values.insert(FIELDS.index("occurred_at"), when)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE audit_entries (" + ", ".join(f'"{f}"' for f in FIELDS) + ")")
    db.execute(f"INSERT INTO audit_entries VALUES ({', '.join('?' * len(FIELDS))})", values)  # noqa: S608
    expr = sql_encoding_expression()
    (sql_bytes,) = db.execute(f"SELECT {expr} FROM audit_entries").fetchone()  # noqa: S608
    assert sql_bytes == encode(values)
