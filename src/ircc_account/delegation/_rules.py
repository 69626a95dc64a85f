"""
The rules a grant's terms must meet before it is written, apart from the
grantee's kind: what it names exists and is the client's, how long it may
last (SEC-55, SEC-54), and one paid representative per application (SEC-54).

Each check raises a typed error before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import attrs

from ircc_account._model._accounts import AssuranceLevel
from ircc_account._model._delegation import ConsentGrant, GrantCoverage
from ircc_account._storage.ports import SqlUnit
from ircc_account.delegation import _repo
from ircc_account.errors import DependantOfAge, GrantTargetUnknown, GrantTooLong

__all__ = [
    "ADULT_AGE",
    "LOW_ASSURANCE_MONTHS",
    "adult_at",
    "assurance_cap",
    "check_target",
    "coverages_overlap",
    "delegate_assurance",
    "guardian_cap",
    "windows_overlap",
]

#: The longest a grant to a low-assurance delegate may last (SEC-55, after
#: RAM's Basic users: at most 12 months).
LOW_ASSURANCE_MONTHS = 12
#: From this birthday on, a dependant appoints their representative themself (SEC-54).
ADULT_AGE = 18


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """
    *when* moved *months* calendar months on; a day the month lacks becomes
    its last day (31 January + 1 month is 28 or 29 February).
    """
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    for day in (when.day, 30, 29, 28):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError  # pragma: no cover (every month has 28 days)


def adult_at(date_of_birth: dt.date) -> dt.datetime:
    """
    The start (00:00 UTC) of the 18th birthday of someone born on
    *date_of_birth*; someone born on 29 February turns 18 on 28 February in
    a common year (the earlier day: a guardian's authority ends no later
    than it must).
    """
    year = date_of_birth.year + ADULT_AGE
    try:
        day = date_of_birth.replace(year=year)
    except ValueError:
        day = dt.date(year, 2, 28)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def windows_overlap(a: ConsentGrant, b: ConsentGrant) -> bool:
    """
    Whether *a*'s and *b*'s validity windows share an instant (windows are
    half-open, ``[valid_from, valid_until)``; no end means forever).
    """
    a_before_b_ends = b.valid_until is None or a.valid_from < b.valid_until
    b_before_a_ends = a.valid_until is None or b.valid_from < a.valid_until
    return a_before_b_ends and b_before_a_ends


def coverages_overlap(uow: SqlUnit, a: ConsentGrant, b: ConsentGrant) -> bool:
    """
    Whether *a* and *b* can reach the same application: either covers the
    whole account; the same item or service; or an item of the other's service.
    """
    if GrantCoverage.ACCOUNT in (a.coverage, b.coverage):
        return True
    if a.coverage is b.coverage:
        return a.target == b.target
    item, service = (a, b) if a.coverage is GrantCoverage.ITEM else (b, a)
    assert item.target is not None
    return _repo.item_service(uow, item.target) == service.target


def check_target(uow: SqlUnit, grant: ConsentGrant, services: Collection[str] | None) -> None:
    """
    The item a grant covers must be the client's; the service it covers must
    be one that is offered (*services*; ``None``: none declared, so none is).

    Raises:
        GrantTargetUnknown: an item of another client and an unknown item
            alike (SEC-50), or a service not offered.
    """
    if grant.coverage is GrantCoverage.ITEM:
        assert grant.target is not None
        if _repo.item_service(uow, grant.target, grant.client_account_id) is None:
            raise GrantTargetUnknown()
    elif grant.coverage is GrantCoverage.SERVICE and (
        services is None or grant.target not in services
    ):
        raise GrantTargetUnknown()


def delegate_assurance(uow: SqlUnit, account_id: str) -> AssuranceLevel:
    """
    The strongest assurance any credential linked to *account_id* has shown
    (the identity layer records it on every login; it only rises); ``LOW``
    when none is linked.
    """
    levels = [c.assurance for c in uow.credentials.for_account(account_id)]
    return max(levels, default=AssuranceLevel.LOW)


def assurance_cap(grant: ConsentGrant, assurance: AssuranceLevel) -> ConsentGrant:
    """
    SEC-55: a grant to a delegate whose strongest credential is low assurance
    lasts at most 12 months from its start. An open-ended one gets that end
    (the consent the client signs states it); a later end is refused.

    Raises:
        GrantTooLong: the grant ends more than 12 months after it starts.
    """
    if assurance > AssuranceLevel.LOW:
        return grant
    return _capped(grant, add_months(grant.valid_from, LOW_ASSURANCE_MONTHS), GrantTooLong)


def guardian_cap(grant: ConsentGrant, adult: dt.datetime) -> ConsentGrant:
    """
    SEC-54: a guardian's appointment for a dependant ends, at the latest, when
    the dependant turns 18 (*adult*); an open-ended one gets that end.

    Raises:
        DependantOfAge: the dependant is 18 or over when it would start, or
            it would last beyond their 18th birthday.
    """
    if grant.valid_from >= adult:
        raise DependantOfAge()
    return _capped(grant, adult, DependantOfAge)


def _capped(
    grant: ConsentGrant, latest: dt.datetime, error: type[GrantTooLong] | type[DependantOfAge]
) -> ConsentGrant:
    if grant.valid_until is None:
        return attrs.evolve(grant, valid_until=latest)
    if grant.valid_until > latest:
        if error is GrantTooLong:
            raise GrantTooLong(months=LOW_ASSURANCE_MONTHS)
        raise error()
    return grant
