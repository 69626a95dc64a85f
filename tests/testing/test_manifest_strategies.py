"""
The kit's manifest strategy: every manifest it draws is one the registry
starts a plugin with.
"""

from __future__ import annotations

import pathlib
import uuid

from hypothesis import HealthCheck, given, settings

from ircc_account import FrontDoor, FrontDoorConfig, Keyring, hookimpl
from ircc_account.services import ServiceManifest
from ircc_account.testing import LicencesInGoodStanding
from ircc_account.testing.strategies import service_manifests


class _Declares:
    def __init__(self, manifest: ServiceManifest) -> None:
        self.manifest = manifest

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return self.manifest


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(manifest=service_manifests())
def test_every_drawn_manifest_starts_its_plugin(
    tmp_path: pathlib.Path, manifest: ServiceManifest
) -> None:
    """A plugin declaring any drawn manifest is registered and offered under its service id."""
    door = FrontDoor.open(
        FrontDoorConfig(
            database_url=f"sqlite:///{tmp_path / uuid.uuid4().hex}.db",
            keyring=Keyring.generate(),
            licence_verifier=LicencesInGoodStanding(),
        ),
        plugins={manifest.service_id: _Declares(manifest)},
    )
    try:
        assert door.services.service_ids == (manifest.service_id,)
        assert door.services.manifest(manifest.service_id) == manifest
    finally:
        door.close()


@settings(max_examples=30, deadline=None)
@given(manifest=service_manifests(service_id="trv-status", rollout=False))
def test_a_fixed_id_and_the_default_rollout(manifest: ServiceManifest) -> None:
    """service_id= fixes the id; rollout=False keeps the rollout that offers every eligible client."""
    assert manifest.service_id == "trv-status"
    assert manifest.rollout.percentage == 100
    assert manifest.title.fr != manifest.title.en
