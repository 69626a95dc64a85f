"""
Personal data at rest: envelope encryption, key hierarchy and blind indexes (SEC-71 to SEC-76).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import pathlib
import pickle
import unicodedata
from collections.abc import Callable

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ircc_account._crypto as crypto_pkg
from ircc_account._clock import SystemRandomness
from ircc_account._crypto import (
    DataKey,
    FieldContext,
    KeyEncryptionKey,
    Keyring,
    WrappedDataKey,
    normalize_email,
    normalize_uci,
)
from ircc_account.errors import (
    ConfigurationError,
    CryptoError,
    DecryptionFailed,
    InvalidFormat,
    IrccAccountError,
    KeyNotFound,
)

KEK_1 = bytes(range(32))
KEK_2 = bytes(range(100, 132))
INDEX_KEY = bytes(range(200, 232))
CTX = FieldContext(table="accounts", column="personal_ct", record_id="acc-1", account_id="acc-1")

contexts = st.builds(
    FieldContext,
    table=st.text(min_size=1, max_size=20),
    column=st.text(min_size=1, max_size=20),
    record_id=st.text(min_size=1, max_size=40),
    account_id=st.text(min_size=1, max_size=40),
)


class RecordingRandomness:
    """A CSPRNG wrapper that remembers every request, to see where keys and nonces come from."""

    def __init__(self) -> None:
        self.drawn: list[bytes] = []

    def token_bytes(self, n: int) -> bytes:
        out = SystemRandomness().token_bytes(n)
        self.drawn.append(out)
        return out


def _ring(**kwargs: object) -> Keyring:
    return Keyring(
        [KeyEncryptionKey(key_id="kek-1", secret=KEK_1)],
        primary="kek-1",
        index_key=INDEX_KEY,
        **kwargs,  # type: ignore[arg-type]
    )


def _spellings(secret: bytes) -> list[bytes]:
    """The ways a secret could leak into text: raw, hex (both cases), base64 and base64url."""
    b64 = base64.b64encode(secret).rstrip(b"=")
    url = base64.urlsafe_b64encode(secret).rstrip(b"=")
    return [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        b64,
        url,
        repr(secret).encode(),
    ]


def _assert_hidden(text: str, *secrets: bytes) -> None:
    raw = text.encode("utf-8", "surrogateescape")
    for s in secrets:
        for spelling in _spellings(s):
            assert spelling not in raw, text


# --- round trips -------------------------------------------------------------


@given(plaintext=st.binary(max_size=2048), context=contexts)
def test_any_bytes_round_trip_in_any_context(plaintext: bytes, context: FieldContext) -> None:
    """Any bytes encrypted for any context decrypt to themselves in that context."""
    key, _ = _ring().new_data_key("acc-1")
    assert key.decrypt(key.encrypt(plaintext, context), context) == plaintext


@given(text=st.text(max_size=500), context=contexts)
def test_any_text_round_trips_as_utf8(text: str, context: FieldContext) -> None:
    """Any text encrypted with encrypt_text comes back equal from decrypt_text."""
    key, _ = _ring().new_data_key("acc-1")
    assert key.decrypt_text(key.encrypt_text(text, context), context) == text


def test_envelope_format_is_version_nonce_ciphertext_tag() -> None:
    """An envelope is b"\\x01", the 12-byte nonce drawn for it, then ciphertext and 16-byte tag."""
    rnd = RecordingRandomness()
    key = DataKey(KEK_1, randomness=rnd)
    blob = key.encrypt(b"Tremblay", CTX)
    assert blob[:1] == b"\x01"
    assert len(rnd.drawn[-1]) == 12
    assert blob[1:13] == rnd.drawn[-1]
    assert len(blob) == 1 + 12 + len(b"Tremblay") + 16


def test_non_utf8_plaintext_fails_decrypt_text() -> None:
    """decrypt_text on authentic non-UTF-8 bytes raises DecryptionFailed, not UnicodeDecodeError."""
    key, _ = _ring().new_data_key("acc-1")
    with pytest.raises(DecryptionFailed):
        key.decrypt_text(key.encrypt(b"\xff\xfe", CTX), CTX)


# --- SEC-71: authenticated encryption ----------------------------------------


@given(plaintext=st.binary(max_size=256), data=st.data())
def test_sec_71_bit_flip_never_decrypts(plaintext: bytes, data: st.DataObject) -> None:
    """Flipping any single bit of an envelope makes decryption raise DecryptionFailed (SEC-71)."""
    key, _ = _ring().new_data_key("acc-1")
    blob = bytearray(key.encrypt(plaintext, CTX))
    bit = data.draw(st.integers(0, len(blob) * 8 - 1), label="bit")
    blob[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionFailed):
        key.decrypt(bytes(blob), CTX)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[:-1],
        lambda b: b[:28],
        lambda b: b"",
        lambda b: b"\x02" + b[1:],
        lambda b: b + b"\x00",
        bytearray,
        lambda b: b.hex(),
    ],
    ids=["short-tag", "header-only", "empty", "version-2", "trailing-byte", "bytearray", "str"],
)
def test_sec_71_malformed_envelopes_fail(mangle: object) -> None:
    """Truncated, extended, other-version or non-bytes envelopes raise DecryptionFailed (SEC-71)."""
    key, _ = _ring().new_data_key("acc-1")
    blob = key.encrypt(b"AB123456", CTX)
    with pytest.raises(DecryptionFailed):
        key.decrypt(mangle(blob), CTX)  # type: ignore[operator]


def test_sec_71_another_accounts_key_cannot_decrypt() -> None:
    """A ciphertext under one account's data key does not decrypt under another's (SEC-71)."""
    ring = _ring()
    key_a, _ = ring.new_data_key("acc-1")
    key_b, _ = ring.new_data_key("acc-1")
    with pytest.raises(DecryptionFailed):
        key_b.decrypt(key_a.encrypt(b"1990-04-02", CTX), CTX)


# --- SEC-72: nonces ------------------------------------------------------------


def test_sec_72_same_plaintext_100k_times_gives_distinct_nonces() -> None:
    """One plaintext encrypted 100,000 times gives distinct nonces and ciphertexts (SEC-72)."""
    key, _ = _ring().new_data_key("acc-1")
    blobs = [key.encrypt(b"Marie", CTX) for _ in range(100_000)]
    assert len({b[1:13] for b in blobs}) == 100_000
    assert len(set(blobs)) == 100_000


def test_sec_72_nonces_come_from_the_injected_randomness() -> None:
    """Each encryption draws one fresh 12-byte nonce from the keyring's Randomness (SEC-72)."""
    rnd = RecordingRandomness()
    key, _ = _ring(randomness=rnd).new_data_key("acc-1")
    before = len(rnd.drawn)
    blob = key.encrypt(b"x", CTX)
    assert len(rnd.drawn) == before + 1
    assert rnd.drawn[-1] == blob[1:13]


def test_sec_72_wrong_sized_nonce_source_is_refused() -> None:
    """A Randomness returning the wrong number of bytes is refused, not used as a nonce (SEC-72)."""

    class Short:
        def token_bytes(self, n: int) -> bytes:
            return b"\x00" * (n - 1) if n == 12 else SystemRandomness().token_bytes(n)

    with pytest.raises(ConfigurationError):
        DataKey(KEK_1, randomness=Short()).encrypt(b"x", CTX)
    with pytest.raises(ConfigurationError):
        _ring(randomness=Short()).new_data_key("acc-1")


# --- SEC-73: binding to context -------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        FieldContext(table="accounts", column="personal_ct", record_id="acc-2", account_id="acc-1"),
        FieldContext(table="accounts", column="personal_ct", record_id="acc-1", account_id="acc-2"),
        FieldContext(table="accounts", column="contact_ct", record_id="acc-1", account_id="acc-1"),
        FieldContext(table="items", column="personal_ct", record_id="acc-1", account_id="acc-1"),
    ],
    ids=["other-record", "other-account", "other-column", "other-table"],
)
def test_sec_73_ciphertext_moved_to_another_context_fails(other: FieldContext) -> None:
    """A ciphertext moved to another record, account, column or table does not decrypt (SEC-73)."""
    key, _ = _ring().new_data_key("acc-1")
    blob = key.encrypt(b"Tremblay", CTX)
    assert key.decrypt(blob, CTX) == b"Tremblay"
    with pytest.raises(DecryptionFailed):
        key.decrypt(blob, other)


def test_sec_73_associated_data_is_length_prefixed() -> None:
    """Contexts whose parts concatenate alike still encode to different associated data (SEC-73)."""
    a = FieldContext(table="ab", column="c", record_id="r", account_id="a")
    b = FieldContext(table="a", column="bc", record_id="r", account_id="a")
    assert a.associated_data() != b.associated_data()
    assert a.associated_data().startswith(b"\x01")


@given(a=contexts, b=contexts)
def test_sec_73_associated_data_is_injective(a: FieldContext, b: FieldContext) -> None:
    """Two contexts encode to the same associated data only if they are equal (SEC-73)."""
    assert (a.associated_data() == b.associated_data()) == (a == b)


@pytest.mark.parametrize("part", ["table", "column", "record_id", "account_id"])
def test_sec_73_context_parts_must_be_non_empty(part: str) -> None:
    """A field context with an empty part is refused: no ciphertext is bound to nothing (SEC-73)."""
    parts = {"table": "t", "column": "c", "record_id": "r", "account_id": "a", part: ""}
    with pytest.raises(ConfigurationError):
        FieldContext(**parts)
    key, _ = _ring().new_data_key("acc-1")
    with pytest.raises(ConfigurationError):
        key.encrypt_field(b"x", *parts.values())
    with pytest.raises(ConfigurationError):
        key.decrypt_field(key.encrypt(b"x", CTX), *parts.values())


@given(context=contexts, other=contexts, plaintext=st.binary(max_size=64))
def test_sec_73_field_methods_bind_exactly_as_a_field_context(
    context: FieldContext, other: FieldContext, plaintext: bytes
) -> None:
    """encrypt_field and decrypt_field bind exactly as the same FieldContext does (SEC-73)."""
    key, _ = _ring().new_data_key("acc-1")
    parts = attrs.astuple(context)
    assert key.decrypt_field(key.encrypt(plaintext, context), *parts) == plaintext
    assert key.decrypt(key.encrypt_field(plaintext, *parts), context) == plaintext
    if other != context:
        with pytest.raises(DecryptionFailed):
            key.decrypt_field(key.encrypt(plaintext, context), *attrs.astuple(other))


def test_sec_73_wrong_account_id_on_unwrap_fails() -> None:
    """A wrapped data key unwrapped for another account raises DecryptionFailed (SEC-73)."""
    ring = _ring()
    _, wrapped = ring.new_data_key("acc-1")
    ring.unwrap(wrapped, "acc-1")
    with pytest.raises(DecryptionFailed):
        ring.unwrap(wrapped, "acc-2")


def test_sec_73_wrapped_key_is_bound_to_its_kek_id() -> None:
    """A wrapped key relabelled with another KEK id fails, even under the same secret (SEC-73)."""
    ring = Keyring(
        [KeyEncryptionKey(key_id="a", secret=KEK_1), KeyEncryptionKey(key_id="b", secret=KEK_1)],
        primary="a",
        index_key=INDEX_KEY,
    )
    _, wrapped = ring.new_data_key("acc-1")
    with pytest.raises(DecryptionFailed):
        ring.unwrap(WrappedDataKey(kek_id="b", blob=wrapped.blob), "acc-1")


@given(data=st.data())
def test_sec_73_altered_wrapped_key_fails(data: st.DataObject) -> None:
    """Flipping any bit of a wrapped data key makes unwrap raise DecryptionFailed (SEC-73)."""
    ring = _ring()
    _, wrapped = ring.new_data_key("acc-1")
    blob = bytearray(wrapped.blob)
    bit = data.draw(st.integers(0, len(blob) * 8 - 1), label="bit")
    blob[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionFailed):
        ring.unwrap(WrappedDataKey(kek_id="kek-1", blob=bytes(blob)), "acc-1")


# --- SEC-74: key management and rotation --------------------------------------------


def test_sec_74_rotation_keeps_old_keys_readable_and_wraps_with_the_new() -> None:
    """After rotated(), old wrapped keys still unwrap and new ones name the new KEK (SEC-74)."""
    old = _ring()
    key, wrapped = old.new_data_key("acc-1")
    blob = key.encrypt(b"AB123456", CTX)
    new = old.rotated(KeyEncryptionKey(key_id="kek-2", secret=KEK_2))
    assert new.primary_id == "kek-2"
    assert new.key_ids == ("kek-1", "kek-2")
    assert old.primary_id == "kek-1"  # The old keyring is unchanged.
    assert new.unwrap(wrapped, "acc-1").decrypt(blob, CTX) == b"AB123456"
    assert new.new_data_key("acc-2")[1].kek_id == "kek-2"


def test_sec_74_rewrap_then_retire_the_old_kek() -> None:
    """Re-wrapping every data key lets the old KEK go with all data still readable (SEC-74)."""
    old = _ring()
    rows = {}
    for n in range(5):
        account = f"acc-{n}"
        key, wrapped = old.new_data_key(account)
        rows[account] = (wrapped, key.encrypt(account.encode(), CTX))
    new = old.rotated(KeyEncryptionKey(key_id="kek-2", secret=KEK_2))
    rewrapped = {a: new.rewrap(w, a) for a, (w, _) in rows.items()}
    assert {w.kek_id for w in rewrapped.values()} == {"kek-2"}
    retired = new.without("kek-1")
    assert retired.key_ids == ("kek-2",)
    for account, (_, blob) in rows.items():
        assert retired.unwrap(rewrapped[account], account).decrypt(blob, CTX) == account.encode()
    with pytest.raises(KeyNotFound):
        retired.unwrap(rows["acc-0"][0], "acc-0")


def test_sec_74_rewrap_under_the_primary_is_a_no_op() -> None:
    """rewrap returns a key already under the primary KEK unchanged (SEC-74)."""
    ring = _ring()
    _, wrapped = ring.new_data_key("acc-1")
    assert ring.rewrap(wrapped, "acc-1") == wrapped


def test_sec_74_rewrap_checks_the_account() -> None:
    """rewrap of an old-KEK key for the wrong account raises DecryptionFailed (SEC-74)."""
    old = _ring()
    _, wrapped = old.new_data_key("acc-1")
    new = old.rotated(KeyEncryptionKey(key_id="kek-2", secret=KEK_2))
    with pytest.raises(DecryptionFailed):
        new.rewrap(wrapped, "acc-2")


def test_sec_74_primary_cannot_be_removed_and_unknown_ids_are_not_found() -> None:
    """without() refuses the primary KEK and raises KeyNotFound for an id not held (SEC-74)."""
    ring = _ring().rotated(KeyEncryptionKey(key_id="kek-2", secret=KEK_2))
    with pytest.raises(ConfigurationError):
        ring.without("kek-2")
    with pytest.raises(KeyNotFound) as info:
        ring.without("kek-9")
    assert info.value.params == {"key_id": "kek-9"}


def test_sec_74_unknown_kek_id_raises_key_not_found() -> None:
    """A wrapped key naming a KEK not in the keyring raises KeyNotFound with that id (SEC-74)."""
    _, wrapped = _ring().new_data_key("acc-1")
    other = Keyring(
        [KeyEncryptionKey(key_id="kek-2", secret=KEK_2)], primary="kek-2", index_key=INDEX_KEY
    )
    with pytest.raises(KeyNotFound) as info:
        other.unwrap(wrapped, "acc-1")
    assert info.value.params == {"key_id": "kek-1"}
    with pytest.raises(KeyNotFound) as info:
        other.unwrap(WrappedDataKey(kek_id="{0.__class__}\n", blob=wrapped.blob), "acc-1")
    assert info.value.params == {"key_id": "(malformed)"}


@pytest.mark.parametrize(
    ("keks", "primary"),
    [
        ([], "kek-1"),
        ([KeyEncryptionKey("kek-1", KEK_1), KeyEncryptionKey("kek-1", KEK_2)], "kek-1"),
        ([KeyEncryptionKey("kek-1", KEK_1)], "kek-2"),
    ],
    ids=["empty", "duplicate-id", "missing-primary"],
)
def test_sec_74_inconsistent_keyrings_are_refused(
    keks: list[KeyEncryptionKey], primary: str
) -> None:
    """A keyring with no KEK, a duplicate id, or a primary it does not hold is refused (SEC-74)."""
    with pytest.raises(ConfigurationError):
        Keyring(keks, primary=primary, index_key=INDEX_KEY)


def test_sec_74_rotating_to_an_existing_id_is_refused() -> None:
    """rotated() with a KEK id already in the keyring raises ConfigurationError (SEC-74)."""
    with pytest.raises(ConfigurationError):
        _ring().rotated(KeyEncryptionKey(key_id="kek-1", secret=KEK_2))


@pytest.mark.parametrize("key_id", ["", "a" * 65, "kek 1", "kék", "kek/1", "kek-1\n"])
def test_sec_74_key_ids_are_short_and_plain(key_id: str) -> None:
    """A KEK id outside 1 to 64 characters of [A-Za-z0-9._-] is refused (SEC-74)."""
    with pytest.raises(ConfigurationError):
        KeyEncryptionKey(key_id=key_id, secret=KEK_1)


# --- SEC-75: key strength ---------------------------------------------------------


@pytest.mark.parametrize("size", [0, 16, 24, 31, 33, 64])
def test_sec_75_keys_must_be_exactly_32_bytes(size: int) -> None:
    """KEKs and data keys of any length but 32 bytes raise ConfigurationError (SEC-75)."""
    with pytest.raises(ConfigurationError):
        KeyEncryptionKey(key_id="kek-1", secret=b"\x01" * size)
    with pytest.raises(ConfigurationError):
        DataKey(b"\x01" * size, randomness=SystemRandomness())


def test_sec_75_32_byte_keys_are_accepted_and_text_is_not() -> None:
    """A 32-byte key is accepted; a 32-character str is not a key (SEC-75)."""
    assert KeyEncryptionKey(key_id="kek-1", secret=b"\x01" * 32).key_id == "kek-1"
    with pytest.raises(ConfigurationError):
        KeyEncryptionKey(key_id="kek-1", secret="k" * 32)  # type: ignore[arg-type]


def test_sec_75_index_key_is_at_least_32_bytes_and_not_a_kek() -> None:
    """The index key must be 32 bytes or more and differ from every KEK (SEC-75)."""
    kek = [KeyEncryptionKey(key_id="kek-1", secret=KEK_1)]
    with pytest.raises(ConfigurationError):
        Keyring(kek, primary="kek-1", index_key=b"\x01" * 31)
    with pytest.raises(ConfigurationError):
        Keyring(kek, primary="kek-1", index_key=KEK_1)
    assert Keyring(kek, primary="kek-1", index_key=b"\x01" * 33).primary_id == "kek-1"


def test_sec_75_keys_come_from_the_csprng() -> None:
    """generate() and new_data_key() draw 32-byte keys from the injected Randomness (SEC-75)."""
    rnd = RecordingRandomness()
    ring = Keyring.generate(randomness=rnd)
    assert sorted(len(b) for b in rnd.drawn) == [4, 32, 32]
    rnd.drawn.clear()
    ring.new_data_key("acc-1")
    assert [len(b) for b in rnd.drawn] == [32, 12]  # The data key, then the wrapping nonce.


def test_sec_75_no_random_module_in_key_paths() -> None:
    """No module of the crypto package imports the non-cryptographic random module (SEC-75)."""
    package = pathlib.Path(crypto_pkg.__file__).parent
    sources = sorted(package.glob("*.py"))
    assert len(sources) >= 3
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "random" for a in node.names), path
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "random", path


# --- no secrets in repr, str, pickles or errors -------------------------------------


def test_reprs_never_show_key_bytes() -> None:
    """The reprs of KEKs, keyrings, data keys and wrapped keys hold no key bytes in any spelling."""
    rnd = RecordingRandomness()
    ring = Keyring(
        [KeyEncryptionKey(key_id="kek-1", secret=KEK_1)],
        primary="kek-1",
        index_key=INDEX_KEY,
        randomness=rnd,
    )
    key, wrapped = ring.new_data_key("acc-1")
    data_key_bytes = rnd.drawn[0]
    texts = [repr(ring), str(ring), repr(key), str(key), repr(wrapped), repr(ring.key_ids)]
    texts.append(repr(KeyEncryptionKey(key_id="kek-1", secret=KEK_1)))
    for text in texts:
        _assert_hidden(text, KEK_1, INDEX_KEY, data_key_bytes, wrapped.blob)
    assert "kek-1" in repr(ring)


def test_keys_refuse_to_be_pickled() -> None:
    """Data keys and keyrings cannot be pickled into a cache or queue by accident."""
    ring = _ring()
    key, _ = ring.new_data_key("acc-1")
    for obj in (ring, key):
        with pytest.raises(TypeError):
            pickle.dumps(obj)


def test_error_messages_contain_no_key_or_plaintext() -> None:
    """Every crypto error raised here says nothing of the keys, the plaintext or the ciphertext."""
    rnd = RecordingRandomness()
    ring = _ring(randomness=rnd)
    key, wrapped = ring.new_data_key("acc-1")
    plaintext = b"AB123456-Tremblay-1990-04-02"
    blob = key.encrypt(plaintext, CTX)
    failures: list[IrccAccountError] = []
    attempts: list[Callable[[], object]] = [
        lambda: key.decrypt(blob[:-1], CTX),
        lambda: key.decrypt(blob, FieldContext("t", "c", "r", "a")),
        lambda: ring.unwrap(wrapped, "acc-2"),
        lambda: ring.unwrap(WrappedDataKey(kek_id="kek-9", blob=wrapped.blob), "acc-1"),
        lambda: KeyEncryptionKey(key_id="kek-1", secret=KEK_1 + b"\x00"),
        lambda: DataKey(KEK_2[:31], randomness=rnd),
        lambda: Keyring([], primary="kek-1", index_key=INDEX_KEY),
    ]
    for attempt in attempts:
        with pytest.raises(IrccAccountError) as info:
            attempt()
        failures.append(info.value)
    assert {type(e) for e in failures} >= {DecryptionFailed, KeyNotFound, ConfigurationError}
    for e in failures:
        for text in (str(e), repr(e), e.message("en"), e.message("fr"), repr(e.params)):
            _assert_hidden(text, KEK_1, KEK_2[:31], INDEX_KEY, rnd.drawn[0], plaintext, blob)
        # No chained exception carries bytes into a traceback or log either.
        assert e.__cause__ is None
        assert e.__suppress_context__ or e.__context__ is None


def test_decryption_failures_do_not_say_which_check_failed() -> None:
    """A bad tag, a wrong context and a wrong version give the same error and message."""
    key, _ = _ring().new_data_key("acc-1")
    blob = key.encrypt(b"x", CTX)
    messages = set()
    for bad, ctx in [
        (blob[:-1] + bytes([blob[-1] ^ 1]), CTX),
        (blob, FieldContext("t", "c", "r", "a")),
        (b"\x02" + blob[1:], CTX),
    ]:
        with pytest.raises(CryptoError) as info:
            key.decrypt(bad, ctx)
        assert type(info.value) is DecryptionFailed
        messages.add((str(info.value), repr(info.value)))
    assert len(messages) == 1


# --- SEC-76: blind index ----------------------------------------------------------


def test_sec_76_blind_index_is_keyed() -> None:
    """The index is no plain SHA-256 of the value, and depends on the index key (SEC-76)."""
    uci = "12345678"
    index = _ring().blind_index("uci", uci)
    assert len(index) == 32
    assert index == _ring().blind_index("uci", uci)
    assert index not in {
        hashlib.sha256(uci.encode()).digest(),
        hashlib.sha256(b"uci\x00" + uci.encode()).digest(),
    }
    other = Keyring(
        [KeyEncryptionKey(key_id="kek-1", secret=KEK_1)], primary="kek-1", index_key=KEK_2
    )
    assert other.blind_index("uci", uci) != index


def test_sec_76_blind_index_survives_kek_rotation() -> None:
    """Rotating KEKs keeps the index key, so stored indexes still match (SEC-76)."""
    ring = _ring()
    rotated = ring.rotated(KeyEncryptionKey(key_id="kek-2", secret=KEK_2)).without("kek-1")
    assert rotated.blind_index("email", "a@b.ca") == ring.blind_index("email", "a@b.ca")


def test_sec_76_blind_index_normalizes_uci_and_email() -> None:
    """Grouped and plain UCIs index alike, and so do emails differing in case or spaces (SEC-76)."""
    ring = _ring()
    assert ring.blind_index("uci", "1234-5678") == ring.blind_index("uci", "12345678")
    assert ring.blind_index("uci", "12-3456-7890") == ring.blind_index("uci", " 1234567890 ")
    assert ring.blind_index("uci", "12345678") != ring.blind_index("uci", "12345679")
    assert ring.blind_index("email", " Marie@Example.CA ") == ring.blind_index(
        "email", "marie@example.ca"
    )
    assert ring.blind_index("email", "marie@example.ca") != ring.blind_index(
        "email", "mari@example.ca"
    )


def test_sec_76_kinds_are_domain_separated() -> None:
    """The same digits indexed as a UCI and as an email give different indexes (SEC-76)."""
    ring = _ring()
    assert ring.blind_index("uci", "12345678") != ring.blind_index("email", "12345678")


def test_sec_76_unknown_kinds_and_empty_values_are_refused() -> None:
    """An unknown kind raises ConfigurationError; a value normalizing to nothing, InvalidFormat."""
    ring = _ring()
    with pytest.raises(ConfigurationError):
        ring.blind_index("passport", "AB123456")
    with pytest.raises(InvalidFormat):
        ring.blind_index("uci", "--")
    with pytest.raises(InvalidFormat):
        ring.blind_index("email", "   ")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("1234-5678", "12345678"), (" 12-3456-7890\n", "1234567890"), ("١٢٣٤٥٦٧٨", "")],
)
def test_normalize_uci_keeps_ascii_digits_only(raw: str, normal: str) -> None:
    """normalize_uci keeps the ASCII digits of a UCI and drops everything else."""
    assert normalize_uci(raw) == normal


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (" Marie@Example.CA\t", "marie@example.ca"),
        ("STRASSE@EXAMPLE.DE", "strasse@example.de"),
        ("straße@example.de", "straße@example.de"),
        ("STRAßE@example.de", "straße@example.de"),
        ("E\u0301lodie@example.ca", "\u00c9lodie@example.ca"),
        ("marie@Québec.CA", "marie@xn--qubec-csa.ca"),
        ("marie@QUÉBEC.ca", "marie@xn--qubec-csa.ca"),
        ("marie@bad_domain.ca", "marie@bad_domain.ca"),
    ],
)
def test_normalize_email_is_nfc_idna_domain_and_ascii_lowercase_local_part(
    raw: str, normal: str
) -> None:
    """normalize_email strips, NFC-normalizes, lower-cases the domain through IDNA, and only ASCII capitals in the local part."""
    assert normalize_email(raw) == normal


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("straße@example.de", "STRASSE@example.de"),
        ("straße@example.de", "strasse@example.de"),
        ("élodie@example.ca", "ÉLODIE@example.ca"),
        ("marie@straße.de", "marie@strasse.de"),
        ("ǅ@example.ca", "ǆ@example.ca"),
    ],
)
def test_email_normalization_never_merges_distinct_addresses(a: str, b: str) -> None:
    """Addresses that differ beyond ASCII case get different blind indexes (no full case folding)."""
    ring = _ring()
    assert ring.blind_index("email", a) != ring.blind_index("email", b)


@given(st.emails())
def test_ascii_case_and_unicode_composition_never_change_an_email_index(address: str) -> None:
    """Upper-casing the ASCII letters of an address, or decomposing it (NFD), gives the same index."""
    ring = _ring()
    index = ring.blind_index("email", address)
    assert ring.blind_index("email", address.upper() if address.isascii() else address) == index
    assert ring.blind_index("email", unicodedata.normalize("NFD", address)) == index
