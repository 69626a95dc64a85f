"""
A client's consent grants, on ``door.grants``: the client gives, changes,
accepts, refuses and revokes; a representative asks. Every change and every
refusal is recorded in the client's history (a refusal's record is kept even
though the refused change is not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from ircc_account._clock import Randomness
from ircc_account._model import (
    Action,
    Actor,
    AuthorizationDecision,
    Capacity,
    ConsentGrant,
    GrantCoverage,
    Resource,
)
from ircc_account._storage.ports import SqlStorage, SqlUnit
from ircc_account.delegation import KEEP, Delegation, Policy, WrittenConsent
from ircc_account.errors import AuthorizationError, DelegationError, NotFound, StepUpRequired

__all__ = ["GrantDesk"]


class GrantDesk:
    """
    Consent grants through the policy and the audit log (``door.grants``).

    Args:
        store: The store.
        policy: The authorization policy.
        delegation: Grants and their rules.
        randomness: For correlation ids.
    """

    def __init__(
        self, store: SqlStorage, policy: Policy, delegation: Delegation, randomness: Randomness
    ) -> None:
        self._store = store
        self._policy = policy
        self._delegation = delegation
        self._randomness = randomness

    def __repr__(self) -> str:
        return "GrantDesk()"

    def of(
        self, actor: Actor, client_id: str, *, correlation_id: str | None = None
    ) -> list[ConsentGrant]:
        """
        The client's grants, oldest first: all of them for the client
        themself; for a representative, the ones in force that reach them
        (recorded as an access to the client's file).

        Raises:
            AuthorizationError: a representative with nothing in force here (recorded).
        """
        correlation_id = correlation_id or self._correlation()
        with self._store.unit_of_work() as uow:
            if actor.capacity is Capacity.CLIENT and actor.account_id == client_id:
                found = self._delegation.grants(uow, actor)
            elif actor.capacity is Capacity.CLIENT:
                # A guardian's list for their dependant (NotPrincipal otherwise).
                found = self._delegation.grants(uow, actor, client_id=client_id)
            else:
                decision = self._policy.reach(
                    actor,
                    client_id,
                    uow=uow,
                    correlation_id=correlation_id,
                    record_as="door.grants.view",
                )
                if not decision.allowed:
                    raise decision.refusal()
                found = self._delegation.grants_reaching(uow, actor, client_id)
            uow.commit()
        return found

    def names(self, grants: Iterable[ConsentGrant]) -> dict[str, str]:
        """
        The display names of the representatives and offices *grants* name,
        by grantee id (a representative's own name, "Jean Roy, RCIC"; an
        office's, "Office of the MP for Nepean"). These are professional
        names the client chose to deal with, not anyone's file: not recorded.
        """
        names: dict[str, str] = {}
        with self._store.unit_of_work(write=False) as uow:
            for g in grants:
                if g.grantee_id not in names:
                    name = self._delegation.grantee_name(
                        uow, g.grantee_id, organisation=g.grantee_is_organisation
                    )
                    if name is not None:
                        names[g.grantee_id] = name
        return names

    def give(
        self,
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
        correlation_id: str | None = None,
    ) -> ConsentGrant:
        """
        The client gives a representative or an office access, from their own
        session (a fresh login, SEC-40), signed with their account's key (or
        resting on an uploaded written consent); or a guardian, for a
        dependant under 18 the department recorded (*for_dependant*).

        Raises:
            NotPrincipal, StepUpRequired, ValidationError, SelfGrant,
            ScopeNotAllowed, LicenceInvalid, PaidRepresentativeExists,
            ConsentStale: refused (recorded); nothing else is written.
        """
        return self._change(
            actor,
            for_dependant or actor.account_id,
            "door.grant.create",
            correlation_id,
            lambda uow: self._delegation.grant(
                uow,
                actor,
                grantee_id=grantee_id,
                scopes=scopes,
                coverage=coverage,
                target=target,
                grantee_is_organisation=grantee_is_organisation,
                access_group=access_group,
                valid_from=valid_from,
                valid_until=valid_until,
                written_consent=written_consent,
                for_dependant=for_dependant,
            ),
        )

    def request(
        self,
        actor: Actor,
        *,
        client_id: str,
        scopes: Iterable[str],
        coverage: GrantCoverage | str,
        target: str | None = None,
        organisation_id: str | None = None,
        access_group: str | None = None,
        valid_until: dt.datetime | None = None,
        correlation_id: str | None = None,
    ) -> ConsentGrant:
        """
        A representative asks a client for access; it gives nothing until the
        client accepts it in their own session within seven days.

        Raises:
            NotPrincipal, ValidationError, ScopeNotAllowed, LicenceInvalid:
                refused (recorded).
        """
        return self._change(
            actor,
            client_id,
            "door.grant.request",
            correlation_id,
            lambda uow: self._delegation.request(
                uow,
                actor,
                client_id=client_id,
                scopes=scopes,
                coverage=coverage,
                target=target,
                organisation_id=organisation_id,
                access_group=access_group,
                valid_until=valid_until,
            ),
        )

    def accept(
        self, actor: Actor, grant_id: str, *, correlation_id: str | None = None
    ) -> ConsentGrant:
        """
        The client accepts a representative's request, in their own session.

        Raises:
            NotPrincipal, StepUpRequired, RequestLapsed, GrantNotChangeable,
            PaidRepresentativeExists: refused (recorded).
        """
        return self._change(
            actor,
            self._grant_client(grant_id),
            "door.grant.accept",
            correlation_id,
            lambda uow: self._delegation.accept(uow, actor, grant_id),
        )

    def decline(
        self, actor: Actor, grant_id: str, *, correlation_id: str | None = None
    ) -> ConsentGrant:
        """
        The client refuses a representative's request.

        Raises:
            NotPrincipal, GrantNotChangeable: refused (recorded).
        """
        return self._change(
            actor,
            self._grant_client(grant_id),
            "door.grant.decline",
            correlation_id,
            lambda uow: self._delegation.decline(uow, actor, grant_id),
        )

    def revoke(
        self, actor: Actor, grant_id: str, *, correlation_id: str | None = None
    ) -> ConsentGrant:
        """
        The client takes access away: from the next request on, in every process.

        Raises:
            NotPrincipal, GrantNotChangeable: refused (recorded).
        """
        return self._change(
            actor,
            self._grant_client(grant_id),
            "door.grant.revoke",
            correlation_id,
            lambda uow: self._delegation.revoke(uow, actor, grant_id),
        )

    def change(
        self,
        actor: Actor,
        grant_id: str,
        *,
        scopes: Iterable[str] = KEEP,
        coverage: GrantCoverage | str = KEEP,
        target: str | None = KEEP,
        access_group: str | None = KEEP,
        valid_until: dt.datetime | None = KEEP,
        correlation_id: str | None = None,
    ) -> ConsentGrant:
        """
        The client changes an active grant (a new version, signed afresh);
        terms left as ``KEEP`` stay as they are.

        Raises:
            NotPrincipal, StepUpRequired, GrantNotChangeable, ValidationError,
            ScopeNotAllowed, PaidRepresentativeExists: refused (recorded).
        """
        return self._change(
            actor,
            self._grant_client(grant_id),
            "door.grant.change",
            correlation_id,
            lambda uow: self._delegation.change(
                uow,
                actor,
                grant_id,
                scopes=scopes,
                coverage=coverage,
                target=target,
                access_group=access_group,
                valid_until=valid_until,
            ),
        )

    def _correlation(self) -> str:
        return "req-" + self._randomness.token_bytes(12).hex()

    def _grant_client(self, grant_id: str) -> str | None:
        with self._store.unit_of_work(write=False) as uow:
            return self._delegation.grant_client(uow, grant_id)

    def _change(
        self,
        actor: Actor,
        client_id: str | None,
        record_as: str,
        correlation_id: str | None,
        change: Callable[[SqlUnit], ConsentGrant],
    ) -> ConsentGrant:
        """
        Make a grant change in one unit; a refusal is recorded in the
        client's history (kept) before it is raised.
        """
        try:
            with self._store.unit_of_work() as uow:
                grant = change(uow)
                uow.commit()
            return grant
        except (DelegationError, StepUpRequired, AuthorizationError, NotFound) as refusal:
            if client_id is not None:
                decision = AuthorizationDecision(allowed=False, reason=refusal.code)
                with self._store.unit_of_work() as uow:
                    self._policy.record(
                        actor,
                        Action.MANAGE_GRANTS,
                        Resource(client_id=client_id, field="representatives"),
                        decision,
                        uow=uow,
                        correlation_id=correlation_id or self._correlation(),
                        record_as=record_as,
                    )
                    uow.commit()
            raise
