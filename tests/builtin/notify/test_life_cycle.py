"""
The notifications plugin's life cycle: one door at a time, everything of a
door (sender, outbox, worker) gone when it closes, so the entry point's
object can serve the next door.
"""

from __future__ import annotations

import pathlib
import threading

import pytest

from ircc_account import FrontDoor, FrontDoorConfig, Keyring
from ircc_account.builtin.notify import MemorySender, NotificationsService
from ircc_account.errors import ServiceManifestInvalid
from ircc_account.testing import LicencesInGoodStanding

from .conftest import PORTAL, TEMPLATES


class _Closing(MemorySender):
    """A memory sender that counts its closes."""

    closed = 0

    def close(self) -> None:
        self.closed += 1


def _open(
    folder: pathlib.Path, name: str, service: NotificationsService, sender: object
) -> FrontDoor:
    return FrontDoor.open(
        FrontDoorConfig(
            database_url=f"sqlite:///{folder / name}",
            keyring=Keyring.generate(),
            licence_verifier=LicencesInGoodStanding(),
            plugin_settings={
                "notifications": {"templates": TEMPLATES, "portal_url": PORTAL, "sender": sender}
            },
        ),
        plugins={"notifications": service},
    )


def test_closing_the_door_stops_the_worker_and_closes_the_sender(tmp_path: pathlib.Path) -> None:
    """The door's close stops the delivery worker's thread and closes the sender, and the next door starts afresh with its own."""
    service = NotificationsService()
    first, second = _Closing(), _Closing()
    with _open(tmp_path, "one.db", service, first) as door:
        worker = service.attach(door)
        worker.start(interval=60.0)
        assert [t for t in threading.enumerate() if t.name == "ircc-notify-worker"]
        assert service.sender is first
    assert first.closed == 1
    assert not [t for t in threading.enumerate() if t.name == "ircc-notify-worker"]
    assert (service.sender, service.worker, service.outbox) == (None, None, None)
    with _open(tmp_path, "two.db", service, second) as door:
        service.attach(door)
        assert service.sender is second
    assert (first.closed, second.closed) == (1, 1)


def test_one_service_object_serves_one_door_at_a_time(tmp_path: pathlib.Path) -> None:
    """A second door cannot start the plugin object a first door still holds."""
    service = NotificationsService()
    with (
        _open(tmp_path, "one.db", service, MemorySender()),
        pytest.raises(ServiceManifestInvalid),
    ):
        _open(tmp_path, "two.db", service, MemorySender())
