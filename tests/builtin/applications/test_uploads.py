"""
Uploads are judged by their content before anything is stored: size and type
limits, magic numbers rather than names, a PDF's header and trailer,
decompression bombs refused from the image header without decoding, corrupt
and truncated files refused; each refusal a typed, bilingual error, the
draft unchanged and no file written.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from ircc_account.builtin.applications import (
    DocumentStatus,
    UploadLimits,
    inspect_upload,
)
from ircc_account.errors import (
    DocumentBomb,
    DocumentCorrupt,
    DocumentNotExpected,
    DocumentRejected,
    DocumentTooLarge,
    DocumentTypeRefused,
    TooManyDocuments,
)

from ..conftest import Portal, jpeg, pdf, png, trv_answers

ANY = frozenset({"application/pdf", "image/jpeg", "image/png"})
LIMITS = UploadLimits()


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares *width* x *height* pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_content_decides_the_type_not_the_name() -> None:
    """A PDF is a PDF and a JPEG a JPEG whatever they are called; other bytes are refused."""
    assert inspect_upload(pdf(), accepted=ANY, limits=LIMITS).content_type == "application/pdf"
    photo = inspect_upload(jpeg(), accepted=ANY, limits=LIMITS)
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 420, 540)
    assert inspect_upload(png(), accepted=ANY, limits=LIMITS).content_type == "image/png"
    for junk in (b"MZ\x90\x00" + b"\0" * 100, b"<html><script>", b"GIF89a" + b"\0" * 40):
        with pytest.raises(DocumentTypeRefused) as caught:
            inspect_upload(junk, accepted=ANY, limits=LIMITS)
        assert caught.value.params["accepted"] == "JPEG, PDF, PNG"


def test_a_type_the_entry_does_not_accept_is_refused() -> None:
    """A PDF sent where only images are accepted is refused, naming what is."""
    with pytest.raises(DocumentTypeRefused) as caught:
        inspect_upload(pdf(), accepted={"image/jpeg", "image/png"}, limits=LIMITS)
    assert "JPEG, PNG" in caught.value.message("fr")


@pytest.mark.parametrize("size", [0, 1025])
def test_size_limits(size: int) -> None:
    """An empty file or one over the limit is refused before it is looked at."""
    with pytest.raises(DocumentTooLarge) as caught:
        inspect_upload(
            b"%PDF-1.7\n" + b"x" * max(size - 9, 0) if size else b"",
            accepted=ANY,
            limits=UploadLimits(max_bytes=1024),
        )
    assert caught.value.params["limit"] == 1024


def test_a_decompression_bomb_is_refused_without_decoding() -> None:
    """An image declaring more pixels than allowed is refused from its header alone."""
    bomb = _png_declaring(50_000, 50_000)
    assert len(bomb) < 200
    with pytest.raises(DocumentBomb) as caught:
        inspect_upload(bomb, accepted=ANY, limits=LIMITS)
    assert caught.value.params["limit"] == LIMITS.max_pixels
    # Past Pillow's own limit too (no warning escapes: warnings are errors here).
    with pytest.raises(DocumentBomb):
        inspect_upload(
            _png_declaring(200_000, 200_000), accepted=ANY, limits=UploadLimits(max_pixels=10**12)
        )


@pytest.mark.parametrize(
    "damaged",
    [
        jpeg()[:-400],  # truncated JPEG
        jpeg()[:200],  # header only
        png()[:-20],  # PNG without its end
        b"\x89PNG\r\n\x1a\n" + b"\0" * 50,  # a PNG signature and nothing else
        b"\xff\xd8\xff" + b"\x00" * 64,  # a JPEG signature and nothing else
        pdf()[:-6],  # PDF without %%EOF
        pdf().replace(b"startxref", b"startyref"),  # PDF without startxref
        b"%PDF-9.9\n" + pdf()[9:],  # an unknown PDF version
        pdf().replace(b"startxref\n", b"startxref\n99999999"),  # offset past the end
    ],
)
def test_corrupt_files_are_refused(damaged: bytes) -> None:
    """Truncated or malformed images and PDFs are refused as corrupt."""
    with pytest.raises(DocumentCorrupt) as caught:
        inspect_upload(damaged, accepted=ANY, limits=LIMITS)
    assert caught.value.message("en") != caught.value.message("fr")


def test_a_refused_upload_stores_nothing_and_leaves_the_draft(portal: Portal) -> None:
    """Every refusal leaves no file in the store and the draft exactly as it was."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    draft_id = view.draft.draft_id
    before = sorted(p for p in portal.documents.rglob("*") if p.is_file())
    for requirement, data, error in (
        ("passport", b"", DocumentTooLarge),
        ("passport", b"MZ" + b"\0" * 30, DocumentTypeRefused),
        ("photo", pdf(), DocumentTypeRefused),
        ("passport", pdf()[:-6], DocumentCorrupt),
        ("photo", _png_declaring(40_000, 40_000), DocumentBomb),
        ("invitation", pdf(), DocumentNotExpected),
        ("no-such-thing", pdf(), DocumentNotExpected),
    ):
        with pytest.raises(error) as caught:
            desk.upload(
                client, client.actor_id, draft_id, requirement, data, filename="x.pdf", version=1
            )
        assert isinstance(caught.value, DocumentRejected)
    assert sorted(p for p in portal.documents.rglob("*") if p.is_file()) == before
    assert desk.open(client, client.actor_id, draft_id).draft == view.draft


def test_the_checklist_follows_the_answers(portal: Portal) -> None:
    """An invitation letter is asked for once invited; a file no longer asked for is left out."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    ids = lambda v: {e.requirement.id: e.status for e in v.evaluation.checklist}  # noqa: E731
    assert "invitation" not in ids(view)
    view = desk.save(client, client.actor_id, view.draft.draft_id, {"invited": "yes"}, version=1)
    assert ids(view)["invitation"] is DocumentStatus.MISSING
    view = desk.upload(
        client,
        client.actor_id,
        view.draft.draft_id,
        "invitation",
        pdf(),
        filename="inv.pdf",
        version=view.draft.version,
    )
    assert ids(view)["invitation"] is DocumentStatus.RECEIVED
    view = desk.save(
        client, client.actor_id, view.draft.draft_id, {"invited": "no"}, version=view.draft.version
    )
    assert ids(view)["invitation"] is DocumentStatus.NOT_NEEDED
    review = desk.review(client, client.actor_id, view.draft.draft_id)
    assert b'"invitation"' not in review.statement


def test_a_minor_travelling_with_one_parent_needs_the_other_parents_consent(portal: Portal) -> None:
    """The consent letter appears for a minor not travelling with both parents, and only then."""
    client = portal.client(born="2012-05-01")
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    view = desk.save(
        client, client.actor_id, view.draft.draft_id, {"date_of_birth": "2012-05-01"}, version=1
    )
    assert "travelling_with" in {q.id for q in view.evaluation.questions}
    view = desk.save(
        client,
        client.actor_id,
        view.draft.draft_id,
        {"travelling_with": "one_parent"},
        version=view.draft.version,
    )
    assert "minor_consent" in {e.requirement.id for e in view.evaluation.missing_documents}
    view = desk.save(
        client,
        client.actor_id,
        view.draft.draft_id,
        {"travelling_with": "both_parents"},
        version=view.draft.version,
    )
    assert "minor_consent" not in {e.requirement.id for e in view.evaluation.checklist}


def test_an_entry_holds_at_most_its_files(portal: Portal) -> None:
    """The photo entry takes one file; a second is refused until the first is removed."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    view = desk.upload(
        client, client.actor_id, view.draft.draft_id, "photo", jpeg(), filename="me.jpg", version=1
    )
    with pytest.raises(TooManyDocuments):
        desk.upload(
            client,
            client.actor_id,
            view.draft.draft_id,
            "photo",
            jpeg(),
            filename="me2.jpg",
            version=view.draft.version,
        )
    (photo,) = view.draft.documents
    view = desk.remove_document(
        client, client.actor_id, view.draft.draft_id, photo.document_id, version=view.draft.version
    )
    assert view.draft.documents == ()
    desk.upload(
        client,
        client.actor_id,
        view.draft.draft_id,
        "photo",
        png(),
        filename="me.png",
        version=view.draft.version,
    )


def test_an_uploaded_file_reads_back_and_its_name_is_only_shown(portal: Portal) -> None:
    """The file reads back byte for byte; a path in its name is stripped, never used."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    data = pdf(pages=3)
    view = desk.upload(
        client,
        client.actor_id,
        view.draft.draft_id,
        "funds",
        data,
        filename="../../etc/pass\x00wd.pdf",
        version=1,
    )
    (stored,) = view.draft.documents
    assert stored.filename == "passwd.pdf" and stored.size == len(data)
    found, content = desk.document(client, client.actor_id, view.draft.draft_id, stored.document_id)
    assert content == data and found == stored


def test_an_image_with_wrong_colour_mode_still_opens(portal: Portal) -> None:
    """A CMYK JPEG is an accepted image for a document (only photos have colour rules)."""
    out = io.BytesIO()
    Image.new("CMYK", (50, 50), (0, 50, 100, 0)).save(out, format="JPEG")
    assert inspect_upload(out.getvalue(), accepted=ANY, limits=LIMITS).content_type == "image/jpeg"


def test_answers_fixture_is_complete() -> None:
    """The journey tests' answers cover every required TRV question (a guard for the fixtures)."""
    import datetime as dt

    from ircc_account.builtin.applications import AnswerFacts
    from ircc_account.builtin.applications._answers import apply_answers, missing_answers
    from ircc_account.builtin.trv import FORM

    today = dt.date(2026, 3, 2)
    answers = apply_answers(FORM, {}, trv_answers(), today)
    assert missing_answers(FORM, AnswerFacts(answers=answers, today=today)) == []
