"""
Adult passport renewal end to end, through the front door and the desk, on
SQLite and PostgreSQL: an adult checks they can renew, fills the
application, uploads a photo that meets the published requirements, pays
and submits; each eligibility condition not met is a refusal with its
reason and what to do instead; each photo requirement not met is a typed,
bilingual refusal that stores nothing and leaves the draft as it was.
"""

from __future__ import annotations

import io
import os
import pathlib

import pytest
from PIL import Image

from ircc_account.audit import who_touched_my_file
from ircc_account.builtin.applications import (
    DocumentStatus,
    DraftState,
    Payment,
    UploadLimits,
    inspect_upload,
)
from ircc_account.builtin.passport import PHOTO
from ircc_account.errors import (
    ApplicationIncomplete,
    ApplicationIneligible,
    DocumentBomb,
    DocumentNotExpected,
    PaymentMismatch,
    PhotoRejected,
    SignatureRequired,
)
from ircc_account.services import AccountFacts, ItemState

from ..conftest import Portal, jpeg, passport_answers, pdf, png

TEN_YEARS, FIVE_YEARS = 160_00, 120_00


def _files(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_adult_renews_their_passport(portal: Portal) -> None:
    """A client answers, uploads a compliant photo, signs, pays the 10-year fee and submits."""
    me = portal.client()
    desk = portal.passport_desk
    view = desk.start(me, me.actor_id)
    draft_id = view.draft.draft_id
    view = desk.save(me, me.actor_id, draft_id, passport_answers(), version=view.draft.version)
    assert view.evaluation.eligible and view.evaluation.hints == ()
    assert [e.requirement.id for e in view.evaluation.missing_documents] == ["photo"]
    assert [e.requirement.id for e in view.evaluation.checklist] == ["photo"]
    view = desk.upload(
        me, me.actor_id, draft_id, "photo", jpeg(), filename="me.jpg", version=view.draft.version
    )
    assert view.evaluation.complete

    review = desk.review(me, me.actor_id, draft_id)
    assert [(line.id, line.amount) for line in review.evaluation.fees.lines] == [
        ("passport_10", TEN_YEARS)
    ]
    desk.sign(me, me.actor_id, draft_id, digest=review.digest)
    receipt = desk.submit(
        me, me.actor_id, draft_id, payment=Payment(reference="pp-1", amount=TEN_YEARS)
    )

    assert receipt.application_number.startswith("P") and len(receipt.application_number) == 10
    tile = portal.door.dashboard(me, me.actor_id, facts=AccountFacts()).tile("passport-renewal")
    assert [(i.reference, i.state) for i in tile.items] == [
        (receipt.application_number, ItemState.SUBMITTED)
    ]
    assert desk.open(me, me.actor_id, draft_id).draft.state is DraftState.SUBMITTED
    actions = {r.action for r in who_touched_my_file(portal.door.store, me.actor_id)}
    assert {"service.record.write", "applications.sign"} <= actions


def test_the_five_year_passport_costs_the_five_year_fee(portal: Portal) -> None:
    """The fee follows the validity asked for, and a payment of the other fee submits nothing."""
    me = portal.client()
    desk = portal.passport_desk
    view = desk.start(me, me.actor_id)
    draft_id = view.draft.draft_id
    view = desk.save(
        me,
        me.actor_id,
        draft_id,
        passport_answers(new_validity="five_years"),
        version=view.draft.version,
    )
    desk.upload(
        me, me.actor_id, draft_id, "photo", jpeg(), filename="me.jpg", version=view.draft.version
    )
    review = desk.review(me, me.actor_id, draft_id)
    assert review.evaluation.fees.total == FIVE_YEARS
    desk.sign(me, me.actor_id, draft_id, digest=review.digest)
    with pytest.raises(PaymentMismatch):
        desk.submit(me, me.actor_id, draft_id, payment=Payment(reference="x", amount=TEN_YEARS))
    assert desk.open(me, me.actor_id, draft_id).draft.state is not DraftState.SUBMITTED


def test_a_consultant_prepares_a_renewal_the_client_signs(portal: Portal) -> None:
    """A representative with act fills the renewal; only the client signs; the consultant is named."""
    client = portal.client()
    consultant = portal.consultant(for_client=client)
    desk = portal.passport_desk
    view = desk.start(consultant, client.actor_id)
    draft_id = view.draft.draft_id
    view = desk.save(
        consultant, client.actor_id, draft_id, passport_answers(), version=view.draft.version
    )
    desk.upload(
        consultant,
        client.actor_id,
        draft_id,
        "photo",
        jpeg(),
        filename="p.jpg",
        version=view.draft.version,
    )
    review = desk.review(consultant, client.actor_id, draft_id)
    with pytest.raises(SignatureRequired):
        desk.sign(consultant, client.actor_id, draft_id, digest=review.digest)
    review = desk.review(client, client.actor_id, draft_id)
    desk.sign(client, client.actor_id, draft_id, digest=review.digest)
    receipt = desk.submit(
        client, client.actor_id, draft_id, payment=Payment(reference="pp-2", amount=TEN_YEARS)
    )
    assert [p.representative_id for p in receipt.representatives] == [consultant.actor_id]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"date_of_birth": "2002-01-01"}, "issued_before_16"),
        (
            {"previous_issued": "2010-01-01", "previous_expires": "2020-01-01"},
            "issued_over_15_years_ago",
        ),
        ({"previous_validity": "other"}, "not_five_or_ten_years"),
        ({"lost_stolen_damaged": "yes"}, "lost_stolen_damaged"),
        ({"in_possession": "no"}, "not_in_possession"),
        ({"name_changed": "yes", "name_change_proof": "no"}, "name_change_unproven"),
    ],
)
def test_each_condition_not_met_refuses_with_its_reason_and_what_to_do(
    portal: Portal, changes: dict[str, str], reason: str
) -> None:
    """The answers are kept, the page shows why and what to do instead, and it cannot be signed."""
    me = portal.client()
    desk = portal.passport_desk
    view = desk.start(me, me.actor_id)
    draft_id = view.draft.draft_id
    view = desk.save(
        me, me.actor_id, draft_id, passport_answers(**changes), version=view.draft.version
    )
    assert not view.evaluation.eligible
    (hint,) = view.evaluation.hints
    assert hint.id == reason and hint.blocking
    assert hint.message.en and hint.message.fr and hint.message.en != hint.message.fr
    assert hint.instead is not None and "PPTC" in hint.instead.en and "PPTC" in hint.instead.fr
    assert hint.source is not None and hint.source.url.startswith("https://www.canada.ca/")
    with pytest.raises(ApplicationIneligible) as caught:
        desk.sign(me, me.actor_id, draft_id, digest=desk.review(me, me.actor_id, draft_id).digest)
    assert caught.value.params["reason"] == reason
    assert caught.value.message("en") != caught.value.message("fr")
    assert desk.open(me, me.actor_id, draft_id).draft.signature is None


def test_a_proven_name_change_asks_for_the_certificate(portal: Portal) -> None:
    """A changed name with proof is eligible, and the certificate joins the checklist as required."""
    me = portal.client()
    desk = portal.passport_desk
    view = desk.start(me, me.actor_id)
    draft_id = view.draft.draft_id
    with pytest.raises(DocumentNotExpected):
        desk.upload(me, me.actor_id, draft_id, "name_change", pdf(), filename="c.pdf", version=1)
    answers = passport_answers(name_changed="yes", name_change_proof="yes")
    view = desk.save(me, me.actor_id, draft_id, answers, version=view.draft.version)
    assert view.evaluation.eligible
    status = {e.requirement.id: e.status for e in view.evaluation.checklist}
    assert status == {"photo": DocumentStatus.MISSING, "name_change": DocumentStatus.MISSING}
    view = desk.upload(
        me, me.actor_id, draft_id, "photo", jpeg(), filename="me.jpg", version=view.draft.version
    )
    with pytest.raises(ApplicationIncomplete):
        desk.sign(me, me.actor_id, draft_id, digest=desk.review(me, me.actor_id, draft_id).digest)
    view = desk.upload(
        me,
        me.actor_id,
        draft_id,
        "name_change",
        pdf(),
        filename="c.pdf",
        version=view.draft.version,
    )
    assert view.evaluation.complete


def _jpeg_of(image: Image.Image, quality: int = 95) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _noise(width: int, height: int) -> bytes:
    """A colour JPEG of random pixels: large on disk for its size in pixels."""
    return _jpeg_of(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)), 100)


@pytest.mark.parametrize(
    ("make", "check"),
    [
        (lambda: png(420, 540), "format"),
        (lambda: jpeg(350, 450), "size"),
        (lambda: jpeg(540, 540), "aspect"),
        (lambda: jpeg(420, 600), "aspect"),
        (lambda: jpeg(colour=False), "colour"),
        (lambda: _noise(1400, 1800), "max_bytes"),
    ],
    ids=["png", "too-small", "square", "too-tall", "black-and-white", "over-4-mb"],
)
def test_each_photo_requirement_not_met_is_refused_and_stores_nothing(
    portal: Portal, make: object, check: str
) -> None:
    """A photo failing a published requirement names it in both languages; no file, no change."""
    me = portal.client()
    desk = portal.passport_desk
    view = desk.start(me, me.actor_id)
    draft_id = view.draft.draft_id
    view = desk.save(me, me.actor_id, draft_id, passport_answers(), version=view.draft.version)
    before = desk.open(me, me.actor_id, draft_id).draft
    files = _files(portal.documents)
    data = make()  # type: ignore[operator]
    with pytest.raises(PhotoRejected) as caught:
        desk.upload(
            me, me.actor_id, draft_id, "photo", data, filename="me.jpg", version=before.version
        )
    error = caught.value
    assert error.params["check"] == check
    en, fr = error.message("en"), error.message("fr")
    assert en != fr and "Nothing was stored" in en and "Rien n'a été enregistré" in fr
    assert "me.jpg" not in en + fr
    assert desk.open(me, me.actor_id, draft_id).draft == before
    assert _files(portal.documents) == files


def test_a_photo_within_the_tolerance_is_accepted(portal: Portal) -> None:
    """A photo a pixel off 7:9 (within 2 %) and at the minimum size is accepted."""
    me = portal.client()
    desk = portal.passport_desk
    view = desk.start(me, me.actor_id)
    view = desk.upload(
        me,
        me.actor_id,
        view.draft.draft_id,
        "photo",
        jpeg(421, 540),
        filename="me.jpg",
        version=view.draft.version,
    )
    (stored,) = view.draft.documents
    assert stored.content_type == "image/jpeg"


def test_a_photo_over_the_largest_size_is_refused() -> None:
    """Past 6,000 by 8,000 pixels (when the host allows that many) the photo is refused as too large."""
    big = _jpeg_of(Image.new("RGB", (6300, 8100), (200, 150, 120)), 50)
    with pytest.raises(PhotoRejected) as caught:
        inspect_upload(
            big, accepted={"image/jpeg"}, limits=UploadLimits(max_pixels=60_000_000), photo=PHOTO
        )
    assert caught.value.params["check"] == "size"
    with pytest.raises(DocumentBomb):  # the default pixel limit refuses it before decoding
        inspect_upload(big, accepted={"image/jpeg"}, limits=UploadLimits(), photo=PHOTO)
