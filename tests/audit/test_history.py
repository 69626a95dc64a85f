"""
"Who touched my file" through the front door, on SQLite and PostgreSQL: plain
sentences in English and French naming people, offices, services, items and
grants; one line per access; refusals with their reason; filters and pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from ircc_account import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    FrontDoor,
    FrontDoorConfig,
    FrozenClock,
    Keyring,
    PersonalDetails,
    hookimpl,
)
from ircc_account._storage import _schema_audit as ta
from ircc_account.audit import CheckpointSigner, Decision, StoreDirectory, _wording
from ircc_account.authz import Resource
from ircc_account.delegation import Licence, LicenceStatus, Organisation
from ircc_account.errors import (
    AuthorizationError,
    InvalidFormat,
    NotFound,
    NotPrincipal,
    OutOfRange,
)
from ircc_account.identity import ClientAccount
from ircc_account.services import (
    BilingualText,
    ItemKind,
    ItemState,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)

from ..door.conftest import status_plugin

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MARIE = "acct-marie"
OFFICE = "org-mp-ottawa-centre"
OFFICER = Actor(actor_id="officer-onboarding", capacity=Capacity.OFFICER)


class _Verifier:
    def verify(self, licence: Licence) -> LicenceStatus:
        return LicenceStatus(valid=True, expires_on=licence.expires_on, checked_at=NOW)


def _guard_plugin() -> object:
    """A second service that objects to every read a service makes for a representative."""

    @hookimpl
    def ircc_service_manifest() -> object:
        from ircc_account.services import Rollout, ServiceManifest

        return ServiceManifest(
            service_id="guard",
            version="1.0.0",
            title=BilingualText(en="Document check", fr="Vérification des documents"),
            description=BilingualText(en="Checks.", fr="Vérifie."),
            assurance=AssuranceLevel.LOW,
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_restrict_access(actor: Actor, action: object, resource: Resource) -> Sequence[str]:
        on_behalf = actor.on_behalf_of
        if GUARD.on and on_behalf is not None and on_behalf.capacity is Capacity.REPRESENTATIVE:
            return ["embargo"]
        return []

    return SimpleNamespace(
        ircc_service_manifest=ircc_service_manifest, ircc_restrict_access=ircc_restrict_access
    )


GUARD = SimpleNamespace(on=False)


def _person(account_id: str) -> Actor:
    return Actor(
        actor_id=account_id,
        capacity=Capacity.CLIENT,
        account_id=account_id,
        assurance=AssuranceLevel.MODERATE,
        auth_time=NOW,
    )


def _account(account_id: str, family: str) -> ClientAccount:
    return ClientAccount(
        account_id=account_id,
        personal=PersonalDetails(family_name=family, date_of_birth="1985-07-14"),
        contact=ContactDetails(email=f"{account_id}@example.ca"),
        created_at=NOW,
    )


@pytest.fixture
def clock() -> FrozenClock:
    """The door's clock, moved by the tests."""
    return FrozenClock(NOW)


@pytest.fixture
def door(database_url: str, clock: FrozenClock) -> Iterator[FrontDoor]:
    """A door with the status service, Marie's application, Jean (her brother) and an MP office."""
    GUARD.on = False
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=_Verifier(),
        clock=clock,
        checkpoint_signer=CheckpointSigner.generate(),
    )
    front = FrontDoor.open(config, plugins={"status": status_plugin(), "guard": _guard_plugin()})
    with front.store.unit_of_work() as uow:
        for account_id, family in ((MARIE, "Tremblay"), ("acct-jean", "Roy"),
                                   ("acct-olivia", "Chen"), ("acct-sam", "Martin"),
                                   ("acct-pat", "Singh")):  # fmt: skip
            uow.accounts.add(_account(account_id, family))
        uow.items.add(
            ServiceItem(
                item_id="app-marie",
                account_id=MARIE,
                service_id="status",
                kind=ItemKind.APPLICATION,
                reference="V100000001",
                state=ItemState.IN_PROGRESS,
                title=BilingualText("Visitor visa", "Visa de visiteur"),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        uow.timeline.append(
            TimelineEvent(
                event_id="ev-1",
                item_id="app-marie",
                kind=TimelineKind.SUBMITTED,
                occurred_at=NOW,
                state=ItemState.SUBMITTED,
                summary=BilingualText("Received", "Reçue"),
            )
        )
        uow.commit()
    front.onboarding.register_representative(
        _person("acct-jean"), kind="family", display_name="Jean Roy"
    )
    front.onboarding.onboard_organisation(
        OFFICER,
        Organisation(
            organisation_id=OFFICE,
            kind="mp_office",
            name="Office of the MP for Ottawa Centre",
            created_at=NOW,
        ),
        administrator_account_id="acct-olivia",
        administrator_name="Olivia Chen",
    )
    for account_id, name, group in (("acct-sam", "Sam Martin", "east"),
                                    ("acct-pat", "Pat Singh", "west")):  # fmt: skip
        code = front.onboarding.invite(
            _rep(front, "acct-olivia"), OFFICE, role="staff", access_groups=[group]
        ).code
        front.onboarding.join(_person(account_id), code, display_name=name)
    yield front
    front.close()


def _rep(door: FrontDoor, account_id: str) -> Actor:
    with door.store.unit_of_work(write=False) as uow:
        rep = door.delegation.representative_for_account(uow, account_id)
    assert rep is not None
    return Actor(
        actor_id=rep.representative_id,
        capacity=Capacity.REPRESENTATIVE,
        account_id=account_id,
        representative_id=rep.representative_id,
        assurance=AssuranceLevel.MODERATE,
        auth_time=NOW,
    )


def _grants(door: FrontDoor) -> None:
    """Marie gives Jean view and act; the office's east group, view only."""
    marie = _person(MARIE)
    jean = _rep(door, "acct-jean")
    door.grants.give(marie, grantee_id=jean.actor_id, scopes=["view_status", "act"],
                     coverage="account")  # fmt: skip
    door.grants.give(marie, grantee_id=OFFICE, grantee_is_organisation=True, access_group="east",
                     scopes=["view_status"], coverage="account")  # fmt: skip


def _entries(door: FrontDoor) -> list[sa.Row[tuple[object, ...]]]:
    e = ta.audit_entries.c
    with door.store.engine.connect() as c:
        return list(c.execute(sa.select(ta.audit_entries).where(e.partition == MARIE)
                              .order_by(e.seq)))  # fmt: skip


def test_page_views_read_as_one_named_sentence_each_in_both_languages(door: FrontDoor) -> None:
    """Six page views are six lines, each a sentence naming the person, the item and the grant."""
    _grants(door)
    jean = _rep(door, "acct-jean")
    before = len(_entries(door))
    for _ in range(6):
        door.item(jean, MARIE, "app-marie")
    assert len(_entries(door)) - before == 12  # each view: the page and its plugin's read
    history = door.history(_person(MARIE), MARIE, person=jean.actor_id)
    views = [r for r in history if r.action == "door.item.view"]
    assert len(history) == len(views) == 6
    assert all(len(r.entry_ids) == 2 and r.decision is Decision.ALLOWED for r in views)
    assert views[0].text == (
        "Your representative Jean Roy viewed your application Visitor visa (V100000001), "
        "acting for you under the access you gave them on 1 March 2026."
    )
    french = door.history(_person(MARIE), MARIE, person=jean.actor_id, language="fr")
    assert french[0].text == (
        "Votre représentant Jean Roy a consulté votre demande Visa de visiteur (V100000001), "
        "en agissant pour vous en vertu de l'accès que vous lui avez donné le 1er mars 2026."
    )
    own = door.history(_person(MARIE), MARIE, person=MARIE, limit=500)
    assert own[0].text == "You viewed the history of your file."
    assert own[-1].text == "You gave Jean Roy access to your file."
    assert "Vous avez consulté l'historique de votre dossier." in [
        r.text for r in door.history(_person(MARIE), MARIE, language="fr")
    ]


def test_office_staff_are_named_with_their_office_and_the_grant_to_it(door: FrontDoor) -> None:
    """A staff member's access names them, their office, and the grant Marie gave the office."""
    _grants(door)
    sam = _rep(door, "acct-sam")
    door.item(sam, MARIE, "app-marie")
    (line,) = door.history(_person(MARIE), MARIE, person=sam.actor_id)
    assert line.text == (
        "Your representative Sam Martin (Office of the MP for Ottawa Centre) viewed your "
        "application Visitor visa (V100000001), acting for you under the access you gave "
        "Office of the MP for Ottawa Centre on 1 March 2026."
    )
    assert line.basis is not None and "Office of the MP for Ottawa Centre" in line.basis
    (fr,) = door.history(_person(MARIE), MARIE, person=sam.actor_id, language="fr")
    assert fr.text.endswith(
        "en vertu de l'accès que vous avez donné à Office of the MP for Ottawa Centre "
        "le 1er mars 2026."
    )


def test_refusals_show_their_reason_in_words(door: FrontDoor) -> None:
    """Each refusal's line says what was tried and why it was refused, never a code."""
    _grants(door)
    pat, sam = _rep(door, "acct-pat"), _rep(door, "acct-sam")
    with pytest.raises(AuthorizationError):
        door.item(pat, MARIE, "app-marie")
    with pytest.raises(NotFound):
        door.item(sam, MARIE, "app-somebody-elses")
    with pytest.raises(AuthorizationError):
        door.perform(sam, MARIE, "app-marie", "withdraw")
    grant = door.grants.of(_person(MARIE), MARIE)[0]
    with pytest.raises(NotPrincipal):
        door.grants.revoke(sam, grant.grant_id)
    refusals = door.history(_person(MARIE), MARIE, refusals_only=True)
    recorded = {r.entry_id: r.reason for r in _entries(door)}
    assert len(refusals) == 4
    for line in refusals:
        assert line.decision is Decision.DENIED
        words = _wording.REASONS[str(recorded[line.entry_id])].en
        assert line.reason == words and line.text.endswith(f". Refused: {words}.")
        assert " tried to " in line.text and "_" not in line.text
    texts = [r.text for r in refusals]
    assert (
        "Your representative Sam Martin tried to view an item. "
        "Refused: there is no such item in your file." in texts
    )
    assert (
        "Your representative Sam Martin tried to withdraw the access given to someone. "
        "Refused: only you can do this, from your own account." in texts
    )
    french = door.history(_person(MARIE), MARIE, refusals_only=True, language="fr")
    assert all(" a tenté d" in r.text and ". Refus : " in r.text for r in french)


def test_a_refused_plugin_read_shows_inside_the_page_views_line(door: FrontDoor) -> None:
    """A service restricting the plugin's read keeps the view one line, saying which part was refused and by whom."""
    _grants(door)
    jean = _rep(door, "acct-jean")
    GUARD.on = True
    with pytest.raises(AuthorizationError):
        door.item(jean, MARIE, "app-marie")
    (line,) = door.history(_person(MARIE), MARIE, person=jean.actor_id)
    assert line.action == "door.item.view" and line.decision is Decision.ALLOWED
    assert line.text.endswith(
        "on 1 March 2026. Part of it was refused: the service Document check restricted it."
    )
    assert len(line.entry_ids) == 2


def test_filters_by_item_person_date_and_refusals_and_pages_by_token(
    door: FrontDoor, clock: FrozenClock
) -> None:
    """Each filter narrows the lines; paging by token lists every line once, newest first."""
    _grants(door)
    jean, sam = _rep(door, "acct-jean"), _rep(door, "acct-sam")
    clock.advance(dt.timedelta(days=1))
    door.item(jean, MARIE, "app-marie")
    clock.advance(dt.timedelta(days=1))
    door.item(sam, MARIE, "app-marie")
    with pytest.raises(NotFound):
        door.item(sam, MARIE, "app-other")
    accessed = clock.advance(dt.timedelta(minutes=1))
    marie = _person(MARIE)
    day_two = NOW + dt.timedelta(days=1)
    window = door.history(marie, MARIE, since=day_two, until=day_two + dt.timedelta(hours=1))
    assert [r.person for r in window] == [jean.actor_id]
    assert [r.person for r in door.history(marie, MARIE, item_id="app-other")] == [sam.actor_id]
    assert {r.item_id for r in door.history(marie, MARIE, item_id="app-marie")} == {"app-marie"}
    assert [r.action for r in door.history(marie, MARIE, refusals_only=True)] == ["door.item.view"]
    everything = door.history(marie, MARIE, limit=500)
    lines, token = [], None
    while True:
        page = door.history(marie, MARIE, limit=3, page=token, until=accessed)
        lines += [r.entry_ids for r in page]
        token = page.next_page
        if token is None:
            break
    # The paging calls add history views after *until*: the same lines as one read of them all.
    assert lines == [r.entry_ids for r in everything if r.action != "door.history.view"]


def test_bad_history_requests_are_refused_before_anything_is_recorded(door: FrontDoor) -> None:
    """A malformed page token or limit is a typed error, and the client's log gets no entry."""
    before = len(_entries(door))
    with pytest.raises(InvalidFormat):
        door.history(_person(MARIE), MARIE, page="next")
    with pytest.raises(OutOfRange):
        door.history(_person(MARIE), MARIE, limit=10_000)
    assert len(_entries(door)) == before


def test_a_language_change_and_an_items_action_read_as_sentences(door: FrontDoor) -> None:
    """The client's own language change and a representative's action on an item each read as one sentence, in both languages."""
    _grants(door)
    marie, jean = _person(MARIE), _rep(door, "acct-jean")
    door.set_preferred_language(marie, "fr")
    door.perform(jean, MARIE, "app-marie", "withdraw")
    (acted,) = door.history(marie, MARIE, person=jean.actor_id)
    # The door records Jean's action once; the service's gated write for him
    # is part of the same line.
    assert acted.action == "door.item.perform" and acted.decision is Decision.ALLOWED
    assert len(acted.entry_ids) == 2
    assert acted.text == (
        "Your representative Jean Roy acted on your application Visitor visa (V100000001), "
        "acting for you under the access you gave them on 1 March 2026."
    )
    french = door.history(marie, MARIE, language="fr", limit=500)
    assert "Vous avez modifié votre langue de préférence." in [r.text for r in french]
    (fr_acted,) = [r for r in french if r.action == "door.item.perform"]
    assert fr_acted.text == (
        "Votre représentant Jean Roy a agi sur votre demande Visa de visiteur (V100000001), "
        "en agissant pour vous en vertu de l'accès que vous lui avez donné le 1er mars 2026."
    )
    english = [r.text for r in door.history(marie, MARIE, person=MARIE, limit=500)]
    assert "You changed your preferred language." in english


def test_the_directory_never_names_another_clients_item(door: FrontDoor) -> None:
    """An id of Jean's application, tried in Marie's file, reads "an item" in her history; only Jean's own names it."""
    _grants(door)
    with door.store.unit_of_work() as uow:
        uow.items.add(
            ServiceItem(
                item_id="app-jean",
                account_id="acct-jean",
                service_id="status",
                kind=ItemKind.APPLICATION,
                reference="W200000002",
                state=ItemState.IN_PROGRESS,
                title=BilingualText("Work permit", "Permis de travail"),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        uow.commit()
    sam = _rep(door, "acct-sam")
    with pytest.raises(NotFound):
        door.item(sam, MARIE, "app-jean")
    (line,) = door.history(_person(MARIE), MARIE, person=sam.actor_id)
    assert line.text == (
        "Your representative Sam Martin tried to view an item. "
        "Refused: there is no such item in your file."
    )
    assert "Work permit" not in line.text and "W200000002" not in line.text
    directory = StoreDirectory(door.store, door.services)
    assert directory.item(MARIE, "app-jean") is None
    named = directory.item("acct-jean", "app-jean")
    assert named is not None
    assert named.en == "your application Work permit (W200000002)"
