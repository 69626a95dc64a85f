"""
What each change sends to whom: the mandatory notices about who may act
for a client (created, asked, accepted, declined, changed, revoked, first
used), an office's members in the grant's access group, the client's
choices (which can never switch off a security notice), nothing for an
erased client, no personal data in the logs, and templates checked at
start-up.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from ircc_account import Actor, ContactDetails, FrontDoor, FrontDoorConfig, Keyring, PersonalDetails
from ircc_account.builtin import status
from ircc_account.builtin.notify import (
    MemorySender,
    NotificationKind,
    NotificationsService,
    NotifyTemplates,
    OutboxState,
)
from ircc_account.builtin.notify._plugin import choose_off
from ircc_account.delegation import Organisation
from ircc_account.errors import (
    NotificationMandatory,
    NotifyTemplateMissing,
    ServiceManifestInvalid,
    UnknownValue,
)
from ircc_account.identity import ClientAccount
from tests.builtin.status.helpers import OFFICER, STAFF, Licences

from .conftest import TEMPLATES, Notified

_KINDS = lambda rows: [r.kind.value for r in rows]  # noqa: E731


def _templates(notified: Notified, actor: Actor) -> list[str]:
    return [r.template_id for r in notified.to(actor)]


def test_every_grant_change_is_a_notice_to_client_and_representative(notified: Notified) -> None:
    """Giving, changing and revoking a grant, and the representative's first action, notify both sides."""
    client = notified.client()
    item = notified.application(client)
    rep = notified.representative(client, language="fr")
    (grant,) = [
        g for g in notified.door.grants.of(client, client.actor_id) if g.grantee_id == rep.actor_id
    ]
    notified.door.item(rep, client.actor_id, item)  # the first action under the grant
    notified.door.item(rep, client.actor_id, item)  # not the first any more
    notified.door.grants.change(client, grant.grant_id, scopes=["view_status", "act"])
    notified.door.grants.revoke(client, grant.grant_id)
    notified.worker.drain()
    expected = ["grant_created", "grant_first_used", "grant_changed", "grant_revoked"]
    assert _KINDS(notified.rows()) == expected
    assert _templates(notified, client) == [f"tpl-{k}-en" for k in expected]
    assert _templates(notified, rep) == [f"tpl-{k}-fr" for k in expected]
    (first, *_) = notified.to(client)
    assert first.personalisation["label"] == "Jean Roy"


def test_a_request_accepted_and_one_declined(notified: Notified) -> None:
    """A representative's request, its acceptance and another's refusal are each their own notice."""
    client = notified.client()
    asking = notified.representative(None)
    refused = notified.representative(None)
    g1 = notified.door.grants.request(
        asking, client_id=client.actor_id, scopes=["view_status"], coverage="account"
    )
    g2 = notified.door.grants.request(
        refused, client_id=client.actor_id, scopes=["view_status"], coverage="account"
    )
    notified.door.grants.accept(client, g1.grant_id)
    notified.door.grants.decline(client, g2.grant_id)
    notified.worker.drain()
    assert _KINDS(notified.rows()) == [
        "grant_requested",
        "grant_requested",
        "grant_accepted",
        "grant_declined",
    ]
    assert _templates(notified, asking) == ["tpl-grant_requested-en", "tpl-grant_accepted-en"]
    assert _templates(notified, refused) == ["tpl-grant_requested-en", "tpl-grant_declined-en"]


def test_an_office_grant_reaches_the_members_of_its_access_group(notified: Notified) -> None:
    """An MP office's grant for one access group notifies that group's staff, not the others."""
    door = notified.door
    admin = notified.client("Chen", given="Olivia")
    door.onboarding.onboard_organisation(
        OFFICER,
        Organisation(
            organisation_id="org-mp-ottawa-centre",
            kind="mp_office",
            name="Office of the MP for Ottawa Centre",
            created_at=dt.datetime.now(dt.UTC),
        ),
        administrator_account_id=admin.actor_id,
        administrator_name="Olivia Chen",
    )
    staff = {}
    for group in ("riding-east", "riding-west"):
        person = notified.client("Staff", given=group)
        invitation = door.onboarding.invite(
            _as_rep(door, admin), "org-mp-ottawa-centre", role="staff", access_groups=[group]
        )
        door.onboarding.join(person, invitation.code, display_name=f"Staff {group}")
        staff[group] = person
    client = notified.client()
    item = notified.application(client)
    door.grants.give(
        client,
        grantee_id="org-mp-ottawa-centre",
        grantee_is_organisation=True,
        access_group="riding-east",
        scopes=["view_status"],
        coverage="account",
    )
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    notified.worker.drain()
    assert _templates(notified, staff["riding-east"]) == [
        "tpl-grant_created-en",
        "tpl-phase_changed-en",
    ]
    assert _templates(notified, staff["riding-west"]) == []
    assert _templates(notified, admin) == []
    assert notified.to(client)[0].personalisation["label"] == "Office of the MP for Ottawa Centre"


def _as_rep(door: FrontDoor, account: Actor) -> Actor:
    from ircc_account import Capacity

    with door.store.unit_of_work(write=False) as uow:
        rep = door.delegation.representative_for_account(uow, account.actor_id)
    assert rep is not None
    return Actor(
        actor_id=rep.representative_id,
        capacity=Capacity.REPRESENTATIVE,
        account_id=account.actor_id,
        representative_id=rep.representative_id,
        assurance=account.assurance,
        auth_time=account.auth_time,
    )


def test_a_client_switches_off_optional_notices_but_never_security_ones(notified: Notified) -> None:
    """Phase changes can be switched off; a grant notice cannot, and trying changes nothing."""
    client = notified.client()
    item = notified.application(client)
    door = notified.door
    refused = door.perform_service(
        client,
        client.actor_id,
        "notifications",
        "preferences",
        {"off": "phase_changed grant_revoked"},
    )
    assert not refused.ok
    assert "ne peut pas être désactivé" in refused.message.fr
    assert "cannot be turned off" in refused.message.en
    with pytest.raises(NotificationMandatory):
        choose_off("grant_first_used")
    unknown = door.perform_service(
        client, client.actor_id, "notifications", "preferences", {"off": "everything"}
    )
    assert not unknown.ok
    with pytest.raises(UnknownValue):
        choose_off("everything")
    # Nothing was written by the refusals: phase changes still reach the client.
    notified.desk.change_phase(STAFF, item, status.Phase.BIOMETRICS)
    notified.worker.drain()
    result = door.perform_service(
        client, client.actor_id, "notifications", "preferences", {"off": "phase_changed"}
    )
    assert result.ok
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    rep = notified.representative(client)
    notified.worker.drain()
    # The client's choice is theirs: their representative still hears of the phase.
    assert _templates(notified, client) == ["tpl-phase_changed-en", "tpl-grant_created-en"]
    assert _templates(notified, rep) == ["tpl-phase_changed-en", "tpl-grant_created-en"]
    assert {r.state for r in notified.rows()} == {OutboxState.SENT}


def test_a_representative_is_not_offered_the_clients_choices(notified: Notified) -> None:
    """Only the client sets what the client is told: a representative gets no preferences action."""
    client = notified.client()
    rep = notified.representative(client)
    ctx_actions = notified.service.ircc_service_actions(
        ctx=type("Ctx", (), {"actor": rep})()  # type: ignore[arg-type]
    )
    assert ctx_actions == []


def test_an_erased_client_gets_nothing_even_for_a_row_queued_before(notified: Notified) -> None:
    """A row queued before the client's erasure ends skipped; nothing reaches the client or their representative."""
    client = notified.client()
    item = notified.application(client)
    rep = notified.representative(client)
    notified.worker.drain()
    before = len(notified.server.received)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    with notified.door.store.unit_of_work() as uow:
        uow.accounts.erase_personal_data(client.actor_id)
        uow.commit()
    notified.worker.drain()
    assert len(notified.server.received) == before
    last = notified.rows()[-1]
    assert (last.state, last.last_error) == (OutboxState.SKIPPED, "erased")
    assert notified.to(rep) == [r for r in notified.to(rep) if "grant_created" in r.template_id]


def test_no_personal_data_in_logs(notified: Notified, caplog: pytest.LogCaptureFixture) -> None:
    """Sends, 429s, a 400 whose body echoes the address, and dead letters log no email, name or phone."""
    caplog.set_level(logging.DEBUG)
    client = notified.client("Lefebvre", given="Amélie")
    item = notified.application(client)
    notified.server.script((429, {"Retry-After": "1"}), (500, {}), (400, {}))
    for phase in (
        status.Phase.ELIGIBILITY,
        status.Phase.BIOMETRICS,
        status.Phase.BACKGROUND_CHECKS,
    ):
        notified.desk.change_phase(STAFF, item, phase)
    for _ in range(4):
        notified.worker.drain()
        notified.clock.advance(dt.timedelta(hours=1))
    states = {r.state for r in notified.rows()}
    assert OutboxState.DEAD_LETTERED in states and OutboxState.SENT in states
    text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert "dead-lettered" in text  # the logs were captured
    for secret in (notified.email(client), "Lefebvre", "Amélie", "example.test"):
        assert secret not in text


def test_a_missing_template_is_a_typed_error_at_start_up(database_url: str) -> None:
    """A kind without its French template is refused, in both languages, and the door does not open."""
    partial = {k: dict(v) for k, v in TEMPLATES.items()}
    del partial["decision"]["fr"]
    with pytest.raises(NotifyTemplateMissing) as missing:
        NotifyTemplates.from_mapping(partial)
    assert missing.value.params == {"kind": "decision", "language": "fr"}
    assert "decision" in missing.value.message("fr") and "manquant" in missing.value.message("fr")
    with pytest.raises(NotifyTemplateMissing):
        NotificationsService(sender=MemorySender(), templates=partial, portal_url="https://x.test")
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=Licences(),
        plugin_settings={
            "notifications": {
                "sender": MemorySender(),
                "templates": partial,
                "portal_url": "https://x.test",
            }
        },
    )
    with pytest.raises(ServiceManifestInvalid):
        FrontDoor.open(config, plugins={"notifications": NotificationsService()})


def test_the_memory_sender_keeps_messages_for_development(database_url: str) -> None:
    """With the in-memory sender a portal sees in development what would have been sent."""
    sender = MemorySender()
    service = NotificationsService(
        sender=sender, templates=TEMPLATES, portal_url="https://dev.example.test/"
    )
    config = FrontDoorConfig(
        database_url=database_url, keyring=Keyring.generate(), licence_verifier=Licences()
    )
    with FrontDoor.open(
        config, plugins={"notifications": service, status.SERVICE_ID: status.plugin}
    ) as door:
        worker = service.attach(door)
        with door.store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id="client-dev",
                    personal=PersonalDetails(family_name="Dev", date_of_birth="1990-01-01"),
                    contact=ContactDetails(email="dev@example.test"),
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            uow.commit()
        item = (
            status.StatusDesk(door)
            .open(
                STAFF, "client-dev", program="p", reference="R1", title=status.Phase.RECEIVED.label
            )
            .item_id
        )
        status.StatusDesk(door).change_phase(STAFF, item, status.Phase.ELIGIBILITY)
        worker.drain()
    (sent,) = sender.sent
    assert sent.template_id == "tpl-phase_changed-en"
    assert "dev@example.test" not in repr(sent)
    assert NotificationKind.GRANT_REVOKED.mandatory and not NotificationKind.DECISION.mandatory
