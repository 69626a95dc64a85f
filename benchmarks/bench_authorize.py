"""
authorize(): one decision over 1M grants, beside a raw indexed SELECT of one grant

Grants are bulk-inserted (executemany, big batches) for 100k clients and 1,000
representatives. Rows measured, on SQLite and on PostgreSQL:

* raw SELECT: one grant by (client, grantee), through SQLAlchemy on the same
  connection: the floor the targets are stated against;
* raw SELECT, driver cursor: the same SELECT on the same connection's DB-API
  cursor (prepared at once on PostgreSQL), as the policy runs its statement:
  the floor without SQLAlchemy's execution layer;
* authorize, cold: the pair not cached (a policy caching one pair, random
  pairs); its grant was used before, as almost every grant is: one statement;
* authorize, first use: as cold, but the grant was never used, so the
  decision also records ``first_used_at`` (once in a grant's life): two statements;
* authorize, new request: the pair cached, first decision for it in this unit
  of work: the one statement re-reads its version counters (SEC-56);
* authorize, same request: the pair already checked in this unit of work (cache hit);
* introspect a delegation token, cold and new request: the RFC 7662-style
  revocation check a legacy system calls (one Ed25519 verification, then the
  policy's decision statement for the token's own grant; nothing recorded).

Every authorize row includes building the decision's AuditEntry (the policy
always builds it); the sink itself is a no-op here (its write is the audit
benchmark's business). Building an AuditEntry through its constructor is shown
apart for comparison.

``BENCH_GRANTS=100000 python benchmarks/run.py authorize`` for a quick run.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from _harness import Report, measure
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ircc_account._clock import FrozenClock
from ircc_account._crypto import Keyring
from ircc_account._model import Action, AssuranceLevel, Capacity, Resource
from ircc_account._model._audit import AuditEntry, Decision
from ircc_account._model._authz import Actor, AuthorizationDecision
from ircc_account._storage import _schema as t
from ircc_account._storage import _schema_delegation as d
from ircc_account._storage import open_store
from ircc_account.delegation import DelegationTokenIssuer, Policy
from ircc_account.delegation._policy import _audit_entry
from ircc_account.delegation._repo import micros
from ircc_account.testing._postgres import PostgresServer

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
GRANTS = int(os.environ.get("BENCH_GRANTS", "1000000"))
PER_CLIENT = 10
REPS = 1000
BATCH = 50_000


class NullSink:
    def append(
        self, uow: object, entry: object, *, on_behalf_of: str | None = None, keep: bool = False
    ) -> object:
        return None

    def append_now(self, entry: object, *, on_behalf_of: str | None = None) -> object:
        return None


def _populate(store: Any) -> float:
    start = time.perf_counter()
    clients = GRANTS // PER_CLIENT
    now = micros(NOW)
    with store.engine.begin() as c:
        accounts = [f"c{n}" for n in range(clients)] + [f"ra{n}" for n in range(REPS)]
        for i in range(0, len(accounts), BATCH):
            c.execute(
                sa.insert(t.accounts.c.account_id.table),
                [
                    {
                        "account_id": a,
                        "email_index": a.encode().ljust(32, b"\0")[:32],
                        "preferred_language": "en",
                        "status": "active",
                        "created_at": NOW,
                        "personal_ct": b"x",
                        "contact_ct": b"x",
                        "version": 1,
                    }
                    for a in accounts[i : i + BATCH]
                ],
            )
        c.execute(
            sa.insert(d.representatives),
            [
                {
                    "representative_id": f"r{n}",
                    "kind": "family",
                    "display_name": f"r{n}",
                    "account_id": f"ra{n}",
                    "licence_valid": 0,
                    "created_at": NOW,
                }
                for n in range(REPS)
            ],
        )
        rows: list[dict[str, Any]] = []
        for n in range(GRANTS):
            client, k = divmod(n, PER_CLIENT)
            rows.append(
                {
                    "grant_id": f"g{n}",
                    "client_account_id": f"c{client}",
                    "grantee_id": f"r{(client * 7 + k * 101) % REPS}",
                    "grantee_is_organisation": 0,
                    "scopes": "enquire view_status",
                    "coverage": "account",
                    "valid_from": NOW,
                    "status": "active",
                    # All but one grant per client used before (see _pairs).
                    "first_used_at": None if k == PER_CLIENT - 1 else NOW,
                    "requested_by_grantee": 0,
                    "paid": 0,
                    "evidence_basis": "written",
                    "evidence_digest": b"\0" * 32,
                    "evidence_signed_on": "2026-02-01",
                    "created_at": NOW,
                    "version": 1,
                }
            )
            if len(rows) == BATCH:
                c.execute(sa.insert(d.consent_grants), rows)
                rows = []
        if rows:
            c.execute(sa.insert(d.consent_grants), rows)
    del now
    return time.perf_counter() - start


def _pairs(seed: int, *, used: bool = True) -> Iterator[tuple[str, str]]:
    """Random (client, representative) pairs whose grant was (or was never) used."""
    rng = random.Random(seed)
    clients = GRANTS // PER_CLIENT
    while True:
        client = rng.randrange(clients)
        k = rng.randrange(PER_CLIENT - 1) if used else PER_CLIENT - 1
        yield f"c{client}", f"r{(client * 7 + k * 101) % REPS}"


def _actor(rep: str) -> Actor:
    return Actor(
        actor_id=rep,
        capacity=Capacity.REPRESENTATIVE,
        account_id="ra" + rep[1:],
        representative_id=rep,
        assurance=AssuranceLevel.MODERATE,
    )


def _bench(report: Report, url: str, label: str) -> None:
    store = open_store(url, keyring=Keyring.generate())
    try:
        took = _populate(store)
        clock = FrozenClock(NOW)
        pairs = _pairs(5)
        raw = sa.text(
            "SELECT * FROM consent_grants WHERE client_account_id = :c AND grantee_id = :g"
        )
        with store.unit_of_work(write=False) as uow:

            def select_one() -> None:
                c, g = next(pairs)
                assert uow.execute(raw, "x", c=c, g=g).first() is not None

            floor = report.add(
                measure(
                    f"{label}: raw indexed SELECT of one grant",
                    select_one,
                    n=5000,
                    note=f"{GRANTS:,} grants, loaded in {took:.0f} s",
                )
            )

            dialect = uow.connection.dialect.name
            raw_sql = str(raw).replace(":c", "%(c)s").replace(":g", "%(g)s")
            if dialect == "sqlite":
                raw_sql = str(raw)

            def select_one_driver() -> None:
                c, g = next(pairs)
                cursor: Any = uow.connection.connection.cursor()
                try:
                    if dialect == "postgresql":
                        cursor.execute(raw_sql, {"c": c, "g": g}, prepare=True)
                    else:
                        cursor.execute(raw_sql, {"c": c, "g": g})
                    assert cursor.fetchone() is not None
                finally:
                    cursor.close()

            driver = report.add(
                measure(f"{label}: raw SELECT, driver cursor", select_one_driver, n=5000)
            )

            def vs(m: Any) -> str:
                return (
                    f"p99 {m.p99_us / floor.p99_us:.2f}x the raw SELECT,"
                    f" {m.p99_us / driver.p99_us:.2f}x the driver-cursor one"
                )

            cold = Policy(clock=clock, audit=NullSink(), cache_size=1)

            def authorize_cold() -> None:
                c, g = next(pairs)
                res = Resource(client_id=c, service_id="trv")
                assert cold.authorize(_actor(g), Action.VIEW_STATUS, res, uow=uow).allowed
                cold.forget(uow)

            m = report.add(
                measure(f"{label}: authorize, cold (pair not cached)", authorize_cold, n=5000)
            )
            m.note = vs(m)

            unused = _pairs(6, used=False)

            def authorize_first_use() -> None:
                c, g = next(unused)
                res = Resource(client_id=c, service_id="trv")
                assert cold.authorize(_actor(g), Action.VIEW_STATUS, res, uow=uow).allowed
                cold.forget(uow)

            m = report.add(
                measure(
                    f"{label}: authorize, first use of a grant (cold + UPDATE)",
                    authorize_first_use,
                    n=2000,
                )
            )
            m.note = "once per grant; " + vs(m)

            warm = Policy(clock=clock, audit=NullSink())
            hot_pairs = [next(pairs) for _ in range(1000)]
            for c, g in hot_pairs:
                warm.authorize(_actor(g), Action.VIEW_STATUS, Resource(client_id=c), uow=uow)
            actors = {g: _actor(g) for _, g in hot_pairs}
            resources = {c: Resource(client_id=c, service_id="trv") for c, _ in hot_pairs}
            cycle = iter(hot_pairs * 1000)

            def authorize_new_request() -> None:
                c, g = next(cycle)
                warm.forget(uow)
                assert warm.authorize(actors[g], Action.VIEW_STATUS, resources[c], uow=uow).allowed

            m = report.add(
                measure(
                    f"{label}: authorize, new request (counters re-read)",
                    authorize_new_request,
                    n=5000,
                )
            )
            m.note = vs(m)

            def authorize_same_request() -> None:
                c, g = next(cycle)
                assert warm.authorize(actors[g], Action.VIEW_STATUS, resources[c], uow=uow).allowed

            report.add(
                measure(
                    f"{label}: authorize, same request (cache hit)",
                    authorize_same_request,
                    n=50_000,
                    warmup=2000,
                    note="target >= 200k/s",
                )
            )
            _introspection(report, label, uow, clock, hot_pairs, pairs, vs)
    finally:
        store.close()


def _introspection(
    report: Report,
    label: str,
    uow: Any,
    clock: FrozenClock,
    hot_pairs: list[tuple[str, str]],
    pairs: Iterator[tuple[str, str]],
    vs: Any,
) -> None:
    """The revocation check a legacy system calls, cold and for a cached pair."""
    key = Ed25519PrivateKey.generate()

    def tokens(policy: Policy, chosen: list[tuple[str, str]]) -> list[str]:
        issuer = DelegationTokenIssuer(issuer=ISS, keys=[key], policy=policy, clock=clock)
        return [
            issuer.issue(
                _actor(g),
                Action.VIEW_STATUS,
                Resource(client_id=c, service_id="trv"),
                audience="legacy",
                uow=uow,
            )
            for c, g in chosen
        ]

    cold = Policy(clock=clock, audit=NullSink(), cache_size=1)
    cold_issuer = DelegationTokenIssuer(issuer=ISS, keys=[key], policy=cold, clock=clock)
    cold_tokens = iter(tokens(cold, [next(pairs) for _ in range(5100)]))

    def introspect_cold() -> None:
        answer = cold_issuer.introspect(next(cold_tokens), audience="legacy", uow=uow)
        assert answer["active"]
        cold.forget(uow)

    m = report.add(
        measure(f"{label}: introspect a token, cold (pair not cached)", introspect_cold, n=5000)
    )
    m.note = vs(m)
    warm = Policy(clock=clock, audit=NullSink())
    warm_issuer = DelegationTokenIssuer(issuer=ISS, keys=[key], policy=warm, clock=clock)
    warm_tokens = tokens(warm, hot_pairs)
    cycle = iter(warm_tokens * 10)

    def introspect_new_request() -> None:
        warm.forget(uow)
        assert warm_issuer.introspect(next(cycle), audience="legacy", uow=uow)["active"]

    m = report.add(
        measure(
            f"{label}: introspect a token, new request (counters re-read)",
            introspect_new_request,
            n=5000,
        )
    )
    m.note = vs(m) + "; includes one Ed25519 verification"


ISS = "https://account.example.ca"


def _audit_entry_cost(report: Report) -> None:
    def build() -> None:
        AuditEntry(
            occurred_at=NOW,
            actor_id="r1",
            client_id="c1",
            capacity=Capacity.REPRESENTATIVE,
            action="authz.view_status",
            service_id="trv",
            decision=Decision.ALLOWED,
            reason="grant",
            grant_id="g1",
        )

    report.add(
        measure(
            "AuditEntry(...) through its constructor (for comparison)",
            build,
            n=20_000,
            note="the policy builds its entries through _audit_entry instead",
        )
    )
    actor = _actor("r1")
    res = Resource(client_id="c1", service_id="trv")
    allowed = AuthorizationDecision(allowed=True, reason="grant", grant_id="g1")

    def build_fast() -> None:
        _audit_entry(NOW, actor, Action.VIEW_STATUS, res, allowed, None)

    report.add(
        measure(
            "the policy's _audit_entry (caller's fields validated)",
            build_fast,
            n=20_000,
            note="included in every authorize row above",
        )
    )


@contextmanager
def _postgres() -> Iterator[str | None]:
    if PostgresServer.find_binaries() is None:
        yield None
        return
    with PostgresServer() as server:
        yield server.url()


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _bench(report, f"sqlite:///{tmp}/bench.sqlite", "SQLite")
    with _postgres() as url:
        if url is None:
            print("!! PostgreSQL not installed: the PostgreSQL rows are SKIPPED", file=sys.stderr)
        else:
            _bench(report, url, "PostgreSQL")
    _audit_entry_cost(report)
