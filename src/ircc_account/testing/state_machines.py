"""
Rule-based state machines (hypothesis) for delegation, sessions and the
audit log, driven through a front door: point them at your own store,
policy and plugins by giving them the function that opens your door.

Each machine is a :class:`hypothesis.stateful.RuleBasedStateMachine`
subclass; :meth:`~DelegationMachine.against` binds it to a door factory
(a callable taking keyword options, such as ``clock``, and returning an
open :class:`~ircc_account.FrontDoor` on an empty scratch database), and
``.TestCase`` runs it under pytest or unittest::

    from ircc_account.testing.state_machines import DelegationMachine

    TestDelegation = DelegationMachine.against(open_my_door).TestCase

The machines build their people through the door (see
:class:`~ircc_account.testing.People`); every item they add goes to a
service the door offers, so the door's own plugins answer every page.
Requires the ``testing`` extra (hypothesis); the session machine needs a
door with logins at the development provider.

.. versionadded:: 0.1
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ircc_account._clock import FrozenClock
from ircc_account._door import FrontDoor
from ircc_account._model import Actor, AssuranceLevel
from ircc_account.errors import IrccAccountError, SessionExpired

__all__ = ["AuditLogMachine", "DelegationMachine", "DoorFactory", "SessionMachine"]

#: Opens a front door on an empty scratch database; takes FrontDoorConfig fields.
DoorFactory = Callable[..., FrontDoor]

_SCOPES = ("view_status", "enquire", "act")


class _DoorMachine(RuleBasedStateMachine):
    """A machine driving one door, opened fresh for each run."""

    open_door: ClassVar[DoorFactory]
    #: Keyword options the machine passes to the factory.
    door_options: ClassVar[dict[str, Any]] = {}

    @classmethod
    def against(cls, open_door: DoorFactory) -> type[RuleBasedStateMachine]:
        """
        This machine bound to *open_door*; run it with its ``TestCase``.

        Args:
            open_door: Opens a front door on an empty scratch database with
                your plugins (keyword options are FrontDoorConfig fields the
                machine sets, such as ``clock``); the machine closes it.
        """
        return type(cls.__name__, (cls,), {"open_door": staticmethod(open_door)})

    def __init__(self) -> None:
        super().__init__()
        from ircc_account.testing._people import People

        self.clock = FrozenClock(dt.datetime.now(dt.UTC))
        self.door = type(self).open_door(clock=self.clock, **self._options())
        self.people = People(self.door, clock=self.clock)

    def _options(self) -> dict[str, Any]:
        """The keyword options this machine gives the door factory."""
        return dict(self.door_options)

    def teardown(self) -> None:
        self.door.close()


@attrs.define
class _Grant:
    grant_id: str
    client: int
    grantee: str
    scopes: frozenset[str]
    active: bool = True


class DelegationMachine(_DoorMachine):
    """
    Clients give, and revoke, grants to a consultant, a family member and
    an MP's office; representatives try to read and to widen their own
    rights. After every step a representative reaches a client's file
    exactly when a grant in force gives them ``view_status`` (SEC-49,
    SEC-56, SEC-60), a delegate's attempt to grant, change or accept a grant
    is refused and changes nothing (SEC-57), and every access, allowed or
    refused, lands in the client's history (SEC-66, SEC-67).
    """

    def __init__(self) -> None:
        super().__init__()
        level = AssuranceLevel.HIGH
        self.clients = [self.people.client(assurance=level) for _ in range(2)]
        self.office = f"office-{id(self) % 10**8}"
        self.reps: dict[str, Actor] = {
            "consultant": self.people.representative(kind="consultant", assurance=level),
            "family": self.people.representative(kind="family", assurance=level),
            "staff": self.people.office_staff(assurance=level, organisation_id=self.office),
        }
        self.grants: list[_Grant] = []
        for client in self.clients:
            for service_id in self.door.services.service_ids:
                self.people.item(client, service_id=service_id)

    def _grantee(self, rep: str) -> str:
        actor = self.reps[rep]
        return self.office if rep == "staff" else str(actor.representative_id)

    def _expected(self, rep: str, client: int) -> bool:
        grantee = self._grantee(rep)
        return any(
            g.active and g.client == client and g.grantee == grantee and "view_status" in g.scopes
            for g in self.grants
        )

    def _reaches(self, rep: str, client: int) -> bool:
        try:
            self.door.dashboard(self.reps[rep], self.clients[client].actor_id)
        except IrccAccountError:
            return False
        return True

    def _others_in_history(self, client: int) -> int:
        actor = self.clients[client]
        fresh = attrs.evolve(actor, auth_time=self.clock.now())
        return sum(1 for line in _whole_history(self.door, fresh) if line.who != "You")

    @rule(
        client=st.integers(0, 1),
        rep=st.sampled_from(("consultant", "family", "staff")),
        scopes=st.sets(st.sampled_from(_SCOPES), min_size=1),
    )
    def client_gives_a_grant(self, client: int, rep: str, scopes: set[str]) -> None:
        actor = attrs.evolve(self.clients[client], auth_time=self.clock.now())
        office = rep == "staff"
        try:
            grant = self.door.grants.give(
                actor,
                grantee_id=self._grantee(rep),
                grantee_is_organisation=office,
                access_group="east" if office else None,
                scopes=sorted(scopes),
                coverage="account",
            )
        except IrccAccountError:
            return  # refused (an office may not act, one paid representative): nothing given
        self.grants.append(_Grant(grant.grant_id, client, self._grantee(rep), frozenset(scopes)))

    @precondition(lambda self: any(g.active for g in self.grants))
    @rule(data=st.data())
    def client_revokes_a_grant(self, data: st.DataObject) -> None:
        grant = data.draw(st.sampled_from([g for g in self.grants if g.active]))
        actor = attrs.evolve(self.clients[grant.client], auth_time=self.clock.now())
        self.door.grants.revoke(actor, grant.grant_id)
        grant.active = False

    @rule(client=st.integers(0, 1), rep=st.sampled_from(("consultant", "family", "staff")))
    def representative_reads(self, client: int, rep: str) -> None:
        before = self._others_in_history(client)
        assert self._reaches(rep, client) == self._expected(rep, client), (rep, client)
        assert self._others_in_history(client) > before, "the access is not in the history"

    @rule(rep=st.sampled_from(("consultant", "family", "staff")), data=st.data())
    def representative_tries_to_widen_their_rights(self, rep: str, data: st.DataObject) -> None:
        actor = attrs.evolve(self.reps[rep], auth_time=self.clock.now())
        before = [self._reaches(rep, c) for c in range(len(self.clients))]
        client = self.clients[data.draw(st.integers(0, 1))]
        attempts: list[Callable[[], object]] = [
            lambda: self.door.grants.give(
                actor, grantee_id=self._grantee(rep), scopes=list(_SCOPES), coverage="account"
            ),
            lambda: self.door.grants.request(
                actor, client_id=client.actor_id, scopes=["act"], coverage="account"
            ),
        ]
        if self.grants:
            grant = data.draw(st.sampled_from(self.grants))
            attempts += [
                lambda: self.door.grants.change(actor, grant.grant_id, scopes=list(_SCOPES)),
                lambda: self.door.grants.accept(actor, grant.grant_id),
            ]
        for attempt in attempts:
            try:
                result = attempt()
            except IrccAccountError:
                continue
            # Asking is allowed: a request gives nothing until the client accepts it.
            assert getattr(result, "status", None) == "pending", result
        assert [self._reaches(rep, c) for c in range(len(self.clients))] == before

    def teardown(self) -> None:
        try:
            for rep in self.reps:
                for client in range(len(self.clients)):
                    assert self._reaches(rep, client) == self._expected(rep, client)
        finally:
            super().teardown()


class SessionMachine(_DoorMachine):
    """
    People log in at the development provider, rotate their session, end
    one of their sessions from another, log out, and let time pass. After
    every step each cookie ever issued works exactly when the model says:
    a new id on every login and rotation with the old one dead (SEC-33,
    SEC-34), logout and ending a session kill it for good (SEC-37, SEC-39),
    and idle and absolute timeouts are enforced on the server (SEC-36).

    The door factory must configure the development provider (``logins``),
    as :meth:`~ircc_account.testing.LocalProvider.door_config` does; bind
    the provider with :meth:`against_provider`.
    """

    provider: ClassVar[Any]
    users: ClassVar[tuple[str, ...]] = ("marie", "ahmed")

    @classmethod
    def against_provider(cls, open_door: DoorFactory, provider: Any) -> type[RuleBasedStateMachine]:
        """
        This machine bound to *open_door* and the running development
        *provider* (a :class:`~ircc_account.testing.LocalProvider`).
        """
        return type(
            cls.__name__, (cls,), {"open_door": staticmethod(open_door), "provider": provider}
        )

    def __init__(self) -> None:
        super().__init__()
        self.live: dict[str, str] = {}  # cookie -> username
        self.dead: set[str] = set()
        self.registered: set[str] = set()
        self.idle = self.door.identity.policy.idle_timeout
        self.absolute = self.door.identity.policy.absolute_timeout
        self.issued_at: dict[str, dt.datetime] = {}
        self.moved = False

    def _kill(self, cookie: str) -> None:
        self.live.pop(cookie, None)
        self.dead.add(cookie)

    @precondition(lambda self: not self.moved)
    @rule(user=st.sampled_from(users))
    def log_in(self, user: str) -> None:
        if user not in self.registered:
            cookie = self.provider.sign_up(self.door, user)
            self.registered.add(user)
        else:
            cookie = self.provider.log_in(self.door, user).issued.cookie_value
        assert cookie not in self.live, "a live session id came back"
        assert cookie not in self.dead, "a dead session id came back"
        self.live[cookie] = user
        self.issued_at[cookie] = self.clock.now()

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def rotate(self, data: st.DataObject) -> None:
        from ircc_account.identity import RotationReason

        cookie = data.draw(st.sampled_from(sorted(self.live)))
        issued = self.door.identity.rotate(cookie, RotationReason.PRIVILEGE_CHANGE)
        user = self.live[cookie]
        self._kill(cookie)
        self.live[issued.cookie_value] = user
        self.issued_at[issued.cookie_value] = self.issued_at.pop(cookie)

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def log_out(self, data: st.DataObject) -> None:
        cookie = data.draw(st.sampled_from(sorted(self.live)))
        self.door.identity.logout(cookie)
        self._kill(cookie)

    @precondition(lambda self: len(self.live) >= 2)
    @rule(data=st.data())
    def end_another_session(self, data: st.DataObject) -> None:
        cookie = data.draw(st.sampled_from(sorted(self.live)))
        user = self.live[cookie]
        mine = [c for c, u in self.live.items() if u == user and c != cookie]
        if not mine:
            return
        other = data.draw(st.sampled_from(sorted(mine)))
        ref = self.door.identity.get_session(other).ref
        assert self.door.identity.end_session(cookie, ref)
        self._kill(other)

    # Always possible, so a run never gets stuck once time has moved (logins
    # then stop: the provider's tokens carry the real time).
    @rule(past_idle=st.booleans())
    def time_passes(self, past_idle: bool) -> None:
        self.moved = True
        step = self.idle + dt.timedelta(seconds=1) if past_idle else self.idle / 2
        self.clock.advance(step)
        now = self.clock.now()
        for cookie in list(self.live):
            if past_idle or now - self.issued_at[cookie] >= self.absolute:
                self._kill(cookie)

    @invariant()
    def cookies_work_exactly_when_alive(self) -> None:
        for cookie in list(self.live):
            session = self.door.identity.get_session(cookie)
            assert session.account_id is not None
        for cookie in self.dead:
            try:
                session = self.door.identity.get_session(cookie)
            except SessionExpired:
                continue
            raise AssertionError(f"a dead session still works ({session.ref})")


def _whole_history(door: FrontDoor, client: Actor) -> list[Any]:
    """Every line of *client*'s own history, all pages (a page holds 50)."""
    lines: list[Any] = []
    page: str | None = None
    while True:
        got = door.history(client, client.actor_id, page=page)
        lines.extend(got)
        if got.next_page is None:
            return lines
        page = got.next_page


class AuditLogMachine(_DoorMachine):
    """
    Clients read their files, strangers try to, grants come and go, and
    clients export their history; after every step the whole log verifies
    (SEC-64), each client's history only grows (SEC-63), every refusal is
    kept (SEC-67, SEC-70), and an export verifies offline while any change
    to one of its entries fails verification (SEC-64).

    The machine gives the factory a checkpoint signer of its own (the
    ``checkpoint_signer`` option: exports need one, and verification trusts
    only its key); the factory must pass it on to the door.
    """

    def _options(self) -> dict[str, Any]:
        from ircc_account.audit import CheckpointSigner

        self.signer = CheckpointSigner.generate()
        return {**super()._options(), "checkpoint_signer": self.signer}

    def __init__(self) -> None:
        super().__init__()
        self.clients = [self.people.client() for _ in range(2)]
        self.stranger = self.people.representative()
        self.seen: dict[int, int] = {0: 0, 1: 0}

    def _fresh(self, client: int) -> Actor:
        return attrs.evolve(self.clients[client], auth_time=self.clock.now())

    def _history(self, client: int) -> list[Any]:
        return _whole_history(self.door, self._fresh(client))

    @rule(client=st.integers(0, 1))
    def client_reads_their_file(self, client: int) -> None:
        self.door.dashboard(self._fresh(client), self.clients[client].actor_id)

    @rule(client=st.integers(0, 1))
    def stranger_is_refused(self, client: int) -> None:
        before = sum(1 for line in self._history(client) if line.decision == "denied")
        try:
            self.door.dashboard(self.stranger, self.clients[client].actor_id)
        except IrccAccountError:
            pass
        else:
            raise AssertionError("a stranger read a client's file")
        after = sum(1 for line in self._history(client) if line.decision == "denied")
        assert after == before + 1, "the refusal is not kept exactly once"

    @rule(client=st.integers(0, 1))
    def a_grant_comes_is_used_and_goes(self, client: int) -> None:
        grant = self.door.grants.give(
            self._fresh(client),
            grantee_id=str(self.stranger.representative_id),
            scopes=["view_status"],
            coverage="account",
        )
        self.door.dashboard(self.stranger, self.clients[client].actor_id)
        self.door.grants.revoke(self._fresh(client), grant.grant_id)

    @rule(client=st.integers(0, 1), data=st.data())
    def client_exports_and_someone_tampers(self, client: int, data: st.DataObject) -> None:
        from ircc_account.audit import verify_export

        export = self.door.export(self._fresh(client), self.clients[client].actor_id)
        assert verify_export(export, trusted_keys=self.signer.public_keys()).ok
        entries = export["entries"]
        entry = entries[data.draw(st.integers(0, len(entries) - 1))]
        field = data.draw(st.sampled_from(sorted(k for k in entry if k != "seq")))
        original = entry[field]
        entry[field] = "tampered" if original != "tampered" else "other"
        assert not verify_export(export, trusted_keys=self.signer.public_keys()).ok, (
            f"a changed {field} verified"
        )
        entry[field] = original

    @invariant()
    def the_log_verifies_and_histories_only_grow(self) -> None:
        from ircc_account.audit import verify

        report = verify(self.door.store, public_keys=self.signer)
        assert report.ok, report.failures
        for client in (0, 1):
            count = len(self._history(client))
            assert count >= self.seen[client]
            self.seen[client] = count
