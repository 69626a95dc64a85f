"""
The kit's state machines on a scratch database with the deployment's
plugins: delegation, the audit log and (with the development provider)
sessions. Their examples follow ``--examples``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from ircc_account._door import FrontDoor
from ircc_account.testing.state_machines import AuditLogMachine, DelegationMachine, SessionMachine


def _fresh(open_scratch_door: Callable[..., FrontDoor]) -> Callable[..., FrontDoor]:
    """A factory that wipes the scratch database before each run."""

    def open_door(**options: object) -> FrontDoor:
        return open_scratch_door(fresh=True, **options)

    return open_door


@pytest.mark.sec("SEC-49", "SEC-56", "SEC-57", "SEC-60", "SEC-66")
def test_delegation_machine(open_scratch_door: Callable[..., FrontDoor]) -> None:
    """
    Only grants in force reach a client's file, delegates cannot widen their rights, and every
    access is in the history.
    """
    machine = DelegationMachine.against(_fresh(open_scratch_door))
    run_state_machine_as_test(machine, settings=settings())


@pytest.mark.sec("SEC-63", "SEC-64", "SEC-67", "SEC-70")
def test_audit_log_machine(open_scratch_door: Callable[..., FrontDoor]) -> None:
    """
    The log always verifies, histories only grow, refusals are kept once, and a tampered export
    fails.
    """
    machine = AuditLogMachine.against(_fresh(open_scratch_door))
    run_state_machine_as_test(machine, settings=settings())


@pytest.mark.sec("SEC-33", "SEC-34", "SEC-36", "SEC-37", "SEC-39")
def test_session_machine(
    open_scratch_door: Callable[..., FrontDoor], request: pytest.FixtureRequest
) -> None:
    """
    Each session cookie works exactly while its session lives (rotation, logout, ending one,
    timeouts).
    """
    pytest.importorskip("starlette", reason="the development provider needs the web extra")
    provider = request.getfixturevalue("dev_provider")

    def open_door(**options: object) -> FrontDoor:
        return open_scratch_door(fresh=True, logins=True, **options)

    machine = SessionMachine.against_provider(open_door, provider)
    run_state_machine_as_test(machine, settings=settings())
