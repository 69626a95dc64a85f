"""
The document store port, its folder adapter, and the sealing every adapter's
bytes go through.

A :class:`DocumentStore` keeps opaque bytes by name. The engine never hands
it a plaintext document: :class:`SealedDocuments` seals each file with
AES-256-GCM under the client's own document key, with associated data
naming the file (service, client, draft, document and content type), so a
file moved, renamed or swapped between clients does not open. The document
key is kept in the plugin's encrypted records for the client (itself sealed
with the client's data key): erasing the client's personal data deletes
those records and destroys their data key, and every document of theirs, in
any adapter, is then unreadable ciphertext.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import secrets
from collections.abc import Iterator
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ircc_account.errors import DecryptionFailed, DocumentStoreUnavailable, NotFound

__all__ = [
    "DocumentStore",
    "FolderDocumentStore",
    "SealedDocuments",
    "check_name",
]

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._:-]{0,127}){1,6}")
_MAGIC = b"IRD1"
_DOMAIN = b"ircc-account/document/v1\x00"


def check_name(name: str) -> str:
    """
    A document name: a lower-case prefix, then up to six identifier parts,
    joined by ``/`` (no ``..``, no absolute path, nothing a path can escape with).

    Raises:
        ValueError: anything else.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or "/." in name:
        raise ValueError("bad document name")
    return name


class DocumentStore(Protocol):
    """
    Where sealed documents are kept: opaque bytes by name. Adapters: a
    folder (:class:`FolderDocumentStore`, the embedded default) and
    S3-compatible object storage (:class:`S3DocumentStore`).

    Every method raises :class:`~ircc_account.errors.DocumentStoreUnavailable`
    when the storage cannot be reached.
    """

    def put(self, name: str, data: bytes) -> None:
        """Keep *data* as *name*, whole or not at all (replacing any earlier one)."""
        ...

    def get(self, name: str) -> bytes:
        """
        The bytes kept as *name*.

        Raises:
            NotFound: nothing is kept as *name*.
        """
        ...

    def delete(self, name: str) -> None:
        """Remove *name*; nothing happens if it is not there."""
        ...

    def list(self, prefix: str) -> Iterator[str]:
        """The names that start with *prefix* (a whole name part, ending in ``/``)."""
        ...


class FolderDocumentStore:
    """
    Documents in a folder on local disk: each name a file under *root*,
    written to a temporary file, flushed to disk, then renamed into place
    (so a crash leaves the old file or the new one, never half of one),
    readable by the owner only.

    Args:
        root: The folder (created if missing, mode 0700).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = pathlib.Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FolderDocumentStore({str(self.root)!r})"

    def _path(self, name: str) -> pathlib.Path:
        return self.root.joinpath(*check_name(name).split("/"))

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.part")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(descriptor, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    temporary.unlink()
                raise
            _fsync_folder(path.parent)
        except OSError:
            raise DocumentStoreUnavailable() from None

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise NotFound(kind="document") from None
        except OSError:
            raise DocumentStoreUnavailable() from None

    def delete(self, name: str) -> None:
        path = self._path(name)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            raise DocumentStoreUnavailable() from None

    def list(self, prefix: str) -> Iterator[str]:
        base = self.root.joinpath(*[p for p in prefix.split("/") if p])
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield "/".join(path.relative_to(self.root).parts)


def _fsync_folder(folder: pathlib.Path) -> None:
    # The rename is durable only once the folder's entry is (POSIX).
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class SealedDocuments:
    """
    Seals and opens documents for one :class:`DocumentStore`.

    The sealed form is ``IRD1`` + a fresh 96-bit nonce + AES-256-GCM
    ciphertext and tag; the associated data is a domain string, the
    document's name and its content type.

    Args:
        store: The adapter that keeps the sealed bytes.
    """

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"SealedDocuments({self.store!r})"

    @staticmethod
    def _aad(name: str, content_type: str) -> bytes:
        return _DOMAIN + name.encode() + b"\x00" + content_type.encode()

    def put(self, key: bytes, name: str, content_type: str, data: bytes) -> None:
        """Seal *data* under *key* and keep it as *name*."""
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, data, self._aad(check_name(name), content_type))
        self.store.put(name, _MAGIC + nonce + sealed)

    def get(self, key: bytes, name: str, content_type: str) -> bytes:
        """
        The document *name*, opened with *key*.

        Raises:
            NotFound: no such document.
            DecryptionFailed: the key is not this client's, or the file was
                altered, moved or renamed.
        """
        blob = self.store.get(check_name(name))
        if len(blob) < len(_MAGIC) + 12 + 16 or not blob.startswith(_MAGIC):
            raise DecryptionFailed()
        nonce, sealed = blob[4:16], blob[16:]
        try:
            return AESGCM(key).decrypt(nonce, sealed, self._aad(name, content_type))
        except InvalidTag:
            raise DecryptionFailed() from None

    def delete(self, name: str) -> None:
        """Remove the document *name*."""
        self.store.delete(check_name(name))
