"""
Replay stores for delegation tokens: each token id (``jti``) is accepted once.

A delegation token is minted for one request to one legacy system (after the
policy allowed that request), so its verifier accepts it once: the second
presentation is a replay, refused like any other bad token. Entries are kept
only until the token has expired (plus the verifier's leeway): after that
the token is refused for its ``exp`` anyway.

* :class:`MemoryReplayStore`: one process (the verifier's default).
* :class:`SqlReplayStore`: every process sharing one database (the
  ``delegation_token_jtis`` table): one ``INSERT ... ON CONFLICT DO NOTHING
  RETURNING`` per token, so of two processes racing with the same token exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from ircc_account._clock import Clock
from ircc_account._storage._schema_delegation import delegation_token_jtis as t_jti
from ircc_account._storage.ports import SqlStorage

__all__ = ["MemoryReplayStore", "SqlReplayStore"]

#: How many uses between two sweeps of expired entries.
PURGE_EVERY = 256


class MemoryReplayStore:
    """
    A :class:`~ircc_account.delegation.ReplayStore` in this process's memory
    (thread-safe); expired entries are swept every few hundred uses.

    Args:
        clock: The time source (entries past their expiry are dropped).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._seen: dict[tuple[str, str], dt.datetime] = {}
        self._lock = threading.Lock()
        self._uses = 0

    def __repr__(self) -> str:
        return f"MemoryReplayStore(entries={len(self._seen)})"

    def first_use(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        """See :meth:`ReplayStore.first_use`."""
        key = (issuer, jti)
        with self._lock:
            self._uses += 1
            if self._uses % PURGE_EVERY == 0:
                self._purge(self._clock.now())
            if key in self._seen:
                return False
            self._seen[key] = expires_at
            return True

    def purge(self) -> int:
        """Drop the entries whose tokens have expired; returns how many."""
        with self._lock:
            return self._purge(self._clock.now())

    def _purge(self, now: dt.datetime) -> int:
        old = [k for k, until in self._seen.items() if until <= now]
        for k in old:
            del self._seen[k]
        return len(old)


class SqlReplayStore:
    """
    A :class:`~ircc_account.delegation.ReplayStore` in the store's database,
    shared by every process using it; expired entries are swept every few
    hundred uses (or by :meth:`purge`, from a periodic job).

    Each use is one short transaction of its own with one statement (an
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the primary key).

    Args:
        store: The store (SQLite or PostgreSQL), migrated.
        clock: The time source.
    """

    def __init__(self, store: SqlStorage, *, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._uses = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqlReplayStore({self._store!r})"

    def first_use(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        """See :meth:`ReplayStore.first_use`."""
        with self._lock:
            self._uses += 1
            sweep = self._uses % PURGE_EVERY == 0
        if sweep:
            self.purge()
        with self._store.unit_of_work() as uow:
            insert: Any = (
                postgresql.insert if uow.connection.dialect.name == "postgresql" else sqlite.insert
            )
            stmt = (
                insert(t_jti)
                .values(issuer=issuer, jti=jti, expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=[t_jti.c.issuer, t_jti.c.jti])
                .returning(t_jti.c.jti)
            )
            fresh = uow.execute(stmt, "delegation token id").first() is not None
            uow.commit()
        return fresh

    def purge(self) -> int:
        """Delete the entries whose tokens have expired; returns how many."""
        with self._store.unit_of_work() as uow:
            done = uow.execute(
                t_jti.delete().where(t_jti.c.expires_at <= self._clock.now()),
                "delegation token id",
            ).rowcount
            uow.commit()
        return int(done)
