"""
The demo's made-up people and their files, put in through the door alone:
each person signs in at the development provider (as a browser would, with
``login_hint``) and opens an account; the consultant registers with their
licence; the department registers an MP's office whose administrator
invites two staff in different access groups; clients authorize some of
them and have requests from others waiting; and, when the built-in
application services are installed, a visitor visa the consultant prepared
for Marie and a passport renewal Ahmed started; when enquiries are, the
office's open enquiry about Marie's tracked visa, its urgent request for
Marie and Élodie (who both authorized its east riding group), decided by
the department with reasons, and Élodie's own question, answered.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping, Sequence

import attrs
import httpx

from ircc_account import Actor, Capacity, ContactDetails, FrontDoor, Language, PersonalDetails
from ircc_account.delegation import Licence, Organisation
from ircc_account.devidp import DevUser
from ircc_account.services import (
    BilingualText,
    ItemKind,
    ItemState,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account.web import N_

from ._pages import DemoPerson
from ._plugins import DemoStatus

__all__ = ["PEOPLE", "Seeded", "dev_users", "seed"]

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("marie", "Marie", "Tremblay", N_("Client with three applications"), "1988-02-11"),
    DemoPerson("ahmed", "Ahmed", "Haddad", N_("Client with two requests to answer"), "1979-06-03"),
    DemoPerson("elodie", "Élodie", "Bouchard", N_("Client who reads French"), "1990-05-17"),
    DemoPerson("lucie", "Lucie", "Gagnon", N_("New here: opens an account")),
    DemoPerson("jean", "Jean", "Roy", N_("Licensed immigration consultant"), "1975-09-30"),
    DemoPerson("olivia", "Olivia", "Chen", N_("Administrator of an MP's office"), "1982-12-01"),
    DemoPerson("sam", "Sam", "Martin", N_("MP office staff, east riding group"), "1991-03-14"),
    DemoPerson("pat", "Pat", "Singh", N_("MP office staff, west riding group"), "1993-08-22"),
)
OFFICE_ID = "org-mp-ottawa-centre"
OFFICE_NAME = "Office of the MP for Ottawa Centre"
OFFICER = Actor(actor_id="officer-demo-onboarding", capacity=Capacity.OFFICER)
_CLIENT_KEY = "demo-seed"


@attrs.frozen
class Seeded:
    """
    What the seeding made, for the home page and the printed logins.

    Attributes:
        accounts: Client numbers, by username.
        representatives: Representative numbers, by username.
        names: Display names of representatives and the office, by id.
    """

    accounts: Mapping[str, str]
    representatives: Mapping[str, str]
    names: Mapping[str, str]


def dev_users(people: Sequence[DemoPerson] = PEOPLE) -> tuple[DevUser, ...]:
    """
    The development provider's test users, one per demo person.
    """
    return tuple(
        DevUser(
            p.username,
            f"sub-{p.username}",
            f"{p.username}@example.test",
            p.given_name,
            p.family_name,
        )
        for p in people
    )


def _sign_up(
    door: FrontDoor, http: httpx.Client, person: DemoPerson, callback: str
) -> tuple[str, str]:
    """
    Sign *person* in at the development provider and open their account.

    Returns:
        Their session cookie and their account id.
    """
    redirect = door.identity.start_login(
        None, "dev", client_key=_CLIENT_KEY, login_hint=person.username
    )
    assert redirect.issued is not None
    url = redirect.url
    for _ in range(8):
        if url.startswith(callback):
            break
        url = urllib.parse.urljoin(url, http.get(url).headers["location"])
    result = door.identity.complete_login(
        redirect.issued.cookie_value, urllib.parse.urlsplit(url).query, client_key=_CLIENT_KEY
    )
    assert person.date_of_birth is not None
    account, issued = door.identity.register_account(
        result.issued.cookie_value,
        personal=PersonalDetails(
            family_name=person.family_name,
            given_names=person.given_name,
            date_of_birth=person.date_of_birth,
        ),
        contact=ContactDetails(email=f"{person.username}@example.test"),
        preferred_language=Language.ENGLISH,
    )
    return issued.cookie_value, account.account_id


def _application(
    door: FrontDoor,
    client_id: str,
    item_id: str,
    reference: str,
    title: BilingualText,
    steps: Sequence[tuple[int, TimelineKind, ItemState | None, BilingualText]],
) -> None:
    """
    Put an application and its history in a client's file, as the
    department's systems would (a legacy feed writes through the store).
    """
    now = dt.datetime.now(dt.UTC)
    state = next((s for _, _, s, _ in reversed(steps) if s is not None), ItemState.SUBMITTED)
    created = now - dt.timedelta(days=steps[0][0])
    with door.store.unit_of_work() as uow:
        uow.items.add(
            ServiceItem(
                item_id=item_id,
                account_id=client_id,
                service_id=DemoStatus.SERVICE_ID,
                kind=ItemKind.APPLICATION,
                reference=reference,
                state=state,
                title=title,
                created_at=created,
                updated_at=now - dt.timedelta(days=steps[-1][0]),
            )
        )
        for n, (days_ago, kind, step_state, summary) in enumerate(steps):
            uow.timeline.append(
                TimelineEvent(
                    event_id=f"{item_id}-ev{n}",
                    item_id=item_id,
                    kind=kind,
                    occurred_at=now - dt.timedelta(days=days_ago),
                    state=step_state,
                    summary=summary,
                )
            )
        uow.commit()


def _applications(door: FrontDoor, marie: str, ahmed: str) -> None:
    received = BilingualText("We received your application.", "Nous avons reçu votre demande.")
    _application(
        door,
        marie,
        "app-1001",
        "V300123456",
        BilingualText("Visitor visa", "Visa de visiteur"),
        [
            (61, TimelineKind.SUBMITTED, ItemState.SUBMITTED, received),
            (
                40,
                TimelineKind.STATUS_CHANGED,
                ItemState.IN_PROGRESS,
                BilingualText(
                    "We are reviewing your eligibility.", "Nous évaluons votre admissibilité."
                ),
            ),
            (
                12,
                TimelineKind.NOTE,
                None,
                BilingualText(
                    "Your biometrics were received.", "Vos données biométriques ont été reçues."
                ),
            ),
        ],
    )
    _application(
        door,
        marie,
        "app-1002",
        "S200456789",
        BilingualText("Study permit", "Permis d'études"),
        [
            (30, TimelineKind.SUBMITTED, ItemState.SUBMITTED, received),
            (
                5,
                TimelineKind.DOCUMENT_REQUESTED,
                ItemState.ACTION_REQUIRED,
                BilingualText(
                    "We need a police certificate from each country you lived in "
                    "for 6 months or more since age 18.",
                    "Il nous faut un certificat de police de chaque pays où vous avez "
                    "vécu 6 mois ou plus depuis l'âge de 18 ans.",
                ),
            ),
        ],
    )
    _application(
        door,
        marie,
        "app-1003",
        "W100987654",
        BilingualText("Work permit", "Permis de travail"),
        [
            (120, TimelineKind.SUBMITTED, ItemState.SUBMITTED, received),
            (
                9,
                TimelineKind.DECISION,
                ItemState.DECISION_MADE,
                BilingualText(
                    "Approved. Your work permit will be mailed to you.",
                    "Approuvée. Votre permis de travail vous sera posté.",
                ),
            ),
        ],
    )
    _application(
        door,
        ahmed,
        "app-1004",
        "E000554433",
        BilingualText("Permanent residence", "Résidence permanente"),
        [(14, TimelineKind.SUBMITTED, ItemState.SUBMITTED, received)],
    )
    _application(
        door,
        ahmed,
        "app-1005",
        "C000112233",
        BilingualText("Citizenship", "Citoyenneté"),
        [
            (200, TimelineKind.SUBMITTED, ItemState.SUBMITTED, received),
            (
                90,
                TimelineKind.STATUS_CHANGED,
                ItemState.IN_PROGRESS,
                BilingualText(
                    "Background checks are under way.",
                    "Les vérifications des antécédents sont en cours.",
                ),
            ),
        ],
    )


def _tracked(door: FrontDoor, marie: str, elodie: str) -> None:
    """
    Marie's and Élodie's files in the built-in status tracker and decision
    notes, as the department's systems put them there (through the
    services' desks), when those services are installed and allowlisted:
    Marie's visitor visa in processing with a request to answer and a wait
    on a panel physician, and her refused study permit with the officer's
    reasons, one passage withheld; Élodie's work permit in processing.
    """
    from ircc_account.builtin import notes, status

    if status.SERVICE_ID not in door.services.service_ids:
        return
    staff = status.Staff(actor=OFFICER, office="ndl", role=status.StaffRole.OFFICER)
    desk = status.StatusDesk(door)
    today = dt.datetime.now(dt.UTC)
    visa = desk.open(
        staff,
        marie,
        program="visitor-visa",
        reference="V300765432",
        title=BilingualText("Visitor visa (tracked)", "Visa de visiteur (suivi)"),
        received_at=today - dt.timedelta(days=40),
    ).item_id
    desk.change_phase(staff, visa, status.Phase.ELIGIBILITY, at=today - dt.timedelta(days=30))
    desk.change_phase(staff, visa, status.Phase.BIOMETRICS, at=today - dt.timedelta(days=20))
    desk.request(
        staff,
        visa,
        status.Requirement(
            title=BilingualText("Police certificate", "Certificat de police"),
            details=(
                BilingualText(
                    "From each country you lived in for 6 months or more since age 18",
                    "De chaque pays où vous avez vécu 6 mois ou plus depuis l'âge de 18 ans",
                ),
                BilingualText(
                    "Translated into English or French by a certified translator",
                    "Traduit en anglais ou en français par un traducteur agréé",
                ),
            ),
            due=(today + dt.timedelta(days=30)).date(),
        ),
        at=today - dt.timedelta(days=5),
    )
    desk.document_received(
        staff, visa, BilingualText("Passport copy", "Copie du passeport"),
        at=today - dt.timedelta(days=40),
    )  # fmt: skip
    desk.wait_on(
        staff,
        visa,
        status.Party.PANEL_PHYSICIAN,
        BilingualText("Your medical exam results", "Les résultats de votre examen médical"),
    )
    desk.release_comment(
        staff,
        visa,
        BilingualText(
            "Your biometrics were received; thank you.",
            "Vos données biométriques ont été reçues; merci.",
        ),
    )
    permit = desk.open(
        staff,
        elodie,
        program="work-permit",
        reference="W100765432",
        title=BilingualText("Work permit (tracked)", "Permis de travail (suivi)"),
        received_at=today - dt.timedelta(days=25),
    ).item_id
    desk.change_phase(staff, permit, status.Phase.ELIGIBILITY, at=today - dt.timedelta(days=15))
    if notes.SERVICE_ID not in door.services.service_ids:
        return
    study = desk.open(
        staff,
        marie,
        program="study-permit",
        reference="S200765432",
        title=BilingualText("Study permit (tracked)", "Permis d'études (suivi)"),
        received_at=today - dt.timedelta(days=90),
    ).item_id
    funds = desk.request(
        staff,
        study,
        status.Requirement(
            title=BilingualText("Proof of funds", "Preuve de fonds"),
            due=(today + dt.timedelta(days=10)).date(),
        ),
        at=today - dt.timedelta(days=60),
    )
    desk.respond(staff, study, funds)
    notes.NotesDesk(door).record_decision(
        staff,
        study,
        notes.Outcome.REFUSED,
        [
            notes.NoteReason(
                criterion=notes.Criterion.PURPOSE_OF_VISIT,
                parts=[
                    BilingualText(
                        "The study plan does not explain why this program suits your goals.",
                        "Le plan d'études n'explique pas pourquoi ce programme convient à vos "
                        "objectifs.",
                    ),
                    notes.Withheld(basis=notes.Exemption.THIRD_PARTY),
                ],
            ),
            notes.NoteReason(
                requirement=funds,
                parts=[
                    BilingualText(
                        "The proof of funds does not cover the first year's tuition.",
                        "La preuve de fonds ne couvre pas les droits de scolarité de la "
                        "première année.",
                    )
                ],
            ),
        ],
    )


def _tracked_item(door: FrontDoor, client_id: str, reference: str) -> str | None:
    """The status tracker's item *reference* in *client_id*'s file, if seeded."""
    from ircc_account.builtin import status

    with door.store.unit_of_work(write=False) as uow:
        tracked = uow.items.for_account(client_id, service_id=status.SERVICE_ID)
    return next((i.item_id for i in tracked if i.reference == reference), None)


def _enquiries(door: FrontDoor, sam: Actor, marie: str, elodie: Actor) -> None:
    """
    When the enquiries service and the status tracker are installed: the MP
    office's east riding group asked about Marie's tracked visitor visa (an
    open enquiry in the office's list); it requested urgent processing for
    Marie and Élodie at once, and the department decided both with their
    reasons (granted for Marie, refused for Élodie); and Élodie asked about
    her work permit herself and the department answered. With the
    notifications service, each decision and answer is emailed to the
    client, her representatives and the office's caseworker, each in their
    own language.
    """
    from ircc_account.builtin import enquiries, status

    if not {enquiries.SERVICE_ID, status.SERVICE_ID} <= set(door.services.service_ids):
        return
    visa = _tracked_item(door, marie, "V300765432")
    permit = _tracked_item(door, elodie.actor_id, "W100765432")
    if visa is None or permit is None:
        return
    filing = enquiries.Enquiries(door)
    filing.file(
        sam,
        marie,
        visa,
        enquiries.EnquiryRequest(
            question="Ms. Tremblay asked our office when her visa will be decided; her "
            "sister's wedding is in three months."
        ),
    )
    staff = status.Staff(actor=OFFICER, office="ndl", role=status.StaffRole.OFFICER)
    desk = enquiries.EnquiryDesk(door)
    filed = filing.file_many(
        sam,
        [(marie, visa), (elodie.actor_id, permit)],
        enquiries.EnquiryRequest(
            question="Ms. Tremblay and her sister Ms. Bouchard must travel to Lyon next week: "
            "their mother is gravely ill.",
            category=enquiries.Category.FAMILY_EMERGENCY_TRAVEL,
            # mypy leaves the frozenset converter's type variable unsolved.
            attested={"family", "soon"},  # type: ignore[arg-type]
            travel_date=dt.datetime.now(dt.UTC).date() + dt.timedelta(days=8),
        ),
    )
    reasons = {
        marie: BilingualText(
            "The family emergency and the travel date are shown; your visa will be decided "
            "before you travel.",
            "L'urgence familiale et la date du voyage sont établies; votre visa sera tranché "
            "avant votre départ.",
        ),
        elodie.actor_id: BilingualText(
            "A work permit is not needed to travel abroad; nothing here can be sped up.",
            "Un permis de travail n'est pas nécessaire pour voyager à l'étranger; rien ici ne "
            "peut être accéléré.",
        ),
    }
    for one in filed:
        if one.enquiry is not None:
            desk.decide(
                staff,
                one.client_id,
                one.enquiry.enquiry_id,
                granted=one.client_id == marie,
                reason=reasons[one.client_id],
            )
    asked = filing.file(
        elodie,
        elodie.actor_id,
        permit,
        enquiries.EnquiryRequest(
            question="Quand ma demande de permis de travail sera-t-elle traitée?"
        ),
    )
    desk.answer(
        staff,
        elodie.actor_id,
        asked.enquiry_id,
        doing=BilingualText(
            "An officer is checking your job offer with the employer this month.",
            "Un agent vérifie votre offre d'emploi auprès de l'employeur ce mois-ci.",
        ),
        client_must=BilingualText(
            "Nothing for now; keep your passport valid and watch this account.",
            "Rien pour l'instant; gardez votre passeport valide et surveillez ce compte.",
        ),
    )


def _application_drafts(
    door: FrontDoor, accounts: Mapping[str, str], jean: Actor, ahmed: Actor
) -> None:
    """
    Drafts in the built-in application services, when they are installed
    and allowlisted: the consultant has prepared Marie's visitor visa (her
    documents and her signature to come); Ahmed has started renewing his
    passport. Through the services' desks, as a portal would.
    """
    today = dt.datetime.now(dt.UTC).date()

    def day(days: int) -> str:
        return (today + dt.timedelta(days=days)).isoformat()

    if "trv" in door.services.service_ids:
        from ircc_account.builtin.applications import ApplicationDesk
        from ircc_account.builtin.trv import plugin as trv

        desk = ApplicationDesk(door, trv)
        view = desk.start(jean, accounts["marie"])
        desk.save(
            jean,
            accounts["marie"],
            view.draft.draft_id,
            {
                "family_name": "Tremblay",
                "given_names": "Marie",
                "sex": "female",
                "date_of_birth": "1988-02-11",
                "birth_city": "Dakar",
                "birth_country": "SN",
                "citizenship": "SN",
                "residence_country": "SN",
                "purpose": "family_visit",
                "arrival_date": day(60),
                "departure_date": day(80),
                "funds": "4500",
            },
            version=view.draft.version,
        )
    if "passport-renewal" in door.services.service_ids:
        from ircc_account.builtin.applications import ApplicationDesk
        from ircc_account.builtin.passport import plugin as passport

        desk = ApplicationDesk(door, passport)
        view = desk.start(ahmed, accounts["ahmed"])
        desk.save(
            ahmed,
            accounts["ahmed"],
            view.draft.draft_id,
            {
                "date_of_birth": "1979-06-03",
                "previous_issued": day(-9 * 365),
                "previous_validity": "ten_years",
                "lost_stolen_damaged": "no",
                "in_possession": "yes",
                "name_changed": "no",
            },
            version=view.draft.version,
        )


def seed(door: FrontDoor, http: httpx.Client, callback: str) -> Seeded:
    """
    Make the demo's people, their files, the consultant and the MP's office.

    Args:
        door: A front door over an empty database, with the provider ``dev``.
        http: An HTTP client that trusts the development provider.
        callback: The portal's login callback (the walk stops there).
    """
    by_name = {p.username: p for p in PEOPLE}
    cookies: dict[str, str] = {}
    accounts: dict[str, str] = {}
    for person in PEOPLE:
        if person.date_of_birth is not None:
            cookies[person.username], accounts[person.username] = _sign_up(
                door, http, by_name[person.username], callback
            )

    def actor(username: str, *, rep: bool = False) -> Actor:
        return door.actor(door.identity.get_session(cookies[username]), as_representative=rep)

    _applications(door, accounts["marie"], accounts["ahmed"])
    # Élodie reads French: her pages and her emails are in French.
    door.set_preferred_language(actor("elodie"), "fr")
    _tracked(door, accounts["marie"], accounts["elodie"])
    consultant = door.onboarding.register_representative(
        actor("jean"),
        kind="consultant",
        display_name="Jean Roy, RCIC",
        licence=Licence(body="cicc", number="R529311", expires_on="2031-03-31"),
    )
    door.onboarding.onboard_organisation(
        OFFICER,
        Organisation(
            organisation_id=OFFICE_ID,
            kind="mp_office",
            name=OFFICE_NAME,
            created_at=dt.datetime.now(dt.UTC),
        ),
        administrator_account_id=accounts["olivia"],
        administrator_name="Olivia Chen",
    )
    for username, group in (("sam", "riding-east"), ("pat", "riding-west")):
        invitation = door.onboarding.invite(
            actor("olivia", rep=True), OFFICE_ID, role="staff", access_groups=[group]
        )
        door.onboarding.join(
            actor(username), invitation.code, display_name=by_name[username].given_name
        )
    # Marie authorizes the consultant for her whole file, and the office's
    # east riding group for status enquiries (an office may hold no more).
    door.grants.give(
        actor("marie"),
        grantee_id=consultant.representative_id,
        scopes=["view_status", "act"],
        coverage="account",
    )
    door.grants.give(
        actor("marie"),
        grantee_id=OFFICE_ID,
        grantee_is_organisation=True,
        access_group="riding-east",
        scopes=["view_status", "enquire"],
        coverage="account",
    )
    # Élodie, Marie's sister, authorizes the same group, so its caseworker
    # can ask about both sisters' files at once.
    door.grants.give(
        actor("elodie"),
        grantee_id=OFFICE_ID,
        grantee_is_organisation=True,
        access_group="riding-east",
        scopes=["view_status", "enquire"],
        coverage="account",
    )
    _enquiries(door, actor("sam", rep=True), accounts["marie"], actor("elodie"))
    # Ahmed has two requests to answer: the consultant's, and the office's
    # for its west riding group.
    door.grants.request(
        actor("jean", rep=True),
        client_id=accounts["ahmed"],
        scopes=["view_status", "act"],
        coverage="account",
    )
    door.grants.request(
        actor("olivia", rep=True),
        client_id=accounts["ahmed"],
        organisation_id=OFFICE_ID,
        access_group="riding-west",
        scopes=["view_status", "enquire"],
        coverage="account",
    )
    representatives = {"jean": consultant.representative_id}
    for username in ("olivia", "sam", "pat"):
        rep = door.principal(door.identity.get_session(cookies[username])).representative
        if rep is not None:
            representatives[username] = rep.representative_id
    names = {consultant.representative_id: consultant.display_name, OFFICE_ID: OFFICE_NAME}
    _application_drafts(door, accounts, actor("jean", rep=True), actor("ahmed"))
    for cookie in cookies.values():
        door.identity.logout(cookie)
    return Seeded(accounts=accounts, representatives=representatives, names=names)
