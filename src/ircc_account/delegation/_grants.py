"""
Managing representatives, organisations and consent grants.

Only the client, in their own session, creates, accepts, changes or revokes
their grants (SEC-53, SEC-57); a representative can only *request* one, and a
request gives no access until the client accepts it within seven days.
Every change bumps the version counter the policy's cache checks, in the same
transaction (SEC-56), and the client is told after the commit.

One paid representative per application (SEC-54): a grant to a paid
representative (or to a law firm or consultancy) is **refused** with
:class:`~ircc_account.errors.PaidRepresentativeExists` while another paid
grantee holds an active grant whose coverage overlaps it *and whose validity
window overlaps its own* (one starting tomorrow counts as much as one in
force today), on grant, on accept and on change. The client revokes the
first representative (or ends its grant before the second starts), then
appoints the second: nothing is replaced silently.

A grant's terms are checked before anything is written (:mod:`._rules`):
its item must be the client's and its service one that is offered; a grant
to a delegate who has only shown low-assurance credentials lasts at most 12
months (SEC-55); a guardian's grant for a dependant ends by the dependant's
18th birthday (SEC-54).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any, Final

import attrs

from ircc_account._clock import Clock, Randomness, SystemRandomness
from ircc_account._model._audit import AuditEntry, Capacity, Decision
from ircc_account._model._authz import Actor
from ircc_account._model._delegation import (
    ConsentEvidence,
    ConsentGrant,
    GrantCoverage,
    GrantStatus,
    Invitation,
    Licence,
    LicenceStatus,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Representative,
    RepresentativeKind,
)
from ircc_account._storage.ports import SqlUnit
from ircc_account.delegation import _repo, _rules
from ircc_account.delegation._consent import ConsentSigner, WrittenConsent
from ircc_account.delegation._policy import DESIGNATED_SCOPES, PARLIAMENTARY_SCOPES
from ircc_account.delegation._ports import (
    AuditSink,
    DelegationEvents,
    LicenceVerifier,
    NoEvents,
)
from ircc_account.errors import (
    Conflict,
    DepartmentOnly,
    DependantOfAge,
    GrantNotChangeable,
    InvitationInvalid,
    LicenceInvalid,
    NotAdministrator,
    NotFound,
    NotPrincipal,
    OnboardingRefused,
    OrganisationCycle,
    OutOfRange,
    PaidRepresentativeExists,
    RequestLapsed,
    ScopeNotAllowed,
    SelfGrant,
    StepUpRequired,
    UnknownValue,
)
from ircc_account.hazmat.jose import b64url_encode

__all__ = ["KEEP", "Delegation"]


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


#: In :meth:`Delegation.change`, leave this term as it is.
KEEP: Final[Any] = _Keep()

_PARLIAMENTARY_ORGS = (OrganisationKind.MP_OFFICE, OrganisationKind.SENATOR_OFFICE)
_PAID_ORGS = (OrganisationKind.LAW_FIRM, OrganisationKind.CONSULTANCY)


class Delegation:
    """
    Representatives, organisations and their members, and consent grants.

    Args:
        clock: The time source.
        licence_verifier: Checks paid representatives' licences.
        events: Told (after commit) when grants are created, changed or revoked.
        randomness: For grant ids and account signing keys.
        fresh_auth: How recent the client's login must be to create, accept
            or change a grant (SEC-40). Revoking never needs a fresh login:
            nothing should slow a client down in taking access away.
        audit: Where every grant change is recorded, in the caller's unit of
            work (``grant.created``, ``grant.changed``, ``grant.revoked``).
        services: The ids of the services offered: a grant covering a
            service must name one of them (more with :meth:`declare_services`).
            Until some are declared, no service-wide grant is accepted.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        licence_verifier: LicenceVerifier,
        events: DelegationEvents | None = None,
        randomness: Randomness | None = None,
        fresh_auth: dt.timedelta = dt.timedelta(minutes=15),
        audit: AuditSink | None = None,
        services: Iterable[str] | None = None,
    ) -> None:
        self._clock = clock
        self._audit = audit
        self._verifier = licence_verifier
        self._events = events or NoEvents()
        self._randomness = randomness or SystemRandomness()
        self._signer = ConsentSigner(self._randomness)
        self._fresh_auth = fresh_auth
        self._services: frozenset[str] | None = None if services is None else frozenset(services)

    def __repr__(self) -> str:
        return "Delegation()"

    def declare_services(self, service_ids: Iterable[str]) -> None:
        """
        Add to the services a grant may cover: every service the registry
        offers, told once it has started (as the policy is told their levels).
        """
        self._services = (self._services or frozenset()) | frozenset(service_ids)

    # --- representatives ------------------------------------------------------------

    def register_representative(
        self, uow: SqlUnit, representative: Representative
    ) -> Representative:
        """
        Register a representative; a paid one only with a licence its body confirms.

        Raises:
            LicenceInvalid: a paid representative's licence is not confirmed (SEC-54).
        """
        rep = representative
        valid = False
        if rep.licence is not None:
            status = self._check_licence(rep)
            rep = attrs.evolve(
                rep,
                licence=attrs.evolve(
                    rep.licence, expires_on=status.expires_on, verified_at=status.checked_at
                ),
            )
            valid = True
        _repo.add_representative(uow, rep, valid)
        _repo.bump(uow, _repo.rep_key(rep.representative_id))
        return rep

    def refresh_licence(self, uow: SqlUnit, representative_id: str) -> LicenceStatus:
        """
        Ask the licensing body again and store the answer; a lapsed licence
        stops the representative acting from the next request.

        Raises:
            NotFound: no such representative, or not a paid one.
        """
        rep, _ = _repo.get_representative(uow, representative_id)
        if rep.licence is None:
            raise NotFound(kind="licence")
        status = self._verifier.verify(rep.licence)
        licence = attrs.evolve(
            rep.licence, expires_on=status.expires_on, verified_at=status.checked_at
        )
        _repo.set_licence(uow, representative_id, licence, status.valid_at(self._clock.now()))
        _repo.bump(uow, _repo.rep_key(representative_id))
        return status

    def _check_licence(self, rep: Representative) -> LicenceStatus:
        assert rep.licence is not None
        status = self._verifier.verify(rep.licence)
        if not status.valid_at(self._clock.now()):
            raise LicenceInvalid()
        return status

    # --- organisations -------------------------------------------------------------------

    def add_organisation(self, uow: SqlUnit, organisation: Organisation) -> Organisation:
        """
        Register an organisation, under its parent if it names one.

        Raises:
            NotFound: the parent does not exist.
        """
        if organisation.parent_id is not None:
            _repo.get_organisation(uow, organisation.parent_id)
        _repo.add_organisation(uow, organisation)
        _repo.bump(uow, _repo.GLOBAL_KEY)
        return organisation

    def move_organisation(
        self, uow: SqlUnit, organisation_id: str, parent_id: str | None
    ) -> Organisation:
        """
        Put an organisation (and everything under it) under *parent_id*.

        Raises:
            OrganisationCycle: *parent_id* is the organisation or lies below it.
            NotFound: either organisation does not exist.
        """
        org = _repo.get_organisation(uow, organisation_id)
        if parent_id is not None:
            _repo.get_organisation(uow, parent_id)
            if parent_id in {d for d, _ in _repo.descendants(uow, organisation_id)}:
                raise OrganisationCycle()
        _repo.set_parent(uow, organisation_id, parent_id)
        _repo.bump(uow, _repo.GLOBAL_KEY)
        return attrs.evolve(org, parent_id=parent_id)

    def add_member(self, uow: SqlUnit, actor: Actor, membership: Membership) -> Membership:
        """
        Add a representative to an organisation, in the given access groups.

        Args:
            actor: A system job, or a current administrator of the organisation
                (or of one above it).

        Raises:
            NotAdministrator: *actor* may not manage this organisation's members.
            LicenceInvalid: a law firm's or consultancy's member who is not a
                licensed representative.
        """
        self._require_org_admin(uow, actor, membership.organisation_id)
        rep, licence_valid = _repo.get_representative(uow, membership.representative_id)
        org = _repo.get_organisation(uow, membership.organisation_id)
        if org.kind in _PAID_ORGS and not (rep.kind.is_paid and licence_valid):
            # A firm's members act only under their own licence (SEC-54), as in join.
            raise LicenceInvalid()
        _repo.add_membership(uow, membership)
        _repo.bump(uow, _repo.rep_key(membership.representative_id))
        return membership

    def end_membership(
        self, uow: SqlUnit, actor: Actor, organisation_id: str, representative_id: str
    ) -> None:
        """
        A member leaves: their access through the organisation ends at once.

        Args:
            actor: A system job, an administrator, or the member themselves.

        Raises:
            NotFound: no current membership.
        """
        if actor.representative_id != representative_id:
            self._require_org_admin(uow, actor, organisation_id)
        if not _repo.end_membership(uow, organisation_id, representative_id, self._clock.now()):
            raise NotFound(kind="membership")
        _repo.bump(uow, _repo.rep_key(representative_id))

    # --- onboarding --------------------------------------------------------------------

    def representative_for_account(self, uow: SqlUnit, account_id: str) -> Representative | None:
        """
        The representative whose login is *account_id*, if they are one.
        """
        found = _repo.representative_for_account(uow, account_id)
        return None if found is None else found[0]

    def register_self(
        self,
        uow: SqlUnit,
        actor: Actor,
        *,
        kind: RepresentativeKind | str,
        display_name: str,
        licence: Licence | None = None,
    ) -> Representative:
        """
        A signed-in person registers as a representative, from their own account:
        a family member, friend or designated individual, or a paid
        consultant, lawyer or notary whose licence its body confirms.

        MP and Senator office staff join their office by invitation
        (:meth:`join`), never here.

        Raises:
            NotPrincipal: *actor* is not a person in their own session.
            OnboardingRefused: an office kind.
            LicenceInvalid: a paid kind whose licence the body does not confirm.
            Conflict: this account is already a representative.
        """
        if actor.capacity is not Capacity.CLIENT or actor.account_id is None:
            raise NotPrincipal()
        kind = RepresentativeKind(kind)
        if kind.is_parliamentary:
            raise OnboardingRefused()
        if _repo.representative_for_account(uow, actor.account_id) is not None:
            raise Conflict(kind="representative")
        rep = self.register_representative(
            uow,
            Representative(
                representative_id=self._new_id("rep"),
                kind=kind,
                display_name=display_name,
                account_id=actor.account_id,
                licence=licence,
                created_at=self._clock.now(),
            ),
        )
        self._record(uow, actor, "representative.register", rep.kind.value, client=actor.account_id)
        return rep

    def onboard_organisation(
        self,
        uow: SqlUnit,
        officer: Actor,
        organisation: Organisation,
        *,
        administrator_account_id: str,
        administrator_name: str,
    ) -> Membership:
        """
        The department registers an office or firm and its first administrator.

        This is the department side of onboarding: *officer* is a department
        staff member (``Capacity.OFFICER``) authenticated by the department's
        own systems; expose this only there. The administrator then invites
        the office's staff (:meth:`invite`).

        For an MP's or Senator's office the administrator becomes (or already
        is) a representative of the office's kind; for a law firm or
        consultancy they must already be a licensed representative.

        Raises:
            DepartmentOnly: *officer* is not a department officer.
            LicenceInvalid: a firm's administrator is not a licensed representative.
            NotFound: the parent organisation or the administrator's account does not exist.
            Conflict: the organisation already exists.
        """
        if officer.capacity is not Capacity.OFFICER:
            raise DepartmentOnly()
        now = self._clock.now()
        self.add_organisation(uow, organisation)
        rep = self._member_record(uow, administrator_account_id, organisation, administrator_name)
        membership = Membership(
            organisation_id=organisation.organisation_id,
            representative_id=rep.representative_id,
            role=MembershipRole.ADMINISTRATOR,
            started_at=now,
        )
        _repo.add_membership(uow, membership)
        _repo.bump(uow, _repo.rep_key(rep.representative_id), _repo.GLOBAL_KEY)
        self._record(uow, officer, "organisation.onboard", organisation.kind.value)
        return membership

    def invite(
        self,
        uow: SqlUnit,
        actor: Actor,
        organisation_id: str,
        *,
        role: MembershipRole | str = MembershipRole.STAFF,
        access_groups: Iterable[str] = (),
        lifetime: dt.timedelta = dt.timedelta(days=7),
    ) -> Invitation:
        """
        An organisation's administrator (or a department officer) invites one
        person to join it. The code in the result is shown once; only its
        hash is stored. It is single use and expires after *lifetime*.

        Raises:
            NotAdministrator: *actor* may not manage this organisation's members.
            NotFound: no such organisation.
        """
        if not dt.timedelta(minutes=5) <= lifetime <= dt.timedelta(days=30):
            raise OutOfRange(field="lifetime")
        _repo.get_organisation(uow, organisation_id)
        if actor.capacity is not Capacity.OFFICER:
            self._require_org_admin(uow, actor, organisation_id)
        now = self._clock.now()
        code = b64url_encode(self._randomness.token_bytes(32))
        invitation = Invitation(
            code=code,
            organisation_id=organisation_id,
            role=role,
            access_groups=frozenset(access_groups),
            invited_by=actor.actor_id,
            expires_at=now + lifetime,
        )
        _repo.add_invitation(uow, _code_hash(code), invitation, now)
        self._record(uow, actor, "organisation.invite", invitation.role.value)
        return invitation

    def join(self, uow: SqlUnit, actor: Actor, code: str, *, display_name: str) -> Membership:
        """
        A signed-in person joins an organisation with an invitation code, from
        their own account; they become (or already are) a representative,
        and a member in the invitation's role and access groups.

        Raises:
            NotPrincipal: *actor* is not a person in their own session.
            InvitationInvalid: the code is unknown, used or expired.
            LicenceInvalid: a firm's member who is not a licensed representative.
        """
        if actor.capacity is not Capacity.CLIENT or actor.account_id is None:
            raise NotPrincipal()
        now = self._clock.now()
        if not isinstance(code, str) or not 16 <= len(code) <= 128:
            raise InvitationInvalid()
        invitation = _repo.take_invitation(uow, _code_hash(code), actor.account_id, now)
        if invitation is None:
            raise InvitationInvalid()
        organisation = _repo.get_organisation(uow, invitation.organisation_id)
        rep = self._member_record(uow, actor.account_id, organisation, display_name)
        membership = Membership(
            organisation_id=organisation.organisation_id,
            representative_id=rep.representative_id,
            role=invitation.role,
            access_groups=invitation.access_groups,
            started_at=now,
        )
        _repo.add_membership(uow, membership)
        _repo.bump(uow, _repo.rep_key(rep.representative_id))
        self._record(uow, actor, "organisation.join", invitation.role.value)
        return membership

    def _member_record(
        self, uow: SqlUnit, account_id: str, organisation: Organisation, display_name: str
    ) -> Representative:
        """
        The representative record a new member of *organisation* acts under:
        their own, or, for office staff, a new one of the office's kind.
        """
        found = _repo.representative_for_account(uow, account_id)
        if organisation.kind in _PAID_ORGS:
            # A firm's members act only under their own licence (SEC-54).
            if found is None or not found[0].kind.is_paid or not found[1]:
                raise LicenceInvalid()
            return found[0]
        if found is not None:
            return found[0]
        kind = (
            RepresentativeKind.MP_OFFICE
            if organisation.kind is OrganisationKind.MP_OFFICE
            else RepresentativeKind.SENATOR_OFFICE
        )
        return self.register_representative(
            uow,
            Representative(
                representative_id=self._new_id("rep"),
                kind=kind,
                display_name=display_name,
                account_id=account_id,
                created_at=self._clock.now(),
            ),
        )

    def _record(
        self, uow: SqlUnit, actor: Actor, action: str, reason: str, *, client: str | None = None
    ) -> None:
        if self._audit is not None:
            self._audit.append(
                uow,
                AuditEntry(
                    occurred_at=self._clock.now(),
                    actor_id=actor.actor_id,
                    client_id=client,
                    capacity=actor.capacity,
                    action=action,
                    decision=Decision.ALLOWED,
                    reason=reason,
                ),
            )

    def _require_org_admin(self, uow: SqlUnit, actor: Actor, organisation_id: str) -> None:
        if actor.capacity is Capacity.SYSTEM:
            return
        if actor.capacity is Capacity.REPRESENTATIVE and actor.representative_id is not None:
            above = {a for a, _ in _repo.ancestors(uow, organisation_id)}
            for m in _repo.current_memberships(uow, actor.representative_id, self._clock.now()):
                if m.role is MembershipRole.ADMINISTRATOR and m.organisation_id in above:
                    return
        raise NotAdministrator()

    # --- grants: the client --------------------------------------------------------------

    def grant(
        self,
        uow: SqlUnit,
        actor: Actor,
        *,
        grantee_id: str,
        scopes: Iterable[str],
        coverage: GrantCoverage | str,
        target: str | None = None,
        grantee_is_organisation: bool = False,
        access_group: str | None = None,
        valid_from: dt.datetime | None = None,
        valid_until: dt.datetime | None = None,
        written_consent: WrittenConsent | None = None,
        for_dependant: str | None = None,
    ) -> ConsentGrant:
        """
        The client grants access from their own account; or a guardian, from
        theirs, for a dependant under 18 (*for_dependant*).

        The consent is signed with the account's key (the guardian's, for a
        dependant), or, with *written_consent*, rests on an uploaded form
        whose digest is kept.

        Terms the client leaves open may come back narrower: a grant to a
        delegate who has only shown low-assurance credentials ends 12 months
        after it starts (SEC-55), a guardian's grant on the dependant's 18th
        birthday (SEC-54). The returned grant states its end.

        Raises:
            NotPrincipal: *actor* is not the client in their own session (or,
                with *for_dependant*, not a recorded guardian of that dependant).
            StepUpRequired: the client's login is not fresh (SEC-40).
            ValidationError: an unknown scope, a window that ends before it
                starts, a missing target.
            GrantTargetUnknown: the item is not the client's, or the service
                is not offered.
            GrantTooLong: a low-assurance delegate's grant ending more than 12
                months after it starts.
            DependantOfAge: the dependant is 18 or over, or would be before it ends.
            SelfGrant, ScopeNotAllowed, LicenceInvalid, PaidRepresentativeExists,
            ConsentStale: the grant breaks a delegation rule; nothing is written.
        """
        now = self._clock.now()
        if for_dependant is None:
            client_id = self._require_principal(actor, actor.account_id, fresh=True)
            guardian = None
        else:
            guardian = self._require_principal(actor, actor.account_id, fresh=True)
            client_id = for_dependant
        grant = ConsentGrant(
            grant_id=self._new_id(),
            client_account_id=client_id,
            grantee_id=grantee_id,
            grantee_is_organisation=grantee_is_organisation,
            access_group=access_group,
            # The attrs plugin types the converter's argument oddly; it is Iterable[str].
            scopes=frozenset(scopes),  # type: ignore[arg-type]
            coverage=coverage,
            target=target,
            valid_from=valid_from or now,
            valid_until=valid_until,
            created_at=now,
        )
        grant, paid = self._check_terms(uow, grant, guardian)
        if written_consent is not None:
            evidence = written_consent.evidence(now.date())
        else:
            evidence = self._signer.sign(uow, grant, now, appointed_by=guardian)
        grant = attrs.evolve(grant, status=GrantStatus.ACTIVE, evidence=evidence)
        _repo.add_grant(uow, grant, paid=paid, appointed_by=guardian)
        self._changed(uow, actor, grant, "grant_created")
        return grant

    def accept(self, uow: SqlUnit, actor: Actor, grant_id: str) -> ConsentGrant:
        """
        The client accepts a representative's pending request, in their own session.

        Raises:
            NotPrincipal: *actor* is not that client (the representative's own
                session can never accept; SEC-53).
            RequestLapsed: more than seven days passed.
            GrantNotChangeable: the grant is not pending.
            GrantTargetUnknown, GrantTooLong, PaidRepresentativeExists,
            LicenceInvalid, ScopeNotAllowed: as for :meth:`grant`; the
            request stays pending.
        """
        now = self._clock.now()
        old, _ = self._own_grant(uow, actor, grant_id, fresh=True, guardian=False)
        if old.status is not GrantStatus.PENDING:
            raise GrantNotChangeable()
        lapses = old.lapses_at()
        if lapses is not None and now >= lapses:
            raise RequestLapsed()
        new, _ = self._check_terms(uow, attrs.evolve(old, version=old.version + 1), None)
        new = attrs.evolve(
            new, status=GrantStatus.ACTIVE, evidence=self._signer.sign(uow, new, now)
        )
        _repo.update_grant(uow, old, new, now)
        self._changed(uow, actor, new, "grant_changed")
        return new

    def decline(self, uow: SqlUnit, actor: Actor, grant_id: str) -> ConsentGrant:
        """
        The client declines a pending request.

        Raises:
            NotPrincipal: *actor* is not that client.
            GrantNotChangeable: the grant is not pending.
        """
        now = self._clock.now()
        old, _ = self._own_grant(uow, actor, grant_id, fresh=False, guardian=False)
        if old.status is not GrantStatus.PENDING:
            raise GrantNotChangeable()
        new = attrs.evolve(old, status=GrantStatus.DECLINED, version=old.version + 1)
        _repo.update_grant(uow, old, new, now, appointed_by=_repo.UNCHANGED)
        self._changed(uow, actor, new, "grant_changed")
        return new

    def change(
        self,
        uow: SqlUnit,
        actor: Actor,
        grant_id: str,
        *,
        scopes: Iterable[str] = KEEP,
        coverage: GrantCoverage | str = KEEP,
        target: str | None = KEEP,
        access_group: str | None = KEEP,
        valid_until: dt.datetime | None = KEEP,
    ) -> ConsentGrant:
        """
        The client (or the guardian who made it, for a dependant under 18)
        changes an active grant: a new version, signed afresh by whoever
        changes it; the old version is kept in the history. A grant the
        client changes themself is their own appointment from then on.

        Raises:
            NotPrincipal: *actor* is not that client nor its guardian (SEC-57:
                a delegate never edits, extends or widens a grant).
            GrantNotChangeable: the grant is not active.
            ValidationError, ScopeNotAllowed, PaidRepresentativeExists,
            GrantTargetUnknown, GrantTooLong, DependantOfAge: as for :meth:`grant`.
        """
        now = self._clock.now()
        old, guardian = self._own_grant(uow, actor, grant_id, fresh=True, guardian=True)
        if old.status is not GrantStatus.ACTIVE:
            raise GrantNotChangeable()
        changes: dict[str, Any] = {
            "scopes": scopes if scopes is KEEP else frozenset(scopes),
            "coverage": coverage,
            "target": target,
            "access_group": access_group,
            "valid_until": valid_until,
        }
        changes = {k: v for k, v in changes.items() if v is not KEEP}
        new = attrs.evolve(old, version=old.version + 1, status=GrantStatus.PENDING, **changes)
        new, _ = self._check_terms(uow, new, guardian)
        evidence = self._signer.sign(uow, new, now, appointed_by=guardian)
        new = attrs.evolve(new, status=GrantStatus.ACTIVE, evidence=evidence)
        _repo.update_grant(uow, old, new, now, appointed_by=guardian)
        self._changed(uow, actor, new, "grant_changed")
        return new

    def revoke(self, uow: SqlUnit, actor: Actor, grant_id: str) -> ConsentGrant:
        """
        The client (or the guardian who made it) revokes a grant, or withdraws
        a pending one: it stops working on the next request, in every process
        (SEC-56, SEC-38).

        Raises:
            NotPrincipal: *actor* is not that client nor its guardian.
            GrantNotChangeable: already revoked, declined or lapsed.
        """
        now = self._clock.now()
        old, _ = self._own_grant(uow, actor, grant_id, fresh=False, guardian=True)
        if old.status not in (GrantStatus.ACTIVE, GrantStatus.PENDING):
            raise GrantNotChangeable()
        new = attrs.evolve(old, status=GrantStatus.REVOKED, revoked_at=now, version=old.version + 1)
        _repo.update_grant(uow, old, new, now, appointed_by=_repo.UNCHANGED)
        self._changed(uow, actor, new, "grant_revoked")
        return new

    def grants(
        self, uow: SqlUnit, actor: Actor, *, client_id: str | None = None
    ) -> list[ConsentGrant]:
        """
        Every grant the client has given or been asked for, oldest first;
        unaccepted requests past their seven days show as lapsed. With
        *client_id*, a guardian's list for their dependant: the grants they
        appointed for them.

        Raises:
            NotPrincipal: *actor* is not a client (or not that dependant's guardian).
        """
        now = self._clock.now()
        if client_id is not None and client_id != actor.account_id:
            guardian = self._require_principal(actor, actor.account_id, fresh=False)
            if _repo.dependant_adult_at(uow, client_id, guardian) is None:
                raise NotPrincipal()
            found = _repo.grants_of_client(uow, client_id, appointed_by=guardian)
            return [_displayed(g, now) for g in found]
        client_id = self._require_principal(actor, actor.account_id, fresh=False)
        return [_displayed(g, now) for g in _repo.grants_of_client(uow, client_id)]

    def verify_consent(self, uow: SqlUnit, grant: ConsentGrant) -> None:
        """
        Check *grant*'s consent evidence against its terms.

        Raises:
            DelegationError: the evidence does not match.
        """
        self._signer.verify(uow, grant)

    def sign_statement(
        self, uow: SqlUnit, actor: Actor, *, purpose: str, statement: bytes
    ) -> ConsentEvidence:
        """
        The client, in their own session with a fresh login (SEC-40), signs
        *statement* (a document they reviewed, such as an application) with
        their account's key: the same in-account signing as consent, under a
        domain of its own, so the signature can never pass as consent to a
        grant. Nothing is recorded here: record the act in the same unit.

        Args:
            uow: The unit of work (the key is created in it on first use).
            actor: The client.
            purpose: What is signed, an identifier (``application``).
            statement: The exact bytes reviewed.

        Raises:
            NotPrincipal: *actor* is not a client in their own session.
            StepUpRequired: the client's login is not fresh.
            DelegationError: *purpose* is not an identifier.

        .. versionadded:: 0.1
        """
        client_id = self._require_principal(actor, actor.account_id, fresh=True)
        return self._signer.sign_statement(uow, client_id, purpose, statement, self._clock.now())

    def verify_statement(
        self,
        uow: SqlUnit,
        client_id: str,
        *,
        purpose: str,
        statement: bytes,
        evidence: ConsentEvidence,
    ) -> None:
        """
        Check that *evidence* is *client_id*'s in-account signature over
        *statement* for *purpose* (from :meth:`sign_statement`).

        Raises:
            DelegationError: it is not (which check failed is not said).

        .. versionadded:: 0.1
        """
        self._signer.verify_statement(uow, client_id, purpose, statement, evidence)

    # --- dependants (SEC-54) ----------------------------------------------------------------

    def record_dependant(
        self, uow: SqlUnit, officer: Actor, *, dependant_account_id: str, guardian_account_id: str
    ) -> dt.datetime:
        """
        The department records that *guardian_account_id* may appoint
        representatives for *dependant_account_id*, a dependant under 18,
        until their 18th birthday (read from the dependant's account's date
        of birth). From that birthday on the dependant appoints their own
        (SEC-54): the guardian's grants end then, and the guardian can make
        no more.

        *officer* is a department staff member (``Capacity.OFFICER``)
        authenticated by the department's own systems; expose this only there.

        Returns:
            When the dependant turns 18 (00:00 UTC on their birthday).

        Raises:
            DepartmentOnly: *officer* is not a department officer.
            DependantOfAge: the dependant is already 18 or over.
            NotFound: either account is unknown.
            PersonalDataErased: the dependant's personal data was erased.
            Conflict: already recorded, or the dependant is the guardian.
        """
        if officer.capacity is not Capacity.OFFICER:
            raise DepartmentOnly()
        if dependant_account_id == guardian_account_id:
            raise Conflict(kind="dependant")
        now = self._clock.now()
        uow.accounts.get(guardian_account_id)
        born = uow.accounts.get(dependant_account_id).personal.date_of_birth
        adult = _rules.adult_at(born)
        if now >= adult:
            raise DependantOfAge()
        _repo.add_dependant(
            uow, dependant_account_id, guardian_account_id, adult, officer.actor_id, now
        )
        _repo.bump(uow, _repo.client_key(dependant_account_id))
        self._record(uow, officer, "dependant.record", "guardian", client=dependant_account_id)
        return adult

    # --- grants: the representative -------------------------------------------------------

    def request(
        self,
        uow: SqlUnit,
        actor: Actor,
        *,
        client_id: str,
        scopes: Iterable[str],
        coverage: GrantCoverage | str,
        target: str | None = None,
        organisation_id: str | None = None,
        access_group: str | None = None,
        valid_until: dt.datetime | None = None,
    ) -> ConsentGrant:
        """
        A representative asks a client for access (for themselves, or for an
        organisation they administer). It stays pending, giving no access,
        until the client accepts it in their own session within seven days.

        Raises:
            NotPrincipal: *actor* is not a representative.
            NotAdministrator: *organisation_id* is given and *actor* does not administer it.
            ValidationError, SelfGrant, ScopeNotAllowed, LicenceInvalid,
            GrantTargetUnknown, GrantTooLong: as for :meth:`grant`. One paid
            representative per application is checked when the client accepts.
        """
        now = self._clock.now()
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.representative_id is None:
            raise NotPrincipal()
        if organisation_id is not None:
            self._require_org_admin(uow, actor, organisation_id)
        grant = ConsentGrant(
            grant_id=self._new_id(),
            client_account_id=client_id,
            grantee_id=organisation_id or actor.representative_id,
            grantee_is_organisation=organisation_id is not None,
            access_group=access_group,
            # The attrs plugin types the converter's argument oddly; it is Iterable[str].
            scopes=frozenset(scopes),  # type: ignore[arg-type]
            coverage=coverage,
            target=target,
            valid_from=now,
            valid_until=valid_until,
            status=GrantStatus.PENDING,
            requested_by_grantee=True,
            created_at=now,
        )
        grant, paid = self._check_terms(uow, grant, None, one_paid=False)
        _repo.add_grant(uow, grant, paid=paid)
        self._changed(uow, actor, grant, "grant_created")
        return grant

    def grants_received(self, uow: SqlUnit, actor: Actor) -> list[ConsentGrant]:
        """
        The grants naming the representative *actor* directly, oldest first.

        Raises:
            NotPrincipal: *actor* is not a representative.
        """
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.representative_id is None:
            raise NotPrincipal()
        now = self._clock.now()
        found = _repo.grants_to(uow, [actor.representative_id])
        return [_displayed(g, now) for g in found if not g.grantee_is_organisation]

    def grants_reaching(self, uow: SqlUnit, actor: Actor, client_id: str) -> list[ConsentGrant]:
        """
        *client_id*'s grants in force now that reach the representative
        *actor*: given to them, or to an organisation above one of their
        current memberships for one of their access groups (administrators:
        the grants with no access group; a law firm's or consultancy's grants
        reach its licensed members only, while their licence is in force:
        confirmed by the licensing body and not past its last day). Oldest
        first.
        """
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.representative_id is None:
            return []
        now = self._clock.now()
        members = _repo.current_memberships(uow, actor.representative_id, now)
        reach: dict[str, list[Membership]] = {}
        for m in members:
            for ancestor, _ in _repo.ancestors(uow, m.organisation_id):
                reach.setdefault(ancestor, []).append(m)
        licensed: bool | None = None
        found = []
        for g in _repo.grants_of_client(uow, client_id):
            if not g.is_active_at(now):
                continue
            if not g.grantee_is_organisation:
                if g.grantee_id == actor.representative_id:
                    found.append(g)
                continue
            if g.grantee_id in reach and (
                _repo.get_organisation(uow, g.grantee_id).kind in _PAID_ORGS
            ):
                if licensed is None:
                    rep, confirmed = _repo.get_representative(uow, actor.representative_id)
                    licence = rep.licence
                    licensed = (
                        rep.kind.is_paid
                        and confirmed
                        and licence is not None
                        and now.astimezone(dt.UTC).date() <= licence.expires_on
                    )
                if not licensed:
                    continue
            for m in reach.get(g.grantee_id, ()):
                if (g.access_group is None and m.role is MembershipRole.ADMINISTRATOR) or (
                    g.access_group in m.access_groups
                ):
                    found.append(g)
                    break
        return found

    def memberships(
        self, uow: SqlUnit, representative: Representative, when: dt.datetime
    ) -> list[Membership]:
        """
        The representative's memberships in force at *when*.
        """
        return _repo.current_memberships(uow, representative.representative_id, when)

    def grantee_name(self, uow: SqlUnit, grantee_id: str, *, organisation: bool) -> str | None:
        """
        The display name of a representative or (with *organisation*) an
        office or firm, or ``None`` if there is none.
        """
        try:
            if organisation:
                return _repo.get_organisation(uow, grantee_id).name
            return _repo.get_representative(uow, grantee_id)[0].display_name
        except NotFound:
            return None

    def grant_client(self, uow: SqlUnit, grant_id: str) -> str | None:
        """
        The client a grant belongs to, or ``None`` if there is no such grant.
        """
        try:
            return _repo.get_grant(uow, grant_id).client_account_id
        except NotFound:
            return None

    # --- rules ------------------------------------------------------------------------------

    def _require_principal(self, actor: Actor, client_id: str | None, *, fresh: bool) -> str:
        # Only the client, in their own session: never a representative,
        # plugin, officer, or anyone's on_behalf_of chain (SEC-53, SEC-57).
        if actor.capacity is not Capacity.CLIENT or client_id is None:
            raise NotPrincipal()
        if actor.account_id != client_id:
            raise NotPrincipal()
        if fresh:
            now = self._clock.now()
            if actor.auth_time is None or now - actor.auth_time > self._fresh_auth:
                # A fresh login at the level the client has now (SEC-40): the
                # portal sends them to their session's provider.
                raise StepUpRequired(
                    level=int(actor.assurance), max_age=int(self._fresh_auth.total_seconds())
                )
        return client_id

    def _own_grant(
        self, uow: SqlUnit, actor: Actor, grant_id: str, *, fresh: bool, guardian: bool
    ) -> tuple[ConsentGrant, str | None]:
        """
        The grant, if *actor* is its client (then ``None``) or, with
        *guardian*, the guardian who appointed it (then their account id).
        """
        if actor.capacity is not Capacity.CLIENT or actor.account_id is None:
            raise NotPrincipal()
        try:
            grant, appointed_by = _repo.get_grant_appointed(uow, grant_id)
        except NotFound:
            raise NotPrincipal() from None
        # Another client's grant looks the same as a missing one (SEC-50).
        if guardian and appointed_by is not None and actor.account_id == appointed_by:
            return grant, self._require_principal(actor, appointed_by, fresh=fresh)
        self._require_principal(actor, grant.client_account_id, fresh=fresh)
        return grant, None

    def _check_terms(
        self,
        uow: SqlUnit,
        grant: ConsentGrant,
        guardian: str | None,
        *,
        one_paid: bool = True,
    ) -> tuple[ConsentGrant, bool]:
        """
        Every rule a grant's terms must meet, before anything is written: the
        grantee's kind, the target, how long it may last, one paid
        representative per application. Returns the grant (its end set where
        a cap applies to an open end) and whether the grantee is paid.
        """
        if guardian is not None:
            # First: someone who is not the dependant's guardian learns nothing else.
            adult = _repo.dependant_adult_at(uow, grant.client_account_id, guardian)
            if adult is None:
                raise NotPrincipal()
            grant = _rules.guardian_cap(grant, adult)
        paid, delegate_account = self._check_grantee(uow, grant)
        _rules.check_target(uow, grant, self._services)
        if delegate_account is not None:
            assurance = _rules.delegate_assurance(uow, delegate_account)
            grant = _rules.assurance_cap(grant, assurance)
        if paid and one_paid:
            self._check_one_paid(uow, grant)
        return grant, paid

    def _check_grantee(self, uow: SqlUnit, grant: ConsentGrant) -> tuple[bool, str | None]:
        """
        Enforce the grantee's kind rules; returns whether the grantee is paid
        and, for a representative, their login account.
        """
        scopes = grant.scopes
        if grant.grantee_is_organisation:
            org = _repo.get_organisation(uow, grant.grantee_id)
            if org.kind in _PARLIAMENTARY_ORGS and not scopes <= PARLIAMENTARY_SCOPES:
                raise ScopeNotAllowed()
            return org.kind in _PAID_ORGS, None
        if grant.access_group is not None:
            raise UnknownValue(field="access_group")
        rep, licence_valid = _repo.get_representative(uow, grant.grantee_id)
        if rep.account_id == grant.client_account_id:
            raise SelfGrant()
        if rep.kind is RepresentativeKind.DESIGNATED_INDIVIDUAL and not scopes <= DESIGNATED_SCOPES:
            raise ScopeNotAllowed()
        if rep.kind.is_parliamentary and not scopes <= PARLIAMENTARY_SCOPES:
            raise ScopeNotAllowed()
        if rep.kind.is_paid:
            lic = rep.licence
            if not licence_valid or lic is None or self._clock.now().date() > lic.expires_on:
                raise LicenceInvalid()
        return rep.kind.is_paid, rep.account_id

    def _check_one_paid(self, uow: SqlUnit, grant: ConsentGrant) -> None:
        """
        SEC-54: no other paid grantee may hold an active grant whose coverage
        *and* validity window overlap *grant*'s, whether in force now or not.
        """
        # Bumping the client's counter first takes its row lock (PostgreSQL;
        # SQLite's writers are serialized already), so two grants to different
        # paid representatives made at once are checked one after the other.
        _repo.bump(uow, _repo.client_key(grant.client_account_id))
        for other in _repo.active_paid_grants(uow, grant.client_account_id):
            if other.grant_id == grant.grant_id or other.grantee_id == grant.grantee_id:
                continue
            if _rules.windows_overlap(grant, other) and _rules.coverages_overlap(uow, grant, other):
                raise PaidRepresentativeExists()

    def _changed(self, uow: SqlUnit, actor: Actor, grant: ConsentGrant, event: str) -> None:
        _repo.bump(uow, _repo.client_key(grant.client_account_id))
        if self._audit is not None:
            # Every change to who may act for a client is part of the client's
            # file history, in the same transaction as the change (SEC-70).
            self._audit.append(
                uow,
                AuditEntry(
                    occurred_at=self._clock.now(),
                    actor_id=actor.actor_id,
                    client_id=grant.client_account_id,
                    capacity=actor.capacity,
                    action=f"grant.{event.removeprefix('grant_')}",
                    decision=Decision.ALLOWED,
                    reason=grant.status.value,
                    grant_id=grant.grant_id,
                ),
            )
        notify = getattr(self._events, event)
        uow.on_commit(lambda: notify(grant.client_account_id, grant))

    def _new_id(self, prefix: str = "grt") -> str:
        return f"{prefix}-" + self._randomness.token_bytes(16).hex()


def _code_hash(code: str) -> bytes:
    return hashlib.sha256(code.encode("utf-8")).digest()


def _displayed(grant: ConsentGrant, now: dt.datetime) -> ConsentGrant:
    lapses = grant.lapses_at()
    if lapses is not None and now >= lapses:
        return attrs.evolve(grant, status=GrantStatus.LAPSED)
    return grant
