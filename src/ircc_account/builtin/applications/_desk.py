"""
:class:`ApplicationDesk`: what a portal's application pages call.

The desk builds, for the signed-in actor and the client acted for, the same
context the service registry gives a plugin (``door.services.context``, with
the scopes the policy says the actor holds), so every read and save goes
through the gates: authorized for that user and recorded in the client's
history. It adds what only the host can: the representative's own record
(a paid one is named on the application) and the client's in-account
signature (``door.delegation.sign_statement``), recorded once as
``applications.sign``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping

import attrs

from ircc_account import Actor, Capacity, FrontDoor
from ircc_account.authz import Action, Resource
from ircc_account.delegation import ConsentEvidence, LegalBasis
from ircc_account.errors import ApplicationError, DelegationError, SignatureRequired
from ircc_account.services import ServiceContext

from ._answers import format_answer
from ._drafts import Draft, Payment, Preparer, Receipt, Signature, StoredDocument
from ._evaluate import Evaluation
from ._service import ApplicationService, Review

__all__ = ["ApplicationDesk", "DraftView"]

#: The purpose a client's signature over an application is made for.
SIGNING_PURPOSE = "application"


@attrs.frozen(kw_only=True)
class DraftView:
    """
    A draft as a form page shows it.

    Attributes:
        draft: The draft.
        evaluation: What its answers imply (questions shown, checklist, hints, fees).
        expires_at: When it is erased if not saved again (``None`` once submitted).
    """

    draft: Draft
    evaluation: Evaluation
    expires_at: dt.datetime | None

    def raw(self, question_id: str, service: ApplicationService) -> object:
        """An answer as the form shows it (a string; a list of entries for a group)."""
        question = service.form.question(question_id)
        if question is None or question_id not in self.draft.answers:
            return "" if question is None or question.fields == () else []
        return format_answer(question, self.draft.answers[question_id])


class ApplicationDesk:
    """
    The application pages' operations for one service, on a front door.

    Every method takes the request's actor (``door.actor(session)``) and the
    client acted for; a representative needs a grant in force with ``act``
    for this service to change anything (``view_status`` to read). Errors
    are typed and bilingual: bad input changes nothing.

    Args:
        door: The front door.
        service: The service (the instance registered on the door).
    """

    def __init__(self, door: FrontDoor, service: ApplicationService) -> None:
        self.door = door
        self.service = service

    def __repr__(self) -> str:
        return f"ApplicationDesk({self.service.service_id!r})"

    def context(
        self,
        actor: Actor,
        client_id: str,
        *,
        language: str = "en",
        correlation_id: str | None = None,
    ) -> ServiceContext:
        """The plugin context for *actor* on *client_id*'s file in this service."""
        sid = self.service.service_id
        with self.door.store.unit_of_work(write=False) as uow:
            held = self.door.policy.scopes_held(actor, client_id, uow=uow, service_ids=(sid,))
        return self.door.services.context(
            sid,
            actor=actor,
            client_id=client_id,
            scopes=None if held is None else held.get(sid, frozenset()),
            language=language,
            correlation_id=correlation_id or "req-" + secrets.token_hex(12),
        )

    def _view(self, ctx: ServiceContext, draft: Draft) -> DraftView:
        form = self.service.form
        return DraftView(
            draft=draft,
            evaluation=self.service.evaluate(draft, ctx.clock.now().date()),
            expires_at=None if draft.receipt else draft.expires_at(form.retention_days),
        )

    def _preparer(self, actor: Actor) -> Preparer | None:
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.account_id is None:
            return None
        with self.door.store.unit_of_work(write=False) as uow:
            rep = self.door.delegation.representative_for_account(uow, actor.account_id)
        if rep is None:
            return None
        licence = rep.licence
        return Preparer(
            representative_id=rep.representative_id,
            name=rep.display_name,
            kind=rep.kind.value,
            paid=rep.kind.is_paid,
            licence_body=None if licence is None else licence.body.value,
            licence_number=None if licence is None else licence.number,
        )

    def start(self, actor: Actor, client_id: str, **options: str) -> DraftView:
        """
        Start an application: the dashboard tile's "start" action, through
        ``door.perform_service`` (authorized and recorded there, and by the gate).

        Raises:
            AuthorizationError: not on offer to *actor* (no ``act`` for this client).
        """
        draft_id = self.service.new_draft_id()
        result = self.door.perform_service(
            actor, client_id, self.service.service_id, "start", {"draft": draft_id}, **options
        )
        if not result.ok:
            # The service said why in its message (too many records, say).
            raise ApplicationError()
        return self.open(actor, client_id, draft_id)

    def drafts(self, actor: Actor, client_id: str) -> list[DraftView]:
        """The client's drafts and submitted applications in this service, newest first."""
        ctx = self.context(actor, client_id)
        return [self._view(ctx, d) for d in self.service.drafts(ctx)]

    def open(self, actor: Actor, client_id: str, draft_id: str) -> DraftView:
        """
        One draft, with what its answers imply.

        Raises:
            NotFound: no such draft for this client.
            DraftExpired: it expired and is erased.
        """
        ctx = self.context(actor, client_id)
        return self._view(ctx, self.service.draft(ctx, draft_id))

    def save(
        self,
        actor: Actor,
        client_id: str,
        draft_id: str,
        answers: Mapping[str, object],
        *,
        version: int,
    ) -> DraftView:
        """
        Save answers (see :meth:`ApplicationService.save`).

        Raises:
            UnknownQuestion, AnswersInvalid: nothing is saved.
            Conflict: the draft changed since *version* was read.
            ApplicationLocked: it was submitted.
        """
        ctx = self.context(actor, client_id)
        draft = self.service.save(
            ctx, draft_id, answers, version=version, preparer=self._preparer(actor)
        )
        return self._view(ctx, draft)

    def upload(
        self,
        actor: Actor,
        client_id: str,
        draft_id: str,
        requirement: str,
        data: bytes,
        *,
        filename: str,
        version: int,
    ) -> DraftView:
        """
        Upload a file for a checklist entry (see :meth:`ApplicationService.upload`).

        Raises:
            DocumentRejected: (a subclass) refused; nothing is stored.
        """
        ctx = self.context(actor, client_id)
        draft = self.service.upload(
            ctx,
            draft_id,
            requirement,
            data,
            filename=filename,
            version=version,
            preparer=self._preparer(actor),
        )
        return self._view(ctx, draft)

    def remove_document(
        self, actor: Actor, client_id: str, draft_id: str, document_id: str, *, version: int
    ) -> DraftView:
        """Take a file off the draft."""
        ctx = self.context(actor, client_id)
        draft = self.service.remove_document(
            ctx, draft_id, document_id, version=version, preparer=self._preparer(actor)
        )
        return self._view(ctx, draft)

    def document(
        self, actor: Actor, client_id: str, draft_id: str, document_id: str
    ) -> tuple[StoredDocument, bytes]:
        """A file of the draft and its content."""
        ctx = self.context(actor, client_id)
        return self.service.read_document(ctx, draft_id, document_id)

    def review(self, actor: Actor, client_id: str, draft_id: str) -> Review:
        """What the client reviews before signing (its ``digest`` is what :meth:`sign` takes)."""
        return self.service.review(self.context(actor, client_id), draft_id)

    def sign(self, actor: Actor, client_id: str, draft_id: str, *, digest: str) -> DraftView:
        """
        The client signs the application they reviewed, in their own account,
        with their account's key (as for consent), after a fresh login.

        Raises:
            SignatureRequired: *actor* is not the client.
            StepUpRequired: the client's login is not fresh.
            ReviewOutdated: it changed since the review.
            ApplicationIncomplete, ApplicationIneligible: not ready to sign.
        """
        ctx = self.context(actor, client_id)
        resource = Resource(client_id=client_id, service_id=self.service.service_id)

        def signer(statement: bytes) -> Signature:
            with self.door.store.unit_of_work() as uow:
                self.door.policy.require(
                    actor,
                    Action.ACT,
                    resource,
                    uow=uow,
                    correlation_id=ctx.correlation_id,
                    record_as="applications.sign",
                )
                evidence = self.door.delegation.sign_statement(
                    uow, actor, purpose=SIGNING_PURPOSE, statement=statement
                )
                uow.commit()
            assert evidence.signature is not None
            assert evidence.key_id is not None
            return Signature(
                key_id=evidence.key_id,
                signature=evidence.signature,
                digest=evidence.digest,
                signed_at=ctx.clock.now(),
            )

        draft = self.service.sign(ctx, draft_id, digest=digest, signer=signer)
        return self._view(ctx, draft)

    def submit(self, actor: Actor, client_id: str, draft_id: str, *, payment: Payment) -> Receipt:
        """
        Submit the signed application, with the payment the portal's
        processor confirmed; returns the receipt.

        Raises:
            SignatureRequired: not signed by the client, or changed since.
            PaymentMismatch: the payment is not the fees.
            ApplicationIncomplete, ApplicationIneligible, ApplicationLocked.
        """
        ctx = self.context(actor, client_id)

        def verify(statement: bytes, signature: Signature) -> None:
            evidence = ConsentEvidence(
                basis=LegalBasis.IN_ACCOUNT,
                digest=signature.digest,
                signature=signature.signature,
                key_id=signature.key_id,
            )
            try:
                with self.door.store.unit_of_work(write=False) as uow:
                    self.door.delegation.verify_statement(
                        uow,
                        client_id,
                        purpose=SIGNING_PURPOSE,
                        statement=statement,
                        evidence=evidence,
                    )
            except DelegationError:
                raise SignatureRequired() from None

        return self.service.submit(ctx, draft_id, payment=payment, verify=verify)

    def discard(self, actor: Actor, client_id: str, draft_id: str) -> None:
        """Delete a draft and its documents."""
        self.service.discard(self.context(actor, client_id), draft_id)
