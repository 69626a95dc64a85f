"""
The demo portal with the built-in application services installed and
allowlisted: both show on the dashboard, with their documents kept in the
demo's folder, and the seed holds a visitor visa the consultant prepared
for Marie and a passport renewal Ahmed started. The services come in
through entry points of a distribution made here (the shared test
environment's own install may predate them), pinned like any plugin.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from ircc_account import Actor, AssuranceLevel, Capacity
from ircc_account.builtin.applications import ApplicationDesk, DocumentStatus
from ircc_account.builtin.passport import plugin as passport
from ircc_account.builtin.trv import plugin as trv
from ircc_account.demo import DemoConfig, start_demo
from ircc_account.services import AccountFacts, AllowedPlugin

from .conftest import jpeg

DIST, VERSION = "ircc-account-demo-builtins", "1.0"


@pytest.fixture
def installed(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AllowedPlugin, ...]:
    """A distribution publishing both services under the entry point group, on sys.path."""
    info = tmp_path / "site" / "ircc_account_demo_builtins-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {VERSION}\n")
    (info / "entry_points.txt").write_text(
        "[ircc_account.services]\n"
        "trv = ircc_account.builtin.trv:plugin\n"
        "passport-renewal = ircc_account.builtin.passport:plugin\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return (
        AllowedPlugin("trv", DIST, VERSION),
        AllowedPlugin("passport-renewal", DIST, VERSION),
    )


def _client(account_id: str) -> Actor:
    return Actor(
        actor_id=account_id,
        capacity=Capacity.CLIENT,
        account_id=account_id,
        assurance=AssuranceLevel.MODERATE,
        auth_time=dt.datetime.now(dt.UTC),
    )


def test_both_services_show_in_the_demo_with_seeded_drafts(
    installed: tuple[AllowedPlugin, ...], tmp_path: pathlib.Path
) -> None:
    """Allowlisted, the services load with a documents folder; Marie and Ahmed find their drafts."""
    site = start_demo(
        DemoConfig(
            data=tmp_path / "demo", port=0, allowed_plugins=installed, builtin_services=False
        )
    )
    try:
        door = site.door
        assert {"trv", "passport-renewal"} <= set(door.services.service_ids)
        marie = _client(site.seeded.accounts["marie"])
        dashboard = door.dashboard(marie, marie.actor_id, facts=AccountFacts())
        for service_id in ("trv", "passport-renewal"):
            assert [a.action for a in dashboard.tile(service_id).actions] == ["start"]

        (prepared,) = ApplicationDesk(door, trv).drafts(marie, marie.actor_id)
        assert [p.name for p in prepared.draft.prepared_by] == ["Jean Roy, RCIC"]
        assert prepared.evaluation.eligible
        assert any(e.status is DocumentStatus.MISSING for e in prepared.evaluation.checklist)

        ahmed = _client(site.seeded.accounts["ahmed"])
        (started,) = ApplicationDesk(door, passport).drafts(ahmed, ahmed.actor_id)
        assert started.evaluation.eligible and started.draft.prepared_by == ()

        # The photo goes to the demo's folder, sealed.
        desk = ApplicationDesk(door, passport)
        desk.upload(
            ahmed,
            ahmed.actor_id,
            started.draft.draft_id,
            "photo",
            jpeg(),
            filename="a.jpg",
            version=started.draft.version,
        )
        assert any((tmp_path / "demo" / "documents").rglob("*"))
    finally:
        site.close()
