"""
Login and logout transactions: what a redirect to a provider must come back to.

A transaction is stored under the SHA-256 of its ``state``, bound to the
browser session that started it, and used up by the first callback that
names it, whatever happens (SEC-03, SEC-20).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ircc_account._model import AuditEntry
from ircc_account._storage._schema_identity import identity_transactions as t_tx
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import InvalidCallback
from ircc_account.hazmat.jose import fail

from ._config import ProviderConfig
from ._context import IdentityContext
from ._secrets import equal, id_hash

__all__ = ["Transactions"]

# Built once (as in the shared store): building a WHERE clause costs more than running it.
_TAKE = t_tx.delete().where(t_tx.c.state_hash == sa.bindparam("state_hash")).returning(*t_tx.c)
_PEEK = sa.select(t_tx).where(t_tx.c.state_hash == sa.bindparam("state_hash"))
_DROP = t_tx.delete().where(t_tx.c.state_hash == sa.bindparam("state_hash"))
_CLAIM = _DROP.returning(t_tx.c.state_hash)
_PURGE = t_tx.delete().where(t_tx.c.expires_at < sa.bindparam("now"))


class Transactions:
    """
    The ``identity_transactions`` table, for the login and logout components.

    Args:
        context: The shared context.
    """

    def __init__(self, context: IdentityContext) -> None:
        self._ctx = context

    def begin(
        self,
        uow: SqlUnit,
        *,
        state: str,
        session_hash: bytes,
        kind: str,
        provider: ProviderConfig,
        now: dt.datetime,
        **values: Any,
    ) -> None:
        """
        Store a transaction for *state*, bound to the session *session_hash*,
        that expires after the policy's ``transaction_lifetime``.
        """
        uow.execute(
            t_tx.insert().values(
                state_hash=id_hash(state),
                session_hash=session_hash,
                kind=kind,
                provider=provider.name,
                # SEC-05: the issuer this request went to, for the iss check.
                issuer=provider.issuer,
                created_at=now,
                expires_at=now + self._ctx.policy.transaction_lifetime,
                **values,
            ),
            f"{kind} transaction",
        )

    def take(self, cookie: str | None, state: str, kind: str) -> dict[str, Any]:
        """
        Delete the transaction for *state* in a unit of its own and return it,
        if this browser session started it and it is of *kind* and unexpired.

        Raises:
            InvalidCallback: unknown, used, expired, of another kind or session.
        """
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work() as uow:
            # One atomic statement finds and deletes the transaction: of two
            # concurrent callbacks with the same state, only one gets it (SEC-03).
            tx = uow.execute(_TAKE, "login transaction", state_hash=id_hash(state)).first()
            if tx is None:
                raise fail(InvalidCallback, "state.unknown")
            uow.commit()
        row = dict(tx._mapping)
        # SEC-03, SEC-20: the flow must have been started by this browser session.
        bound = cookie is not None and equal(id_hash(cookie), row["session_hash"])
        if not bound or row["kind"] != kind or now >= row["expires_at"]:
            raise fail(InvalidCallback, "state.binding")
        return row

    def peek(self, cookie: str | None, state_hash: bytes, kind: str) -> dict[str, Any]:
        """
        Read (not yet delete) a transaction for a callback; the caller must end it
        with :meth:`claim` in its final unit of work, or :meth:`drop` on any
        failure after this returns (SEC-03).

        A transaction that fails the binding checks is dropped here.

        Raises:
            InvalidCallback: unknown, expired, of another kind or session.
        """
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work(write=False) as uow:
            tx = uow.execute(_PEEK, "login transaction", state_hash=state_hash).first()
        if tx is None:
            raise fail(InvalidCallback, "state.unknown")
        row = dict(tx._mapping)
        # SEC-03, SEC-20: the flow must have been started by this browser session.
        bound = cookie is not None and equal(id_hash(cookie), row["session_hash"])
        if not bound or row["kind"] != kind or now >= row["expires_at"]:
            self.drop(state_hash)
            raise fail(InvalidCallback, "state.binding")
        return row

    @staticmethod
    def claim(uow: SqlUnit, state_hash: bytes) -> None:
        """
        Delete a peeked transaction in the unit that completes it. One atomic
        statement: of two concurrent callbacks with the same state, only one
        finds the row; the other fails (SEC-03).

        Raises:
            InvalidCallback: another callback used it meanwhile.
        """
        if uow.execute(_CLAIM, "login transaction", state_hash=state_hash).first() is None:
            raise fail(InvalidCallback, "state.unknown")

    def drop(self, state_hash: bytes, entry: AuditEntry | None = None) -> None:
        """
        Delete a transaction in a unit of its own, committed (the failure path,
        SEC-03), with the refusal's audit *entry* in the same commit.
        """
        with self._ctx.store.unit_of_work() as uow:
            uow.execute(_DROP, "login transaction", state_hash=state_hash)
            if entry is not None:
                self._ctx.record(uow, entry, keep=True)
            uow.commit()

    @staticmethod
    def purge(uow: SqlUnit, now: dt.datetime) -> None:
        """
        Delete every transaction that expired before *now*.
        """
        uow.execute(_PURGE, "login transaction", now=now)
