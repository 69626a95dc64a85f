"""
The visitor visa end to end, through the front door and the desk, on SQLite
and PostgreSQL: a client applies on their own; a licensed consultant
prepares an application that the client reviews, signs and submits; the
item the status tracker follows appears on the dashboard; the submitted
application is immutable; the client's history shows every access.
"""

from __future__ import annotations

import attrs
import pytest

from ircc_account import Actor
from ircc_account.audit import who_touched_my_file
from ircc_account.builtin.applications import DocumentStatus, DraftState, Payment
from ircc_account.errors import (
    ApplicationLocked,
    AuthorizationError,
    PaymentMismatch,
    ReviewOutdated,
    SignatureRequired,
    StepUpRequired,
)
from ircc_account.services import AccountFacts, ItemState, TileStatus

from ..conftest import TRV_DOCUMENTS, Portal, trv_answers

FEES = 100_00 + 85_00


def _prepare(portal: Portal, actor: Actor, client_id: str) -> str:
    """Start, fill and upload everything for a complete application; return its id."""
    desk = portal.trv_desk
    view = desk.start(actor, client_id)
    draft_id = view.draft.draft_id
    view = desk.save(actor, client_id, draft_id, trv_answers(), version=view.draft.version)
    missing = {e.requirement.id for e in view.evaluation.missing_documents}
    assert missing == {"passport", "photo", "funds", "purpose"}
    for requirement, make in TRV_DOCUMENTS.items():
        view = desk.upload(
            actor,
            client_id,
            draft_id,
            requirement,
            make(),
            filename=f"{requirement}.bin",
            version=view.draft.version,
        )
    assert view.evaluation.complete, (view.evaluation.missing, view.evaluation.problems)
    return draft_id


def test_a_client_applies_for_a_visitor_visa_on_their_own(portal: Portal) -> None:
    """A client starts from the tile, fills, uploads, reviews, signs, pays and submits; the item appears."""
    me = portal.client()
    tile = portal.door.dashboard(me, me.actor_id, facts=AccountFacts()).tile("trv")
    assert tile.status is TileStatus.OK
    assert [a.action for a in tile.actions] == ["start"]

    draft_id = _prepare(portal, me, me.actor_id)
    desk = portal.trv_desk
    review = desk.review(me, me.actor_id, draft_id)
    assert review.evaluation.fees.total == FEES
    assert {e.requirement.id: e.status for e in review.evaluation.checklist}["travel_history"] is (
        DocumentStatus.OPTIONAL
    )
    signed = desk.sign(me, me.actor_id, draft_id, digest=review.digest)
    assert signed.draft.signature is not None
    receipt = desk.submit(
        me, me.actor_id, draft_id, payment=Payment(reference="pay-1", amount=FEES)
    )

    assert receipt.application_number.startswith("V") and len(receipt.application_number) == 10
    assert receipt.statement_digest == review.digest
    assert receipt.representatives == ()
    items = portal.door.dashboard(me, me.actor_id, facts=AccountFacts()).tile("trv").items
    assert [(i.reference, i.state) for i in items] == [
        (receipt.application_number, ItemState.SUBMITTED)
    ]
    page = portal.door.item(me, me.actor_id, receipt.item_id)
    assert sorted(e.kind.value for e in page.timeline) == ["created", "submitted"]
    assert desk.open(me, me.actor_id, draft_id).draft.state is DraftState.SUBMITTED


def test_a_submitted_application_is_immutable(portal: Portal) -> None:
    """After submission no answer, document, signature or second submission is accepted."""
    me = portal.client()
    desk = portal.trv_desk
    draft_id = _prepare(portal, me, me.actor_id)
    desk.sign(me, me.actor_id, draft_id, digest=desk.review(me, me.actor_id, draft_id).digest)
    desk.submit(me, me.actor_id, draft_id, payment=Payment(reference="pay-2", amount=FEES))
    view = desk.open(me, me.actor_id, draft_id)
    version = view.draft.version
    with pytest.raises(ApplicationLocked):
        desk.save(me, me.actor_id, draft_id, {"funds": "1"}, version=version)
    with pytest.raises(ApplicationLocked):
        desk.upload(
            me, me.actor_id, draft_id, "travel_history", b"%PDF", filename="x", version=version
        )
    with pytest.raises(ApplicationLocked):
        desk.submit(me, me.actor_id, draft_id, payment=Payment(reference="pay-3", amount=FEES))
    with pytest.raises(ApplicationLocked):
        desk.discard(me, me.actor_id, draft_id)
    assert desk.open(me, me.actor_id, draft_id).draft == view.draft


def test_a_consultant_prepares_and_the_client_signs_and_submits(portal: Portal) -> None:
    """The consultant fills it within their grant; only the client signs; the paid consultant is named."""
    client = portal.client()
    consultant = portal.consultant(for_client=client)
    desk = portal.trv_desk
    draft_id = _prepare(portal, consultant, client.actor_id)

    review = desk.review(consultant, client.actor_id, draft_id)
    with pytest.raises(SignatureRequired):
        desk.sign(consultant, client.actor_id, draft_id, digest=review.digest)
    (named,) = review.draft.prepared_by
    assert named.paid and named.licence_body == "cicc" and named.name == "Jean Roy, RCIC"

    # The client reviews it in their account and signs what they saw.
    review = desk.review(client, client.actor_id, draft_id)
    desk.sign(client, client.actor_id, draft_id, digest=review.digest)
    receipt = desk.submit(
        client, client.actor_id, draft_id, payment=Payment(reference="pay-9", amount=FEES)
    )
    assert [p.representative_id for p in receipt.representatives] == [consultant.actor_id]
    actions = {r.action for r in who_touched_my_file(portal.door.store, client.actor_id)}
    assert {"service.record.write", "applications.sign", "door.service.perform"} <= actions


def test_a_change_after_signing_needs_a_new_signature(portal: Portal) -> None:
    """A consultant's change after the client signed clears the signature; submission is refused."""
    client = portal.client()
    consultant = portal.consultant(for_client=client)
    desk = portal.trv_desk
    draft_id = _prepare(portal, consultant, client.actor_id)
    desk.sign(
        client,
        client.actor_id,
        draft_id,
        digest=desk.review(client, client.actor_id, draft_id).digest,
    )
    version = desk.open(consultant, client.actor_id, draft_id).draft.version
    desk.save(consultant, client.actor_id, draft_id, {"funds": "9000"}, version=version)
    with pytest.raises(SignatureRequired):
        desk.submit(client, client.actor_id, draft_id, payment=Payment(reference="p", amount=FEES))
    assert desk.open(client, client.actor_id, draft_id).draft.state is DraftState.DRAFT


def test_signing_what_was_not_reviewed_is_refused(portal: Portal) -> None:
    """A change between the client's review and signature makes the signature refuse (ReviewOutdated)."""
    client = portal.client()
    consultant = portal.consultant(for_client=client)
    desk = portal.trv_desk
    draft_id = _prepare(portal, consultant, client.actor_id)
    seen = desk.review(client, client.actor_id, draft_id)
    desk.save(consultant, client.actor_id, draft_id, {"funds": "100"}, version=seen.draft.version)
    with pytest.raises(ReviewOutdated):
        desk.sign(client, client.actor_id, draft_id, digest=seen.digest)
    assert desk.open(client, client.actor_id, draft_id).draft.signature is None


def test_signing_needs_a_fresh_login(portal: Portal) -> None:
    """A client whose login is older than the fresh-login window must sign in again to sign."""
    import datetime as dt

    client = portal.client()
    desk = portal.trv_desk
    draft_id = _prepare(portal, client, client.actor_id)
    digest = desk.review(client, client.actor_id, draft_id).digest
    stale = attrs.evolve(client, auth_time=portal.clock.now() - dt.timedelta(hours=1))
    with pytest.raises(StepUpRequired):
        desk.sign(stale, client.actor_id, draft_id, digest=digest)
    assert desk.open(client, client.actor_id, draft_id).draft.signature is None


def test_a_payment_that_is_not_the_fees_submits_nothing(portal: Portal) -> None:
    """Paying less than the fees shown is refused and the application stays a signed draft."""
    client = portal.client()
    desk = portal.trv_desk
    draft_id = _prepare(portal, client, client.actor_id)
    desk.sign(
        client,
        client.actor_id,
        draft_id,
        digest=desk.review(client, client.actor_id, draft_id).digest,
    )
    with pytest.raises(PaymentMismatch):
        desk.submit(client, client.actor_id, draft_id, payment=Payment(reference="p", amount=100))
    view = desk.open(client, client.actor_id, draft_id)
    assert view.draft.state is DraftState.DRAFT and view.draft.signature is not None
    assert (
        portal.door.dashboard(client, client.actor_id, facts=AccountFacts()).tile("trv").items == ()
    )


def test_a_representative_without_act_cannot_prepare(portal: Portal) -> None:
    """A consultant granted only view_status can read the draft but not start, save or upload."""
    client = portal.client()
    viewer = portal.consultant(for_client=client, scopes=("view_status",))
    draft_id = portal.trv_desk.start(client, client.actor_id).draft.draft_id
    desk = portal.trv_desk
    with pytest.raises(AuthorizationError):
        desk.start(viewer, client.actor_id)
    view = desk.open(viewer, client.actor_id, draft_id)
    with pytest.raises(AuthorizationError):
        desk.save(viewer, client.actor_id, draft_id, {"funds": "1"}, version=view.draft.version)
    assert desk.open(client, client.actor_id, draft_id).draft.answers == {}


def test_a_stranger_sees_nothing(portal: Portal) -> None:
    """A representative with no grant is refused reading a client's drafts, and it is recorded."""
    client = portal.client()
    stranger = portal.consultant()
    draft_id = portal.trv_desk.start(client, client.actor_id).draft.draft_id
    with pytest.raises(AuthorizationError):
        portal.trv_desk.open(stranger, client.actor_id, draft_id)
    refused = [
        r
        for r in who_touched_my_file(portal.door.store, client.actor_id)
        if r.decision.value == "denied"
    ]
    assert refused
