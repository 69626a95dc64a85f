"""
Who hears of a change, resolved when the worker sends, never stored: the
client; for a change to an item, each representative whose grant in force
covers it (a service-wide grant covers the item's own service: an enquiry
about a tracked application reaches the grants on the status tracker, as
the policy decides who may enquire); for a change to a grant, its grantee.
An organisation's grant
(an MP's or Senator's office) reaches its current members in the grant's
access group (with no group, its administrators), as the policy's
``grants_reaching`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from ircc_account._storage import _schema_delegation as d
from ircc_account._storage.ports import SqlUnit
from ircc_account.delegation import ConsentGrant, GrantCoverage, GrantStatus, _repo
from ircc_account.errors import NotFound

from ._outbox import OutboxMessage

__all__ = ["recipient_accounts"]


def recipient_accounts(uow: SqlUnit, message: OutboxMessage, now: dt.datetime) -> list[str]:
    """
    The account ids that hear of *message*: the client first, then
    representatives; each once.
    """
    found = [message.client_id]
    if message.kind.mandatory and message.grant_id is not None:
        try:
            grant = _repo.get_grant(uow, message.grant_id)
        except NotFound:
            grant = None
        if grant is not None and grant.client_account_id == message.client_id:
            found += _grantee_accounts(uow, grant, now)
    else:
        service_id = _service_of(uow, message)
        for grant in _repo.grants_of_client(uow, message.client_id):
            if _in_force(grant, now) and _covers(grant, service_id, message.item_id):
                found += _grantee_accounts(uow, grant, now)
    return list(dict.fromkeys(found))


def _in_force(grant: ConsentGrant, now: dt.datetime) -> bool:
    return (
        grant.status is GrantStatus.ACTIVE
        and grant.valid_from <= now
        and (grant.valid_until is None or now < grant.valid_until)
    )


def _service_of(uow: SqlUnit, message: OutboxMessage) -> str | None:
    """
    The service of the item *message* is about (an enquiry's entry names the
    enquiries service, its item another); the entry's own service when it
    names no item, or one no longer found among the client's items.
    """
    if message.item_id is None:
        return message.service_id
    found = _repo.item_service(uow, message.item_id, message.client_id)
    return message.service_id if found is None else found


def _covers(grant: ConsentGrant, service_id: str | None, item_id: str | None) -> bool:
    if grant.coverage is GrantCoverage.ACCOUNT:
        return True
    if grant.coverage is GrantCoverage.SERVICE:
        return grant.target is not None and grant.target == service_id
    return grant.target is not None and grant.target == item_id


def _grantee_accounts(uow: SqlUnit, grant: ConsentGrant, now: dt.datetime) -> list[str]:
    if not grant.grantee_is_organisation:
        return _accounts_of(uow, [grant.grantee_id])
    m = d.memberships.c
    rows = uow.execute(
        sa.select(m.representative_id, m.role, m.access_groups).where(
            m.organisation_id == grant.grantee_id,
            m.started_at <= now,
            sa.or_(m.ended_at.is_(None), m.ended_at > now),
        ),
        "membership",
    ).all()
    members = [
        r.representative_id
        for r in rows
        if (grant.access_group is None and r.role == "administrator")
        or (grant.access_group is not None and grant.access_group in r.access_groups.split())
    ]
    return _accounts_of(uow, members)


def _accounts_of(uow: SqlUnit, representative_ids: Iterable[str]) -> list[str]:
    ids = sorted(set(representative_ids))
    if not ids:
        return []
    r = d.representatives.c
    rows = uow.execute(
        sa.select(r.account_id).where(r.representative_id.in_(ids)).order_by(r.account_id),
        "representative",
    ).all()
    return [row.account_id for row in rows]
