"""
The kit's state machines, pointed at a door with a status plugin (SQLite and
PostgreSQL for delegation and the audit log; logins at the development
provider for sessions).
"""

from __future__ import annotations

import contextlib
import pathlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from ircc_account import FrontDoor, Keyring, hookimpl
from ircc_account.audit import HistoryPage
from ircc_account.services import (
    BilingualText,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
)
from ircc_account.testing import LicencesInGoodStanding, LocalProvider
from ircc_account.testing.state_machines import AuditLogMachine, DelegationMachine, SessionMachine

pytestmark = pytest.mark.slow

RUN = settings(
    max_examples=4,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


class Status:
    """Lists the client's items."""

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id="status",
            version="1.0.0",
            title=BilingualText("Status", "État"),
            description=BilingualText("Where things stand.", "Où en sont les choses."),
            scopes={"view_status", "act", "enquire"},
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        return list(ctx.items.list())


def _factory(
    new_url: Callable[[], str], doors: list[FrontDoor], **fixed: Any
) -> Callable[..., FrontDoor]:
    from ircc_account import FrontDoorConfig

    def open_door(**options: Any) -> FrontDoor:
        # Each run gets an empty database of its own.
        run_url = new_url()
        options = {**fixed, **options}
        provider = options.pop("provider", None)
        options.setdefault("keyring", Keyring.generate())
        options.setdefault("licence_verifier", LicencesInGoodStanding())
        config = (
            provider.door_config(run_url, **options)
            if provider is not None
            else FrontDoorConfig(database_url=run_url, **options)
        )
        door = FrontDoor.open(config, plugins={"status": Status()})
        doors.append(door)
        return door

    return open_door


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def new_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[Callable[[], str]]:
    """Makes an empty database per machine run, on SQLite or on the test PostgreSQL server."""
    made: list[str] = []
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None

    def new() -> str:
        name = f"run_{uuid.uuid4().hex}"
        made.append(name)
        if server is None:
            return f"sqlite:///{tmp_path / name}.sqlite"
        return str(server.create_database(name))

    yield new
    if server is not None:
        for name in made:
            server.drop_database(name)


@pytest.fixture
def doors() -> Iterator[list[FrontDoor]]:
    """Doors the machines opened (they close their own; this catches a failed run's)."""
    made: list[FrontDoor] = []
    yield made
    for door in made:
        with contextlib.suppress(Exception):
            door.close()


def test_delegation_machine(new_url: Callable[[], str], doors: list[FrontDoor]) -> None:
    """Only grants in force reach a client's file; delegates cannot widen their rights; every access is in the history (SEC-49, SEC-56, SEC-57, SEC-66)."""
    machine = DelegationMachine.against(_factory(new_url, doors))
    run_state_machine_as_test(machine, settings=RUN)


def test_audit_log_machine(new_url: Callable[[], str], doors: list[FrontDoor]) -> None:
    """The log always verifies, histories only grow, refusals are kept once, and tampered exports fail (SEC-63, SEC-64, SEC-67)."""
    machine = AuditLogMachine.against(_factory(new_url, doors))
    run_state_machine_as_test(machine, settings=RUN)


def test_session_machine(
    tmp_path: pathlib.Path, doors: list[FrontDoor], dev_provider: LocalProvider
) -> None:
    """Cookies work exactly while their session lives: rotation, logout, ending, idle and absolute timeouts (SEC-33, SEC-34, SEC-36, SEC-37, SEC-39)."""
    machine = SessionMachine.against_provider(
        _factory(
            lambda: f"sqlite:///{tmp_path / uuid.uuid4().hex}.sqlite", doors, provider=dev_provider
        ),
        dev_provider,
    )
    run_state_machine_as_test(machine, settings=RUN)


# Each machine must be able to fail: pointed at a door with the bug it is
# there to catch, it finds it (no shrinking: the first failure will do).
BROKEN = settings(
    max_examples=50,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
    database=None,
    report_multiple_bugs=False,
)


def _broken(
    open_door: Callable[..., FrontDoor], breaks: Callable[[FrontDoor], None]
) -> Callable[..., FrontDoor]:
    def open_broken(**options: Any) -> FrontDoor:
        door = open_door(**options)
        breaks(door)
        return door

    return open_broken


def test_the_delegation_machine_finds_a_revocation_that_does_not_revoke(
    new_url: Callable[[], str], doors: list[FrontDoor]
) -> None:
    """Against a door whose revocation does nothing, the delegation machine fails."""

    def breaks(door: FrontDoor) -> None:
        door.grants.revoke = lambda *args, **kwargs: None  # type: ignore[method-assign]

    machine = DelegationMachine.against(_broken(_factory(new_url, doors), breaks))
    with pytest.raises(AssertionError):
        run_state_machine_as_test(machine, settings=BROKEN)


def test_the_audit_log_machine_finds_a_history_that_hides_refusals(
    new_url: Callable[[], str], doors: list[FrontDoor]
) -> None:
    """Against a door whose history leaves refusals out, the audit log machine fails."""

    def breaks(door: FrontDoor) -> None:
        history = door.history

        def without_refusals(*args: Any, **kwargs: Any) -> HistoryPage:
            page = history(*args, **kwargs)
            kept = tuple(line for line in page if line.decision != "denied")
            return HistoryPage(records=kept, next_page=page.next_page)

        door.history = without_refusals  # type: ignore[method-assign]

    machine = AuditLogMachine.against(_broken(_factory(new_url, doors), breaks))
    with pytest.raises(AssertionError):
        run_state_machine_as_test(machine, settings=BROKEN)


def test_the_session_machine_finds_a_logout_that_leaves_the_session_alive(
    tmp_path: pathlib.Path, doors: list[FrontDoor], dev_provider: LocalProvider
) -> None:
    """Against a door whose logout ends nothing on the server, the session machine fails."""

    def breaks(door: FrontDoor) -> None:
        door.identity.logout = lambda *args, **kwargs: None  # type: ignore[method-assign]

    factory = _factory(
        lambda: f"sqlite:///{tmp_path / uuid.uuid4().hex}.sqlite", doors, provider=dev_provider
    )
    machine = SessionMachine.against_provider(_broken(factory, breaks), dev_provider)
    with pytest.raises(AssertionError):
        run_state_machine_as_test(machine, settings=BROKEN)


def test_the_machines_read_a_history_longer_than_a_page(
    new_url: Callable[[], str], doors: list[FrontDoor]
) -> None:
    """Past the 50 lines of a history page, a stranger's refusal still counts as kept once and the history still grows: the machines read every page (a reviewer's longer runs failed here)."""
    machine = AuditLogMachine.against(_factory(new_url, doors))()
    try:
        for _ in range(30):
            machine.client_reads_their_file(0)
            machine.stranger_is_refused(0)
        before = len(machine._history(0))
        assert before > 50
        machine.stranger_is_refused(0)
        machine.the_log_verifies_and_histories_only_grow()
        assert machine.seen[0] > before
    finally:
        machine.teardown()
