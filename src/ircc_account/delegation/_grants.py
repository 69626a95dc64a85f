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
grantee holds an active grant whose coverage overlaps it. The client revokes
the first representative, then appoints the second: nothing is replaced
silently.
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
from ircc_account.delegation import _repo
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
    ) -> None:
        self._clock = clock
        self._audit = audit
        self._verifier = licence_verifier
        self._events = events or NoEvents()
        self._randomness = randomness or SystemRandomness()
        self._signer = ConsentSigner(self._randomness)
        self._fresh_auth = fresh_auth

    def __repr__(self) -> str:
        return "Delegation()"

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
        """
        self._require_org_admin(uow, actor, membership.organisation_id)
        _repo.get_representative(uow, membership.representative_id)
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
    ) -> ConsentGrant:
        """
        The client grants access from their own account.

        The consent is signed with the account's key, or, with
        *written_consent*, rests on an uploaded form whose digest is kept.

        Raises:
            NotPrincipal: *actor* is not the client in their own session.
            StepUpRequired: the client's login is not fresh (SEC-40).
            ValidationError: an unknown scope, a window that ends before it
                starts, a missing target.
            SelfGrant, ScopeNotAllowed, LicenceInvalid, PaidRepresentativeExists,
            ConsentStale: the grant breaks a delegation rule; nothing is written.
        """
        now = self._clock.now()
        client_id = self._require_principal(actor, actor.account_id, fresh=True)
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
        paid = self._check_grantee(uow, grant)
        if paid:
            self._check_one_paid(uow, grant)
        if written_consent is not None:
            evidence = written_consent.evidence(now.date())
        else:
            evidence = self._signer.sign(uow, grant, now)
        grant = attrs.evolve(grant, status=GrantStatus.ACTIVE, evidence=evidence)
        _repo.add_grant(uow, grant, paid=paid)
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
        """
        now = self._clock.now()
        old = self._own_grant(uow, actor, grant_id, fresh=True)
        if old.status is not GrantStatus.PENDING:
            raise GrantNotChangeable()
        lapses = old.lapses_at()
        if lapses is not None and now >= lapses:
            raise RequestLapsed()
        paid = self._check_grantee(uow, old)
        if paid:
            self._check_one_paid(uow, old)
        new = attrs.evolve(old, version=old.version + 1)
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
        old = self._own_grant(uow, actor, grant_id, fresh=False)
        if old.status is not GrantStatus.PENDING:
            raise GrantNotChangeable()
        new = attrs.evolve(old, status=GrantStatus.DECLINED, version=old.version + 1)
        _repo.update_grant(uow, old, new, now)
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
        The client changes an active grant: a new version, signed afresh; the
        old version is kept in the history.

        Raises:
            NotPrincipal: *actor* is not that client (SEC-57: a delegate never
                edits, extends or widens a grant).
            GrantNotChangeable: the grant is not active.
            ValidationError, ScopeNotAllowed, PaidRepresentativeExists: as for :meth:`grant`.
        """
        now = self._clock.now()
        old = self._own_grant(uow, actor, grant_id, fresh=True)
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
        paid = self._check_grantee(uow, new)
        if paid:
            self._check_one_paid(uow, new)
        evidence = self._signer.sign(uow, new, now)
        new = attrs.evolve(new, status=GrantStatus.ACTIVE, evidence=evidence)
        _repo.update_grant(uow, old, new, now)
        self._changed(uow, actor, new, "grant_changed")
        return new

    def revoke(self, uow: SqlUnit, actor: Actor, grant_id: str) -> ConsentGrant:
        """
        The client revokes a grant (or withdraws a pending one): it stops
        working on the next request, in every process (SEC-56, SEC-38).

        Raises:
            NotPrincipal: *actor* is not that client.
            GrantNotChangeable: already revoked, declined or lapsed.
        """
        now = self._clock.now()
        old = self._own_grant(uow, actor, grant_id, fresh=False)
        if old.status not in (GrantStatus.ACTIVE, GrantStatus.PENDING):
            raise GrantNotChangeable()
        new = attrs.evolve(old, status=GrantStatus.REVOKED, revoked_at=now, version=old.version + 1)
        _repo.update_grant(uow, old, new, now)
        self._changed(uow, actor, new, "grant_revoked")
        return new

    def grants(self, uow: SqlUnit, actor: Actor) -> list[ConsentGrant]:
        """
        Every grant the client has given or been asked for, oldest first;
        unaccepted requests past their seven days show as lapsed.

        Raises:
            NotPrincipal: *actor* is not a client.
        """
        client_id = self._require_principal(actor, actor.account_id, fresh=False)
        now = self._clock.now()
        return [_displayed(g, now) for g in _repo.grants_of_client(uow, client_id)]

    def verify_consent(self, uow: SqlUnit, grant: ConsentGrant) -> None:
        """
        Check *grant*'s consent evidence against its terms.

        Raises:
            DelegationError: the evidence does not match.
        """
        self._signer.verify(uow, grant)

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
            ValidationError, SelfGrant, ScopeNotAllowed, LicenceInvalid: as for :meth:`grant`.
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
        paid = self._check_grantee(uow, grant)
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
        the grants with no access group). Oldest first.
        """
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.representative_id is None:
            return []
        now = self._clock.now()
        members = _repo.current_memberships(uow, actor.representative_id, now)
        reach: dict[str, list[Membership]] = {}
        for m in members:
            for ancestor, _ in _repo.ancestors(uow, m.organisation_id):
                reach.setdefault(ancestor, []).append(m)
        found = []
        for g in _repo.grants_of_client(uow, client_id):
            if not g.is_active_at(now):
                continue
            if not g.grantee_is_organisation:
                if g.grantee_id == actor.representative_id:
                    found.append(g)
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
                raise StepUpRequired()
        return client_id

    def _own_grant(self, uow: SqlUnit, actor: Actor, grant_id: str, *, fresh: bool) -> ConsentGrant:
        if actor.capacity is not Capacity.CLIENT or actor.account_id is None:
            raise NotPrincipal()
        try:
            grant = _repo.get_grant(uow, grant_id)
        except NotFound:
            raise NotPrincipal() from None
        # Another client's grant looks the same as a missing one (SEC-50).
        self._require_principal(actor, grant.client_account_id, fresh=fresh)
        return grant

    def _check_grantee(self, uow: SqlUnit, grant: ConsentGrant) -> bool:
        """
        Enforce the grantee's kind rules; returns whether the grantee is paid.
        """
        scopes = grant.scopes
        if grant.grantee_is_organisation:
            org = _repo.get_organisation(uow, grant.grantee_id)
            if org.kind in _PARLIAMENTARY_ORGS and not scopes <= PARLIAMENTARY_SCOPES:
                raise ScopeNotAllowed()
            return org.kind in _PAID_ORGS
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
        return rep.kind.is_paid

    def _check_one_paid(self, uow: SqlUnit, grant: ConsentGrant) -> None:
        now = self._clock.now()
        for other in _repo.active_paid_grants(uow, grant.client_account_id):
            if other.grantee_id == grant.grantee_id or not other.is_active_at(now):
                continue
            if _overlaps(uow, grant, other):
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


def _overlaps(uow: SqlUnit, a: ConsentGrant, b: ConsentGrant) -> bool:
    if GrantCoverage.ACCOUNT in (a.coverage, b.coverage):
        return True
    if a.coverage is b.coverage:
        return a.target == b.target
    item, service = (a, b) if a.coverage is GrantCoverage.ITEM else (b, a)
    assert item.target is not None
    return _repo.item_service(uow, item.target) == service.target
