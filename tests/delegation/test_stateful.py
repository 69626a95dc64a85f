"""
A state machine over grants, revocations, membership changes, licence
expiry and clock moves: an actor reaches a client's item only under an active
grant that covers it (SEC-49, SEC-56), and no sequence of delegate actions
enlarges the delegate's own permissions (SEC-57).
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
import tempfile
from typing import Any

import attrs
import pytest
from deleg_support import NOW, RecordingSink, StubVerifier, client_actor, rep_actor, seed
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ircc_account._clock import FrozenClock
from ircc_account._crypto import Keyring
from ircc_account._model import Action, Capacity, Membership, Organisation, Resource
from ircc_account._model._authz import Actor
from ircc_account._storage import open_store
from ircc_account.delegation import Delegation, Policy
from ircc_account.errors import DelegationError, GrantTargetUnknown, NotPrincipal

pytestmark = pytest.mark.slow

KEYRING = Keyring.generate()
CLIENTS = ("client-1", "client-2")
REPS = ("rep-family", "rep-consultant", "rep-staff")
ITEMS = ("app-1", "app-2")  # client-1's (see deleg_support.ITEMS)
ACTIONS = (Action.VIEW_STATUS, Action.ENQUIRE, Action.ACT)
GRANTEES = ("rep-family", "rep-consultant", "office")
SYSTEM = Actor(actor_id="onboarding", capacity=Capacity.SYSTEM)
_TEMPLATE: list[pathlib.Path] = []


def _template() -> pathlib.Path:
    """A migrated, seeded SQLite file, made once and copied for each example."""
    if not _TEMPLATE:
        path = pathlib.Path(tempfile.mkdtemp(prefix="deleg-sm-")) / "template.sqlite"
        store = open_store(f"sqlite:///{path}", keyring=KEYRING)
        clock = FrozenClock(NOW)
        verifier = StubVerifier(clock)
        verifier.answers["R500001"] = (True, dt.date(2026, 12, 31))
        verifier.answers["R500002"] = (True, dt.date(2026, 12, 31))
        delegation = Delegation(clock=clock, licence_verifier=verifier)
        seed(store, delegation)
        with store.unit_of_work() as uow:
            delegation.add_organisation(
                uow,
                Organisation(
                    organisation_id="office", kind="mp_office", name="Office", created_at=NOW
                ),
            )
            uow.commit()
        store.close()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


@attrs.define
class ModelGrant:
    grant_id: str
    client: str
    grantee: str
    scopes: frozenset[str]
    item: str | None
    until: dt.datetime | None
    active: bool = True


class DelegationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="deleg-run-"))
        shutil.copy(_template(), self.dir / "db.sqlite")
        self.store = open_store(
            f"sqlite:///{self.dir / 'db.sqlite'}", keyring=KEYRING, migrate=False
        )
        self.clock = FrozenClock(NOW)
        self.verifier = StubVerifier(self.clock)
        self.verifier.answers["R500001"] = (True, dt.date(2026, 12, 31))
        self.delegation = Delegation(clock=self.clock, licence_verifier=self.verifier)
        self.policy = Policy(clock=self.clock, audit=RecordingSink())
        self.grants: list[ModelGrant] = []
        self.member_since: dt.datetime | None = None
        self.licence_ok = True

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- the oracle -----------------------------------------------------------------------

    def expected(self, rep: str, client: str, action: Action, item: str) -> bool:
        now = self.clock.now()
        for g in self.grants:
            if not g.active or g.client != client or action.value not in g.scopes:
                continue
            if g.until is not None and now >= g.until:
                continue
            if g.item is not None and g.item != item:
                continue
            if g.grantee == "office":
                if rep == "rep-staff" and self.member_since is not None:
                    return True
                continue
            if g.grantee != rep:
                continue
            if rep == "rep-consultant" and not (
                self.licence_ok and now.date() <= dt.date(2026, 12, 31)
            ):
                continue
            return True
        return False

    def permissions(self, rep: str, uow: Any = None) -> set[tuple[str, str, str]]:
        if uow is None:
            # Reads only: rolled back, so no fsync per check.
            with self.store.unit_of_work(write=False) as uow:
                return self.permissions(rep, uow)
        got = set()
        for client in CLIENTS:
            for item in ITEMS:
                for action in ACTIONS:
                    resource = Resource(client_id=client, service_id="trv", item_id=item)
                    if self.policy.authorize(rep_actor(rep), action, resource, uow=uow).allowed:
                        got.add((client, item, action.value))
        return got

    @invariant()
    def only_active_covering_grants_reach(self) -> None:
        with self.store.unit_of_work(write=False) as uow:
            for rep in REPS:
                expected = {
                    (c, i, a.value)
                    for c in CLIENTS
                    for i in ITEMS
                    for a in ACTIONS
                    if self.expected(rep, c, a, i)
                }
                assert self.permissions(rep, uow) == expected, rep

    # --- client actions -----------------------------------------------------------------

    @rule(
        client=st.sampled_from(CLIENTS),
        grantee=st.sampled_from(GRANTEES),
        scopes=st.sets(st.sampled_from(["view_status", "enquire", "act"]), min_size=1),
        item=st.sampled_from([None, *ITEMS]),
        hours=st.sampled_from([None, 1, 30]),
    )
    def grant(
        self, client: str, grantee: str, scopes: set[str], item: str | None, hours: int | None
    ) -> None:
        now = self.clock.now()
        until = None if hours is None else now + dt.timedelta(hours=hours)
        office = grantee == "office"
        try:
            with self.store.unit_of_work() as uow:
                g = self.delegation.grant(
                    uow,
                    client_actor(client, at=now),
                    grantee_id=grantee,
                    scopes=scopes,
                    coverage="account" if item is None else "item",
                    target=item,
                    grantee_is_organisation=office,
                    access_group="east" if office else None,
                    valid_until=until,
                )
                uow.commit()
        except DelegationError as refused:
            licensed = self.licence_ok and now.date() <= dt.date(2026, 12, 31)
            if isinstance(refused, GrantTargetUnknown):
                # The items are client-1's: another client cannot name them.
                assert item is not None and client != "client-1"
                return
            assert (office and "act" in scopes) or (grantee == "rep-consultant" and not licensed)
            return
        # The items are client-1's: another client's grant naming one is refused.
        assert item is None or client == "client-1"
        self.grants.append(ModelGrant(g.grant_id, client, grantee, frozenset(scopes), item, until))

    @precondition(lambda self: any(g.active for g in self.grants))
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        g = data.draw(st.sampled_from([g for g in self.grants if g.active]))
        with self.store.unit_of_work() as uow:
            self.delegation.revoke(uow, client_actor(g.client, at=self.clock.now()), g.grant_id)
            uow.commit()
        g.active = False

    @rule()
    def join_or_leave_office(self) -> None:
        # A membership is keyed by its start: rejoining takes a new instant.
        self.clock.advance(dt.timedelta(seconds=1))
        with self.store.unit_of_work() as uow:
            if self.member_since is None:
                self.delegation.add_member(
                    uow,
                    SYSTEM,
                    Membership(
                        organisation_id="office",
                        representative_id="rep-staff",
                        role="staff",
                        access_groups=["east"],
                        started_at=self.clock.now(),
                    ),
                )
                self.member_since = self.clock.now()
            else:
                self.delegation.end_membership(uow, SYSTEM, "office", "rep-staff")
                self.member_since = None
            uow.commit()

    @rule(valid=st.booleans())
    def licence_body_answers(self, valid: bool) -> None:
        self.verifier.answers["R500001"] = (valid, dt.date(2026, 12, 31))
        with self.store.unit_of_work() as uow:
            self.delegation.refresh_licence(uow, "rep-consultant")
            uow.commit()
        self.licence_ok = valid and self.clock.now().date() <= dt.date(2026, 12, 31)

    @rule(seconds=st.sampled_from([1, 3599, 3600, 86_400, 200 * 86_400]))
    def clock_moves(self, seconds: int) -> None:
        self.clock.advance(dt.timedelta(seconds=seconds))

    # --- delegate actions (SEC-57) --------------------------------------------------------

    @rule(rep=st.sampled_from(REPS), data=st.data())
    def delegate_tries_to_escalate(self, rep: str, data: st.DataObject) -> None:
        before = self.permissions(rep)
        actor = rep_actor(rep, auth_time=self.clock.now())
        with self.store.unit_of_work() as uow:
            with pytest.raises(NotPrincipal):
                self.delegation.grant(
                    uow, actor, grantee_id=rep, scopes=["act"], coverage="account"
                )
            if self.grants:
                g = data.draw(st.sampled_from(self.grants))
                with pytest.raises(NotPrincipal):
                    self.delegation.change(
                        uow, actor, g.grant_id, scopes=["act", "enquire"], valid_until=None
                    )
                with pytest.raises(NotPrincipal):
                    self.delegation.accept(uow, actor, g.grant_id)
        assert self.permissions(rep) <= before


TestDelegationMachine = DelegationMachine.TestCase
TestDelegationMachine.settings = settings(
    max_examples=60,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
