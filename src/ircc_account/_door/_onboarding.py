"""
Onboarding representatives and organisations, on ``door.onboarding``.

A person registers themself as a family member, friend, designated
individual, or a licensed consultant, lawyer or notary. Offices and firms
are registered by the department with their first administrator (an
explicit officer, authenticated by the department's own systems), who
invites their staff; staff join with the one-time code. Nothing here needs a
hidden system actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TypeVar

from ircc_account._model import (
    Actor,
    Invitation,
    Licence,
    Membership,
    MembershipRole,
    Organisation,
    Representative,
    RepresentativeKind,
)
from ircc_account._storage.ports import SqlStorage, SqlUnit
from ircc_account.delegation import Delegation

__all__ = ["Onboarding"]

T = TypeVar("T")


def _write(store: SqlStorage, work: Callable[[SqlUnit], T]) -> T:
    with store.unit_of_work() as uow:
        result = work(uow)
        uow.commit()
    return result


class Onboarding:
    """
    How representatives and organisations come to be (``door.onboarding``);
    every step is recorded in the audit log.

    Args:
        store: The store.
        delegation: Representatives, organisations and their members.
        invitation_lifetime: How long an invitation code stays usable.
    """

    def __init__(
        self, store: SqlStorage, delegation: Delegation, invitation_lifetime: dt.timedelta
    ) -> None:
        self._store = store
        self._delegation = delegation
        self._lifetime = invitation_lifetime

    def __repr__(self) -> str:
        return "Onboarding()"

    def register_representative(
        self,
        actor: Actor,
        *,
        kind: RepresentativeKind | str,
        display_name: str,
        licence: Licence | None = None,
    ) -> Representative:
        """
        The signed-in person (*actor* from :meth:`actor`) becomes a
        representative: family, friend or designated individual, or a paid
        consultant, lawyer or notary whose licence its body confirms. Office
        staff join their office with :meth:`join` instead.

        Raises:
            NotPrincipal: *actor* is not a person in their own session.
            OnboardingRefused: an office kind.
            LicenceInvalid: a paid kind whose licence is not confirmed.
            Conflict: the login is already a representative.
        """
        return _write(
            self._store,
            lambda uow: self._delegation.register_self(
                uow, actor, kind=kind, display_name=display_name, licence=licence
            ),
        )

    def onboard_organisation(
        self,
        officer: Actor,
        organisation: Organisation,
        *,
        administrator_account_id: str,
        administrator_name: str,
    ) -> Membership:
        """
        The department registers an office or firm with its first
        administrator (an existing account, who then invites the staff).
        *officer* is a department staff member (``Capacity.OFFICER``)
        authenticated by the department's own systems: expose this only there.

        Raises:
            DepartmentOnly: *officer* is not a department officer.
            LicenceInvalid: a firm's administrator is not a licensed representative.
            NotFound: the administrator's account or the parent organisation is unknown.
            Conflict: the organisation already exists.
        """
        return _write(
            self._store,
            lambda uow: self._delegation.onboard_organisation(
                uow,
                officer,
                organisation,
                administrator_account_id=administrator_account_id,
                administrator_name=administrator_name,
            ),
        )

    def invite(
        self,
        actor: Actor,
        organisation_id: str,
        *,
        role: MembershipRole | str = MembershipRole.STAFF,
        access_groups: Iterable[str] = (),
    ) -> Invitation:
        """
        An organisation's administrator invites one person to join, in
        *role* and *access_groups*. Give ``invitation.code`` to that person
        (it is shown once, single use, and expires).

        Raises:
            NotAdministrator: *actor* does not administer this organisation.
            NotFound: no such organisation.
        """
        return _write(
            self._store,
            lambda uow: self._delegation.invite(
                uow,
                actor,
                organisation_id,
                role=role,
                access_groups=access_groups,
                lifetime=self._lifetime,
            ),
        )

    def join(self, actor: Actor, code: str, *, display_name: str) -> Membership:
        """
        The signed-in person (their client *actor*) joins an organisation
        with an invitation code; office staff become representatives of the
        office's kind.

        Raises:
            InvitationInvalid: unknown, used or expired code.
            LicenceInvalid: a firm's member who is not a licensed representative.
        """
        return _write(
            self._store,
            lambda uow: self._delegation.join(uow, actor, code, display_name=display_name),
        )

    def end_membership(self, actor: Actor, organisation_id: str, representative_id: str) -> None:
        """
        A member leaves (or is removed by an administrator): their access
        through the organisation ends on their next request.

        Raises:
            NotAdministrator: *actor* is neither an administrator nor that member.
            NotFound: no current membership.
        """
        _write(
            self._store,
            lambda uow: self._delegation.end_membership(
                uow, actor, organisation_id, representative_id
            ),
        )

    def record_dependant(
        self, officer: Actor, *, dependant_account_id: str, guardian_account_id: str
    ) -> dt.datetime:
        """
        The department records that a guardian may appoint representatives
        for a dependant under 18, until the dependant's 18th birthday (which
        it returns). *officer* is a department staff member
        (``Capacity.OFFICER``) authenticated by the department's own systems.

        Raises:
            DepartmentOnly: *officer* is not an officer.
            DependantOfAge: the dependant is 18 or over.
        """
        return _write(
            self._store,
            lambda uow: self._delegation.record_dependant(
                uow,
                officer,
                dependant_account_id=dependant_account_id,
                guardian_account_id=guardian_account_id,
            ),
        )
