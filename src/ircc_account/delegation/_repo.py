"""
SQL access for the delegation package, over the caller's unit of work.

Everything here runs inside the caller's transaction, so a grant and the
version counter that invalidates cached decisions commit together.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from ircc_account._crypto import WrappedDataKey
from ircc_account._model._delegation import (
    ConsentEvidence,
    ConsentGrant,
    GrantCoverage,
    GrantStatus,
    Invitation,
    LegalBasis,
    Licence,
    LicenceBody,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Representative,
    RepresentativeKind,
)
from ircc_account._storage import _schema, translate_errors
from ircc_account._storage import _schema_delegation as t
from ircc_account._storage._sealing import representative_name, seal_representative_name
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import Conflict, NotFound

__all__ = ["GLOBAL_KEY", "client_key", "micros", "rep_key"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: The counter bumped when the organisation tree changes.
GLOBAL_KEY = "global"


def client_key(client_id: str) -> str:
    """The version counter of one client's grants."""
    return "c:" + client_id


def rep_key(representative_id: str) -> str:
    """The version counter of one representative's licence and memberships."""
    return "r:" + representative_id


def micros(when: dt.datetime) -> int:
    """*when* as integer microseconds since the epoch, as the schema stores instants."""
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def instant(value: int | None) -> dt.datetime | None:
    """The inverse of :func:`micros`, passing ``None`` through."""
    return None if value is None else _EPOCH + dt.timedelta(microseconds=value)


# --- version counters ---------------------------------------------------------

#: Units of work that changed delegation data and have not committed: the
#: policy neither reads nor fills its cache in them, so nothing it caches can
#: reflect a change that is later rolled back.
DIRTY: weakref.WeakSet[SqlUnit] = weakref.WeakSet()
#: Incremented after every :func:`bump`: while it is unchanged, no unit of work
#: has become dirty, so a unit found clean before is still clean.
DIRTY_EPOCH = 0


def bump(uow: SqlUnit, *keys: str) -> None:
    """
    Increment each counter in *keys* (creating it at 1), in the caller's transaction.
    """
    global DIRTY_EPOCH  # a counter read on the hot path
    DIRTY.add(uow)
    DIRTY_EPOCH += 1
    table = t.delegation_versions
    insert: Any = (
        postgresql.insert if uow.connection.dialect.name == "postgresql" else sqlite.insert
    )
    for key in sorted(set(keys)):
        stmt = insert(table).values(key=key, version=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key], set_={"version": table.c.version + 1}
        )
        uow.execute(stmt, "delegation version")


# The decision statement runs on the DB-API cursor of the unit's own
# connection (same transaction): through SQLAlchemy's execution layer the same
# statement costs 30 to 40 µs more on every decision, several times the
# statement itself on SQLite. Only constant SQL is sent; every value is a bound
# parameter; driver errors are translated exactly as ``uow.execute`` does.
_NULL_T = "CAST(NULL AS VARCHAR(140))"
_NULL_N = "CAST(NULL AS BIGINT)"
_GRANT_COLUMNS = (
    "g.grant_id, g.grantee_id, g.scopes, g.access_group, g.coverage, g.target, g.status, "
    "g.valid_from, g.valid_until, g.created_at, g.first_used_at"
)
# One statement, so every decision costs at most one round trip. ``v`` holds
# the pair's three version counters; ``s`` has a row only when the caller's
# cached counters (:nc, :nr, :ng) are stale or it has none (:force = 1). The
# other branches run only then, so for a pair whose cache is current the
# statement is three primary-key reads. Rows are tagged; columns k1..k7 are
# text, n1..n5 integers. Each branch is one indexed lookup:
# delegation_versions and representatives by primary key, memberships by
# ix_memberships_representative, organisation_closure by
# ix_organisation_closure_descendant, consent_grants by
# ix_consent_grants_client_grantee (client_account_id, grantee_id).
#
# The grant branches return the pair's grants in every status, not only the
# active ones, so a refusal can say whether the grant that came closest was
# revoked, declined, lapsed, expired or not yet valid without another round
# trip; the policy keeps the active ones apart, so an allowed decision looks
# at nothing more than before.
_DECISION_SQL = f"""
    WITH v AS (SELECT key, version FROM delegation_versions WHERE key IN (:vc, :vr, :vg)),
    s AS (
      SELECT 1 AS stale WHERE :force = 1
          OR COALESCE((SELECT version FROM v WHERE key = :vc), 0) <> :nc
          OR COALESCE((SELECT version FROM v WHERE key = :vr), 0) <> :nr
          OR COALESCE((SELECT version FROM v WHERE key = :vg), 0) <> :ng
    ),
    cm AS (
      SELECT oc.ancestor_id, m.access_groups, m.role, m.organisation_id,
             m.started_at, m.ended_at
        FROM memberships m
        JOIN organisation_closure oc ON oc.descendant_id = m.organisation_id
       WHERE m.representative_id = :rep AND (m.ended_at IS NULL OR m.ended_at > :now)
         AND EXISTS (SELECT 1 FROM s)
    )
    SELECT 'v' AS tag, key AS k1, {_NULL_T} AS k2, {_NULL_T} AS k3, {_NULL_T} AS k4,
           {_NULL_T} AS k5, {_NULL_T} AS k6, {_NULL_T} AS k7,
           version AS n1, {_NULL_N} AS n2, {_NULL_N} AS n3, {_NULL_N} AS n4, {_NULL_N} AS n5
      FROM v
    UNION ALL
    SELECT 'r', kind, account_id, licence_expires_on, {_NULL_T}, {_NULL_T}, {_NULL_T}, {_NULL_T},
           licence_valid, {_NULL_N}, {_NULL_N}, {_NULL_N}, {_NULL_N}
      FROM representatives WHERE representative_id = :rep AND EXISTS (SELECT 1 FROM s)
    UNION ALL
    SELECT 'm', cm.ancestor_id, cm.access_groups, cm.role, o.kind, cm.organisation_id,
           {_NULL_T}, {_NULL_T}, cm.started_at, cm.ended_at, {_NULL_N}, {_NULL_N}, {_NULL_N}
      FROM cm JOIN organisations o ON o.organisation_id = cm.ancestor_id
    UNION ALL
    SELECT 'd', {_GRANT_COLUMNS}, 0
      FROM consent_grants g
     WHERE g.client_account_id = :client AND g.grantee_id = :rep
       AND g.grantee_is_organisation = 0
       AND EXISTS (SELECT 1 FROM s)
    UNION ALL
    SELECT 'o', {_GRANT_COLUMNS}, 1
      FROM consent_grants g
     WHERE g.client_account_id = :client AND g.grantee_id IN (SELECT ancestor_id FROM cm)
       AND g.grantee_is_organisation = 1
    """  # noqa: S608 (only the constant fragments above are interpolated)

#: The decision statement in each driver's parameter style.
DECISION_SQL = {
    "sqlite": _DECISION_SQL,
    "postgresql": re.sub(r":(\w+)", r"%(\1)s", _DECISION_SQL),
}
#: :func:`decision_rows`' ``versions`` for a pair with nothing cached.
NO_VERSIONS = (-1, -1, -1)


def decision_rows(
    uow: SqlUnit,
    client_id: str,
    representative_id: str,
    now: int,
    versions: tuple[int, int, int] = NO_VERSIONS,
) -> list[tuple[Any, ...]]:
    """
    The pair's version counters (rows tagged ``v``) and, unless *versions*
    (the counters a cached entry was filled at) are still current, everything
    a decision for (*client_id*, *representative_id*) needs, in one statement.
    """
    params = {
        "vc": client_key(client_id),
        "vr": rep_key(representative_id),
        "vg": GLOBAL_KEY,
        "force": int(versions == NO_VERSIONS),
        "nc": versions[0],
        "nr": versions[1],
        "ng": versions[2],
        "rep": representative_id,
        "client": client_id,
        "now": now,
    }
    conn = uow.connection
    dialect = conn.dialect
    sql = DECISION_SQL[dialect.name]
    cursor: Any = conn.connection.cursor()  # psycopg takes prepare=
    try:
        if dialect.name == "postgresql":
            # Prepared at once (as prepare_threshold=0 would): planned once per connection.
            cursor.execute(sql, params, prepare=True)
        else:
            cursor.execute(sql, params)
        return list(cursor.fetchall())
    except dialect.loaded_dbapi.Error as e:
        with translate_errors("consent grant"):
            raise sa_exc.DBAPIError.instance(
                sql, params, e, dialect.loaded_dbapi.Error, dialect=dialect
            ) from e
        raise  # pragma: no cover (translate_errors always raises)
    finally:
        cursor.close()


def versions_of(uow: SqlUnit, keys: Iterable[str]) -> dict[str, int]:
    """
    The current version counters of *keys* (a key never bumped is absent),
    one statement per 500 keys: to check many cached decisions at once.
    """
    v = t.delegation_versions.c
    wanted = sorted(set(keys))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        query = sa.select(v.key, v.version).where(v.key.in_(wanted[start : start + 500]))
        for row in uow.execute(query, "consent grant"):
            found[str(row.key)] = int(row.version)
    return found


# --- representatives ------------------------------------------------------------


def add_representative(uow: SqlUnit, rep: Representative, licence_valid: bool) -> None:
    """Insert *rep*."""
    lic = rep.licence
    uow.execute(
        t.representatives.insert().values(
            representative_id=rep.representative_id,
            kind=rep.kind.value,
            display_name_ct=seal_representative_name(
                uow, rep.representative_id, rep.account_id, rep.display_name
            ),
            account_id=rep.account_id,
            licence_body=None if lic is None else lic.body.value,
            licence_number=None if lic is None else lic.number,
            licence_expires_on=None if lic is None else lic.expires_on.isoformat(),
            licence_verified_at=None if lic is None else lic.verified_at,
            licence_valid=int(licence_valid),
            created_at=rep.created_at,
        ),
        "representative",
    )


#: A representative's row with its login account's wrapped data key (one
#: query for what opening the sealed name needs).
_REP_WITH_KEY = sa.select(
    t.representatives, _schema.account_keys.c.kek_id, _schema.account_keys.c.wrapped_key
).select_from(
    t.representatives.outerjoin(
        _schema.account_keys,
        _schema.account_keys.c.account_id == t.representatives.c.account_id,
    )
)


def _rep_from_row(uow: SqlUnit, row: Any) -> Representative:
    licence = None
    if row.licence_body is not None:
        licence = Licence(
            body=LicenceBody(row.licence_body),
            number=row.licence_number,
            expires_on=row.licence_expires_on,
            verified_at=row.licence_verified_at,
        )
    return Representative(
        representative_id=row.representative_id,
        kind=RepresentativeKind(row.kind),
        display_name=representative_name(
            uow,
            row.representative_id,
            row.account_id,
            row.display_name,
            row.display_name_ct,
            # Read with the row when the query joined the key (None: erased,
            # or not joined; data_key then looks, and tells which).
            None
            if getattr(row, "wrapped_key", None) is None
            else WrappedDataKey(kek_id=row.kek_id, blob=row.wrapped_key),
        ),
        account_id=row.account_id,
        licence=licence,
        created_at=row.created_at,
    )


def get_representative(uow: SqlUnit, representative_id: str) -> tuple[Representative, bool]:
    """
    The representative and whether their licence was last confirmed valid.

    Raises:
        NotFound: no such representative.
    """
    row = uow.execute(
        _REP_WITH_KEY.where(t.representatives.c.representative_id == representative_id),
        "representative",
    ).first()
    if row is None:
        raise NotFound(kind="representative")
    return _rep_from_row(uow, row), bool(row.licence_valid)


def set_licence(uow: SqlUnit, representative_id: str, licence: Licence, valid: bool) -> None:
    """Store the result of a licence check."""
    uow.execute(
        t.representatives.update()
        .where(t.representatives.c.representative_id == representative_id)
        .values(
            licence_expires_on=licence.expires_on.isoformat(),
            licence_verified_at=licence.verified_at,
            licence_valid=int(valid),
        ),
        "representative",
    )


def representative_for_account(uow: SqlUnit, account_id: str) -> tuple[Representative, bool] | None:
    """
    The representative whose login is *account_id* (one at most), with
    whether their licence was last confirmed valid; ``None`` if there is none.
    """
    row = uow.execute(
        _REP_WITH_KEY.where(t.representatives.c.account_id == account_id),
        "representative",
    ).first()
    return None if row is None else (_rep_from_row(uow, row), bool(row.licence_valid))


# --- organisations --------------------------------------------------------------


def add_organisation(uow: SqlUnit, org: Organisation) -> None:
    """Insert *org* and its closure rows (its parent must exist)."""
    uow.execute(
        t.organisations.insert().values(
            organisation_id=org.organisation_id,
            kind=org.kind.value,
            name=org.name,
            parent_id=org.parent_id,
            created_at=org.created_at,
        ),
        "organisation",
    )
    rows = [{"ancestor_id": org.organisation_id, "descendant_id": org.organisation_id, "depth": 0}]
    if org.parent_id is not None:
        rows += [
            {"ancestor_id": a, "descendant_id": org.organisation_id, "depth": d + 1}
            for a, d in ancestors(uow, org.parent_id)
        ]
    with translate_errors("organisation"):
        uow.connection.execute(t.organisation_closure.insert(), rows)


def get_organisation(uow: SqlUnit, organisation_id: str) -> Organisation:
    """
    Raises:
        NotFound: no such organisation.
    """
    row = uow.execute(
        sa.select(t.organisations).where(t.organisations.c.organisation_id == organisation_id),
        "organisation",
    ).first()
    if row is None:
        raise NotFound(kind="organisation")
    return Organisation(
        organisation_id=row.organisation_id,
        kind=OrganisationKind(row.kind),
        name=row.name,
        parent_id=row.parent_id,
        created_at=row.created_at,
    )


def ancestors(uow: SqlUnit, organisation_id: str) -> list[tuple[str, int]]:
    """*organisation_id* and every organisation above it, with their distance."""
    c = t.organisation_closure.c
    rows = uow.execute(
        sa.select(c.ancestor_id, c.depth).where(c.descendant_id == organisation_id),
        "organisation",
    ).all()
    return [(r.ancestor_id, r.depth) for r in rows]


def descendants(uow: SqlUnit, organisation_id: str) -> list[tuple[str, int]]:
    """*organisation_id* and every organisation below it, with their distance."""
    c = t.organisation_closure.c
    rows = uow.execute(
        sa.select(c.descendant_id, c.depth).where(c.ancestor_id == organisation_id),
        "organisation",
    ).all()
    return [(r.descendant_id, r.depth) for r in rows]


def set_parent(uow: SqlUnit, organisation_id: str, parent_id: str | None) -> None:
    """
    Move *organisation_id* (and its subtree) under *parent_id*; the caller has
    already refused cycles.
    """
    c = t.organisation_closure.c
    below = descendants(uow, organisation_id)
    above = [a for a, d in ancestors(uow, organisation_id) if d > 0]
    below_ids = [d for d, _ in below]
    if above:
        uow.execute(
            t.organisation_closure.delete().where(
                c.ancestor_id.in_(above), c.descendant_id.in_(below_ids)
            ),
            "organisation",
        )
    uow.execute(
        t.organisations.update()
        .where(t.organisations.c.organisation_id == organisation_id)
        .values(parent_id=parent_id),
        "organisation",
    )
    if parent_id is not None:
        rows = [
            {"ancestor_id": a, "descendant_id": d, "depth": da + dd + 1}
            for a, da in ancestors(uow, parent_id)
            for d, dd in below
        ]
        with translate_errors("organisation"):
            uow.connection.execute(t.organisation_closure.insert(), rows)


# --- memberships -------------------------------------------------------------------


def add_membership(uow: SqlUnit, m: Membership) -> None:
    """Insert *m*."""
    uow.execute(
        t.memberships.insert().values(
            organisation_id=m.organisation_id,
            representative_id=m.representative_id,
            started_at=m.started_at,
            role=m.role.value,
            access_groups=" ".join(sorted(m.access_groups)),
            ended_at=m.ended_at,
        ),
        "membership",
    )


def _membership(row: Any) -> Membership:
    return Membership(
        organisation_id=row.organisation_id,
        representative_id=row.representative_id,
        role=MembershipRole(row.role),
        access_groups=row.access_groups.split(),
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def current_memberships(uow: SqlUnit, representative_id: str, now: dt.datetime) -> list[Membership]:
    """The representative's memberships in force at *now*."""
    c = t.memberships.c
    rows = uow.execute(
        sa.select(t.memberships).where(
            c.representative_id == representative_id,
            c.started_at <= now,
            sa.or_(c.ended_at.is_(None), c.ended_at > now),
        ),
        "membership",
    ).all()
    return [_membership(r) for r in rows]


def end_membership(
    uow: SqlUnit, organisation_id: str, representative_id: str, now: dt.datetime
) -> int:
    """End every open membership of the pair at *now*; returns how many."""
    c = t.memberships.c
    result = uow.execute(
        t.memberships.update()
        .where(
            c.organisation_id == organisation_id,
            c.representative_id == representative_id,
            sa.or_(c.ended_at.is_(None), c.ended_at > now),
        )
        .values(ended_at=now),
        "membership",
    )
    return int(result.rowcount)


def add_invitation(
    uow: SqlUnit, code_hash: bytes, invitation: Invitation, created_at: dt.datetime
) -> None:
    """Store an invitation under the hash of its code."""
    uow.execute(
        t.organisation_invitations.insert().values(
            code_hash=code_hash,
            organisation_id=invitation.organisation_id,
            role=invitation.role.value,
            access_groups=" ".join(sorted(invitation.access_groups)),
            invited_by=invitation.invited_by,
            created_at=created_at,
            expires_at=invitation.expires_at,
        ),
        "invitation",
    )


def take_invitation(
    uow: SqlUnit, code_hash: bytes, account_id: str, now: dt.datetime
) -> Invitation | None:
    """
    Use up the invitation with *code_hash* if it is unused and unexpired, in
    one statement (of two concurrent uses, one wins); ``None`` otherwise.
    """
    c = t.organisation_invitations.c
    row = uow.execute(
        t.organisation_invitations.update()
        .where(c.code_hash == code_hash, c.used_at.is_(None), c.expires_at > now)
        .values(used_at=now, used_by=account_id)
        .returning(*t.organisation_invitations.c),
        "invitation",
    ).first()
    if row is None:
        return None
    return Invitation(
        code="-",
        organisation_id=row.organisation_id,
        role=MembershipRole(row.role),
        access_groups=row.access_groups.split(),
        invited_by=row.invited_by,
        expires_at=row.expires_at,
    )


# --- grants --------------------------------------------------------------------------


def _evidence_values(e: ConsentEvidence | None) -> dict[str, Any]:
    if e is None:
        return {
            "evidence_basis": None,
            "evidence_digest": None,
            "evidence_signature": None,
            "evidence_key_id": None,
            "evidence_signed_on": None,
        }
    return {
        "evidence_basis": e.basis.value,
        "evidence_digest": e.digest,
        "evidence_signature": e.signature,
        "evidence_key_id": e.key_id,
        "evidence_signed_on": None if e.signed_on is None else e.signed_on.isoformat(),
    }


def _grant_values(g: ConsentGrant) -> dict[str, Any]:
    return {
        "grantee_id": g.grantee_id,
        "grantee_is_organisation": int(g.grantee_is_organisation),
        "access_group": g.access_group,
        "scopes": " ".join(sorted(g.scopes)),
        "coverage": g.coverage.value,
        "target": g.target,
        "valid_from": g.valid_from,
        "valid_until": g.valid_until,
        "status": g.status.value,
        "requested_by_grantee": int(g.requested_by_grantee),
        "revoked_at": g.revoked_at,
        "version": g.version,
        **_evidence_values(g.evidence),
    }


def add_grant(
    uow: SqlUnit, g: ConsentGrant, *, paid: bool, appointed_by: str | None = None
) -> None:
    """Insert *g* (*appointed_by*: the guardian who made it for their dependant)."""
    uow.execute(
        t.consent_grants.insert().values(
            grant_id=g.grant_id,
            client_account_id=g.client_account_id,
            created_at=g.created_at,
            paid=int(paid),
            appointed_by=appointed_by,
            **_grant_values(g),
        ),
        "consent grant",
    )


def grant_from_row(row: Any) -> ConsentGrant:
    """Build a :class:`ConsentGrant` from a ``consent_grants`` row."""
    evidence = None
    if row.evidence_basis is not None:
        evidence = ConsentEvidence(
            basis=LegalBasis(row.evidence_basis),
            digest=bytes(row.evidence_digest),
            signature=None if row.evidence_signature is None else bytes(row.evidence_signature),
            key_id=row.evidence_key_id,
            signed_on=None
            if row.evidence_signed_on is None
            else dt.date.fromisoformat(row.evidence_signed_on),
        )
    return ConsentGrant(
        grant_id=row.grant_id,
        client_account_id=row.client_account_id,
        grantee_id=row.grantee_id,
        grantee_is_organisation=bool(row.grantee_is_organisation),
        access_group=row.access_group,
        scopes=frozenset(row.scopes.split()),
        coverage=GrantCoverage(row.coverage),
        target=row.target,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=GrantStatus(row.status),
        evidence=evidence,
        requested_by_grantee=bool(row.requested_by_grantee),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        version=row.version,
    )


def get_grant(uow: SqlUnit, grant_id: str) -> ConsentGrant:
    """
    Raises:
        NotFound: no such grant.
    """
    return get_grant_appointed(uow, grant_id)[0]


def get_grant_appointed(uow: SqlUnit, grant_id: str) -> tuple[ConsentGrant, str | None]:
    """
    The grant and the guardian who appointed it (``None``: the client themself).

    Raises:
        NotFound: no such grant.
    """
    row = uow.execute(
        sa.select(t.consent_grants).where(t.consent_grants.c.grant_id == grant_id),
        "consent grant",
    ).first()
    if row is None:
        raise NotFound(kind="consent grant")
    return grant_from_row(row), row.appointed_by


def grants_of_client(
    uow: SqlUnit, client_id: str, *, appointed_by: str | None = None
) -> list[ConsentGrant]:
    """
    Every grant of *client_id*, oldest first (SEC-61: always scoped to the
    client); with *appointed_by*, only those that guardian appointed.
    """
    c = t.consent_grants.c
    query = sa.select(t.consent_grants).where(c.client_account_id == client_id)
    if appointed_by is not None:
        query = query.where(c.appointed_by == appointed_by)
    rows = uow.execute(query.order_by(c.created_at, c.grant_id), "consent grant").all()
    return [grant_from_row(r) for r in rows]


def grants_to(uow: SqlUnit, grantee_ids: Iterable[str]) -> list[ConsentGrant]:
    """Every grant naming one of *grantee_ids*, oldest first."""
    c = t.consent_grants.c
    rows = uow.execute(
        sa.select(t.consent_grants)
        .where(c.grantee_id.in_(list(grantee_ids)))
        .order_by(c.created_at, c.grant_id),
        "consent grant",
    ).all()
    return [grant_from_row(r) for r in rows]


def active_paid_grants(uow: SqlUnit, client_id: str) -> list[ConsentGrant]:
    """The client's active grants to paid representatives and firms."""
    c = t.consent_grants.c
    rows = uow.execute(
        sa.select(t.consent_grants).where(
            c.client_account_id == client_id,
            c.paid == 1,
            c.status == GrantStatus.ACTIVE.value,
        ),
        "consent grant",
    ).all()
    return [grant_from_row(r) for r in rows]


def update_grant(
    uow: SqlUnit,
    old: ConsentGrant,
    new: ConsentGrant,
    now: dt.datetime,
    *,
    appointed_by: Any = None,
) -> None:
    """
    Replace *old* by *new* (``new.version == old.version + 1``), keeping *old*
    in the version history. Fails with a conflict if someone changed it meanwhile.

    *appointed_by* is who consented to the new version: the guardian, or
    ``None`` for the client; :data:`UNCHANGED` leaves it as it is.
    """
    c = t.consent_grants.c
    uow.execute(
        t.consent_grant_versions.insert().values(
            grant_id=old.grant_id,
            version=old.version,
            scopes=" ".join(sorted(old.scopes)),
            coverage=old.coverage.value,
            target=old.target,
            access_group=old.access_group,
            valid_from=old.valid_from,
            valid_until=old.valid_until,
            status=old.status.value,
            evidence_digest=None if old.evidence is None else old.evidence.digest,
            replaced_at=now,
        ),
        "consent grant",
    )
    values = _grant_values(new)
    if appointed_by is not UNCHANGED:
        values["appointed_by"] = appointed_by
    result = uow.execute(
        t.consent_grants.update()
        .where(c.grant_id == old.grant_id, c.version == old.version)
        .values(**values),
        "consent grant",
    )
    if result.rowcount != 1:
        raise Conflict(kind="consent grant")


#: In :func:`update_grant`, keep who appointed the grant.
UNCHANGED: Any = object()


def mark_first_use(uow: SqlUnit, grant_id: str, now: dt.datetime) -> ConsentGrant | None:
    """
    Record the first use of a grant, in one statement; the grant if this
    call was the first, else ``None``.
    """
    row = uow.execute(_MARK_FIRST_USE, "consent grant", gid=grant_id, used_at=now).first()
    return None if row is None else grant_from_row(row)


_MARK_FIRST_USE = (
    t.consent_grants.update()
    .where(
        t.consent_grants.c.grant_id == sa.bindparam("gid"),
        t.consent_grants.c.first_used_at.is_(None),
    )
    .values(first_used_at=sa.bindparam("used_at", type_=t.consent_grants.c.first_used_at.type))
    .returning(*t.consent_grants.c)
)


def item_service(uow: SqlUnit, item_id: str, client_id: str | None = None) -> str | None:
    """
    The service an item belongs to, if the item is known (and, with
    *client_id*, belongs to that client).
    """
    items = _schema.items.c
    query = sa.select(items.service_id).where(items.item_id == item_id)
    if client_id is not None:
        query = query.where(items.account_id == client_id)
    row = uow.execute(query, "item").first()
    return None if row is None else str(row.service_id)


def candidate_clients(uow: SqlUnit, representative_id: str, now: dt.datetime) -> list[str]:
    """
    The clients with an active grant naming *representative_id*, or naming an
    organisation at or above one of their memberships current at *now*,
    ordered by client id. The policy then decides which of
    them the representative reaches (windows, access groups, kind, licence).
    """
    g = t.consent_grants.c
    m = t.memberships.c
    oc = t.organisation_closure.c
    orgs = (
        sa.select(oc.ancestor_id)
        .select_from(
            t.memberships.join(t.organisation_closure, oc.descendant_id == m.organisation_id)
        )
        .where(
            m.representative_id == representative_id,
            sa.or_(m.ended_at.is_(None), m.ended_at > now),
        )
    )
    query = (
        sa.select(g.client_account_id)
        .where(
            g.status == GrantStatus.ACTIVE.value,
            sa.or_(
                sa.and_(g.grantee_is_organisation == 0, g.grantee_id == representative_id),
                sa.and_(g.grantee_is_organisation == 1, g.grantee_id.in_(orgs)),
            ),
        )
        .distinct()
        .order_by(g.client_account_id)
    )
    return [str(r[0]) for r in uow.execute(query, "consent grant")]


# --- signing keys ---------------------------------------------------------------------


def get_signing_key(uow: SqlUnit, account_id: str) -> Any:
    """The account's signing-key row, or ``None``."""
    return uow.execute(
        sa.select(t.account_signing_keys).where(t.account_signing_keys.c.account_id == account_id),
        "signing key",
    ).first()


def get_signing_key_by_id(uow: SqlUnit, key_id: str) -> Any:
    """The signing-key row with *key_id*, or ``None``."""
    return uow.execute(
        sa.select(t.account_signing_keys).where(t.account_signing_keys.c.key_id == key_id),
        "signing key",
    ).first()


def add_signing_key(
    uow: SqlUnit,
    account_id: str,
    key_id: str,
    public_key: bytes,
    private_ct: bytes,
    now: dt.datetime,
) -> None:
    """Insert an account's signing key."""
    uow.execute(
        t.account_signing_keys.insert().values(
            account_id=account_id,
            key_id=key_id,
            public_key=public_key,
            private_ct=private_ct,
            created_at=now,
        ),
        "signing key",
    )


# --- dependants -------------------------------------------------------------------------


def add_dependant(
    uow: SqlUnit,
    dependant_id: str,
    guardian_id: str,
    adult_at: dt.datetime,
    recorded_by: str,
    now: dt.datetime,
) -> None:
    """
    Record that *guardian_id* may appoint for *dependant_id* until *adult_at*.

    Raises:
        Conflict: already recorded.
        NotFound: either account is unknown (a foreign key).
    """
    uow.execute(
        t.delegation_dependants.insert().values(
            dependant_account_id=dependant_id,
            guardian_account_id=guardian_id,
            adult_at=adult_at,
            recorded_by=recorded_by,
            recorded_at=now,
        ),
        "dependant",
    )


def dependant_adult_at(uow: SqlUnit, dependant_id: str, guardian_id: str) -> dt.datetime | None:
    """
    When *dependant_id* turns 18, if *guardian_id* is recorded as their
    guardian; ``None`` if not.
    """
    c = t.delegation_dependants.c
    row = uow.execute(
        sa.select(c.adult_at).where(
            c.dependant_account_id == dependant_id, c.guardian_account_id == guardian_id
        ),
        "dependant",
    ).first()
    return None if row is None else row.adult_at
