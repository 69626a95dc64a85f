"""
The document store port and its adapters: files sealed with the client's own
document key (AES-256-GCM, the file's name and type as associated data), so
the folder and the object store hold only ciphertext, a file moved or swapped
between clients does not open, and an erased client's documents are
unreadable once their data key is gone. The S3 adapter runs against moto's
standalone server on 127.0.0.1.
"""

from __future__ import annotations

import os
import pathlib
import socket
import stat

import pytest

from ircc_account import FrontDoor, FrontDoorConfig, FrozenClock, Keyring
from ircc_account.builtin.applications import (
    ApplicationDesk,
    FolderDocumentStore,
    SealedDocuments,
)
from ircc_account.builtin.trv import TrvService
from ircc_account.errors import (
    DecryptionFailed,
    DocumentStoreUnavailable,
    NotFound,
    PersonalDataErased,
)
from tests.door.conftest import Verifier

from ..conftest import START, Portal, jpeg, pdf
from .conftest import make_s3


def _files(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_the_folder_holds_only_ciphertext_readable_by_its_owner(portal: Portal) -> None:
    """A stored file is sealed (no plaintext on disk), mode 0600, in folders of mode 0700."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    data = pdf(padding=4000)
    desk.upload(
        client, client.actor_id, view.draft.draft_id, "funds", data, filename="bank.pdf", version=1
    )
    sealed = [p for p in _files(portal.documents) if p.parts[-5] == "docs"]
    (path,) = sealed
    raw = path.read_bytes()
    assert raw.startswith(b"IRD1") and b"%PDF" not in raw and b"xxxx" not in raw
    assert len(raw) == len(data) + 4 + 12 + 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_file_swapped_between_clients_or_renamed_does_not_open(portal: Portal) -> None:
    """The associated data binds each file to its name: swapping or moving one fails to decrypt."""
    a, b = portal.client(), portal.client()
    desk = portal.trv_desk
    va = desk.start(a, a.actor_id)
    vb = desk.start(b, b.actor_id)
    va = desk.upload(
        a, a.actor_id, va.draft.draft_id, "funds", pdf(pages=1), filename="a.pdf", version=1
    )
    vb = desk.upload(
        b, b.actor_id, vb.draft.draft_id, "funds", pdf(pages=2), filename="b.pdf", version=1
    )
    (fa,) = [p for p in _files(portal.documents) if a.actor_id in p.parts and p.parts[-5] == "docs"]
    (fb,) = [p for p in _files(portal.documents) if b.actor_id in p.parts and p.parts[-5] == "docs"]
    fa_bytes, fb_bytes = fa.read_bytes(), fb.read_bytes()
    fa.write_bytes(fb_bytes)
    with pytest.raises(DecryptionFailed):
        desk.document(a, a.actor_id, va.draft.draft_id, va.draft.documents[0].document_id)
    fa.write_bytes(fa_bytes)
    # Same client, same key: a file copied under another document's name fails too.
    view = desk.upload(
        a,
        a.actor_id,
        va.draft.draft_id,
        "funds",
        pdf(pages=3),
        filename="c.pdf",
        version=va.draft.version,
    )
    second = view.draft.documents[1]
    target = fa.parent / second.document_id
    target.write_bytes(fa_bytes)
    with pytest.raises(DecryptionFailed):
        desk.document(a, a.actor_id, va.draft.draft_id, second.document_id)
    assert fb.read_bytes() == fb_bytes


def test_an_erased_clients_documents_are_unreadable(portal: Portal) -> None:
    """After erasure the document key is gone with the data key: nothing left can open the files."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    data = jpeg()
    view = desk.upload(
        client, client.actor_id, view.draft.draft_id, "photo", data, filename="me.jpg", version=1
    )
    (stored,) = view.draft.documents
    with portal.door.store.unit_of_work(write=False) as uow:
        key_row = uow.plugin_records.get(client.actor_id, "trv", "documents.key")
    assert key_row is not None

    with portal.door.store.unit_of_work() as uow:
        uow.accounts.erase_personal_data(client.actor_id)
        uow.commit()

    # The sealed file is still on disk, but the records that held its key are
    # gone, and so is the account key that sealed them.
    with portal.door.store.unit_of_work(write=False) as uow:
        assert uow.plugin_records.get(client.actor_id, "trv", "documents.key") is None
        with pytest.raises(PersonalDataErased):
            uow.data_key(client.actor_id)
    sealed = SealedDocuments(FolderDocumentStore(portal.documents))
    name = f"docs/trv/{client.actor_id}/{view.draft.draft_id}/{stored.document_id}"
    assert portal.documents.joinpath(*name.split("/")).exists()
    with pytest.raises(DecryptionFailed):
        sealed.get(os.urandom(32), name, "image/jpeg")
    with pytest.raises(NotFound):  # the draft went with the client's records
        desk.document(client, client.actor_id, view.draft.draft_id, stored.document_id)


def test_the_folder_refuses_names_that_could_escape_it(tmp_path: pathlib.Path) -> None:
    """Names with .., absolute paths or odd characters are refused before touching the disk."""
    store = FolderDocumentStore(tmp_path / "docs")
    for name in (
        "../x",
        "docs/../../x",
        "/etc/passwd",
        "docs/a b",
        "docs",
        "docs/.hidden",
        "DOCS/x",
    ):
        with pytest.raises(ValueError, match="bad document name"):
            store.put(name, b"x")
    assert _files(tmp_path) == []
    with pytest.raises(NotFound):
        store.get("docs/missing")
    store.delete("docs/missing")  # nothing to delete is fine


def test_the_folder_reports_an_unwritable_disk(tmp_path: pathlib.Path) -> None:
    """A store whose folder cannot be written says so with a typed error and leaves no part file."""
    root = tmp_path / "docs"
    store = FolderDocumentStore(root)
    (root / "docs").write_text("a file where a folder should be")
    with pytest.raises(DocumentStoreUnavailable):
        store.put("docs/a/b", b"x")


def test_s3_adapter_round_trip(s3_endpoint: str) -> None:
    """The S3 adapter puts, gets, lists page by page, and deletes on a real local server."""
    store = make_s3(s3_endpoint, "docs-roundtrip", prefix="ircc/")
    for n in range(3):
        store.put(f"docs/trv/c1/d1/f{n}", bytes([n]) * 10)
    assert store.get("docs/trv/c1/d1/f1") == b"\x01" * 10
    assert list(store.list("docs/trv/c1/")) == [f"docs/trv/c1/d1/f{n}" for n in range(3)]
    store.delete("docs/trv/c1/d1/f1")
    store.delete("docs/trv/c1/d1/f1")
    with pytest.raises(NotFound):
        store.get("docs/trv/c1/d1/f1")
    keys = [o["Key"] for o in store._client.list_objects_v2(Bucket="docs-roundtrip")["Contents"]]
    assert all(k.startswith("ircc/") for k in keys)


def test_s3_unreachable_is_a_typed_error() -> None:
    """An S3 endpoint nobody listens on gives DocumentStoreUnavailable, quickly."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from ircc_account.builtin.applications import S3DocumentStore

    store = S3DocumentStore(
        "docs",
        endpoint_url=f"http://127.0.0.1:{port}",
        region="us-east-1",
        access_key_id="k",
        secret_access_key="s",
        timeout=1.0,
    )
    for call in (
        lambda: store.put("docs/a/b", b"x"),
        lambda: store.get("docs/a/b"),
        lambda: list(store.list("docs/")),
    ):
        with pytest.raises(DocumentStoreUnavailable):
            call()


def test_a_visitor_visa_with_documents_in_object_storage(sqlite_url: str, s3_endpoint: str) -> None:
    """With the S3 adapter the whole application works and the bucket holds only ciphertext."""
    s3 = make_s3(s3_endpoint, "docs-trv")
    service = TrvService()
    config = FrontDoorConfig(
        database_url=sqlite_url,
        keyring=Keyring.generate(),
        licence_verifier=Verifier(),
        clock=FrozenClock(START),
        plugin_settings={"trv": {"documents": s3}},
    )
    with FrontDoor.open(config, plugins={"trv": service}) as door:
        portal = Portal(
            door=door,
            clock=config.clock,  # type: ignore[arg-type]
            trv=service,
            passport=None,  # type: ignore[arg-type]
            trv_desk=ApplicationDesk(door, service),
            passport_desk=None,  # type: ignore[arg-type]
            documents=pathlib.Path("/nonexistent"),
        )
        client = portal.client()
        desk = portal.trv_desk
        view = desk.start(client, client.actor_id)
        data = pdf(padding=2000)
        view = desk.upload(
            client,
            client.actor_id,
            view.draft.draft_id,
            "passport",
            data,
            filename="p.pdf",
            version=1,
        )
        (stored,) = view.draft.documents
        assert (
            desk.document(client, client.actor_id, view.draft.draft_id, stored.document_id)[1]
            == data
        )
        objects = s3._client.list_objects_v2(Bucket="docs-trv")["Contents"]
        bodies = [
            s3._client.get_object(Bucket="docs-trv", Key=o["Key"])["Body"].read() for o in objects
        ]
        assert all(b"%PDF" not in body for body in bodies)
        assert any(body.startswith(b"IRD1") for body in bodies)
        desk.discard(client, client.actor_id, view.draft.draft_id)
        assert s3._client.list_objects_v2(Bucket="docs-trv").get("KeyCount") == 0
