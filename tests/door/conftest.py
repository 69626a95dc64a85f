"""
A front door on a real database (SQLite and PostgreSQL) with logins at the
real development provider over TLS, a status service plugin, and helpers
that log people in the way a browser would.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import attrs
import httpx
import pytest
from joserfc.jwk import RSAKey

from ircc_account import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    FrontDoor,
    FrontDoorConfig,
    Keyring,
    PersonalDetails,
    hookimpl,
)
from ircc_account.audit import CheckpointSigner
from ircc_account.delegation import Licence, LicenceStatus
from ircc_account.devidp import DevClient, DevelopmentProvider, DevProviderConfig, DevUser
from ircc_account.identity import LoginOutcome, PrivateKeyJwt, ProviderConfig
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    ItemKind,
    ItemState,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
    TimelineEvent,
    TimelineKind,
)
from ircc_account.testing._oidc_provider import drive_login
from ircc_account.testing._tls import TestCA, make_test_ca

REDIRECT = "https://portal.example.test/login/callback"
SIGNED_OUT = "https://portal.example.test/signed-out"
USERS = (
    DevUser("marie", "sub-marie", "marie@example.test", "Marie", "Tremblay"),
    DevUser("ahmed", "sub-ahmed", "ahmed@example.test", "Ahmed", "Haddad"),
    DevUser("jean", "sub-jean", "jean@example.test", "Jean", "Roy"),
    DevUser("olivia", "sub-olivia", "olivia@example.test", "Olivia", "Chen"),
    DevUser("sam", "sub-sam", "sam@example.test", "Sam", "Martin"),
    DevUser("pat", "sub-pat", "pat@example.test", "Pat", "Singh"),
    DevUser("weak", "sub-weak", "weak@example.test", "Wes", "Low", acr="urn:ircc:loa:1"),
)
ACR_MAP = {
    "urn:ircc:loa:1": AssuranceLevel.LOW,
    "urn:ircc:loa:2": AssuranceLevel.MODERATE,
    "urn:ircc:loa:3": AssuranceLevel.HIGH,
}
OFFICER = Actor(actor_id="officer-onboarding", capacity=Capacity.OFFICER)


class Verifier:
    """A licensing body: licences are valid until their expiry, unless struck off."""

    def __init__(self) -> None:
        self.struck_off: set[str] = set()

    def verify(self, licence: Licence) -> LicenceStatus:
        return LicenceStatus(
            valid=licence.number not in self.struck_off,
            expires_on=licence.expires_on,
            checked_at=dt.datetime.now(dt.UTC),
        )


def status_plugin() -> object:
    """
    A status service: lists the client's items, tells an item's timeline,
    offers "withdraw" (needs ``act``) and "ask" (needs ``enquire``).
    """

    @hookimpl
    def ircc_service_manifest() -> ServiceManifest:
        return ServiceManifest(
            service_id="status",
            version="1.0.0",
            title=BilingualText(en="Application status", fr="État de la demande"),
            description=BilingualText(en="Where things stand.", fr="Où en est votre dossier."),
            assurance=AssuranceLevel.MODERATE,
            scopes={"view_status", "act", "enquire"},
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_client_items(ctx: ServiceContext) -> Sequence[ServiceItem]:
        return list(ctx.items.list())

    @hookimpl
    def ircc_item_timeline(ctx: ServiceContext, item_id: str) -> Sequence[TimelineEvent]:
        return list(ctx.timeline.list(item_id))

    @hookimpl
    def ircc_item_actions(ctx: ServiceContext, item_id: str) -> Sequence[ActionOffer]:
        return [
            ActionOffer(action="withdraw", label=BilingualText("Withdraw", "Retirer"), scope="act"),
            ActionOffer(action="ask", label=BilingualText("Ask", "Demander"), scope="enquire"),
        ]

    @hookimpl
    def ircc_perform_action(
        ctx: ServiceContext, item_id: str, action: str, payload: dict[str, Any]
    ) -> ActionResult:
        if action == "withdraw":
            item = ctx.items.set_state(
                item_id,
                ItemState.WITHDRAWN,
                summary=BilingualText("Withdrawn", "Retirée"),
            )
            return ActionResult(ok=True, message=BilingualText("Done", "Fait"), item=item)
        return ActionResult(ok=True, message=BilingualText("Sent", "Envoyé"))

    return SimpleNamespace(
        ircc_service_manifest=ircc_service_manifest,
        ircc_client_items=ircc_client_items,
        ircc_item_timeline=ircc_item_timeline,
        ircc_item_actions=ircc_item_actions,
        ircc_perform_action=ircc_perform_action,
    )


@attrs.define
class DevIdp:
    """The running development provider and what a portal needs to trust it."""

    url: str
    key: RSAKey
    ca: TestCA


@pytest.fixture(scope="session")
def devidp() -> Iterator[DevIdp]:
    """The development provider over HTTPS, with one private_key_jwt client and the test users."""
    ca = make_test_ca()
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True)
    provider = DevelopmentProvider(
        DevProviderConfig(
            development_mode=True,
            clients=(
                DevClient(
                    client_id="portal",
                    jwks={"keys": [key.as_dict(private=False)]},
                    redirect_uris=(REDIRECT,),
                    post_logout_redirect_uris=(SIGNED_OUT,),
                    token_endpoint_auth_method="private_key_jwt",
                ),
            ),
            users=USERS,
        )
    )
    with provider.serve(ssl_context=ca.server_context) as server:
        yield DevIdp(url=server.url, key=key, ca=ca)


@pytest.fixture
def verifier() -> Verifier:
    """The licensing bodies."""
    return Verifier()


@pytest.fixture
def door(database_url: str, devidp: DevIdp, verifier: Verifier) -> Iterator[FrontDoor]:
    """A front door with logins at the development provider and the status service."""
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=verifier,
        providers=[
            ProviderConfig(
                name="dev",
                issuer=devidp.url,
                client_id="portal",
                client_auth=PrivateKeyJwt(
                    key=devidp.key.private_key, key_id=devidp.key.kid, algorithm="RS256"
                ),
                redirect_uri=REDIRECT,
                post_logout_redirect_uri=SIGNED_OUT,
                acr_map=ACR_MAP,
            )
        ],
        provider_tls=devidp.ca.client_context,
        checkpoint_signer=CheckpointSigner.generate(),
        plugin_deadline=5.0,
    )
    with FrontDoor.open(config, plugins={"status": status_plugin()}) as front:
        yield front


@attrs.define
class Browser:
    """One person's browser: their cookie, and an HTTP client that trusts the provider."""

    door: FrontDoor
    http: httpx.Client
    username: str
    cookie: str | None = None

    def login(self) -> LoginOutcome:
        """Log in at the development provider as this browser's user."""
        redirect = self.door.identity.start_login(
            self.cookie, "dev", client_key="203.0.113.7", login_hint=self.username
        )
        if redirect.issued is not None:
            self.cookie = redirect.issued.cookie_value
        response = drive_login(self.http, redirect.url, REDIRECT)
        result = self.door.identity.complete_login(
            self.cookie, urllib.parse.urlencode(response), client_key="203.0.113.7"
        )
        self.cookie = result.issued.cookie_value
        return result.outcome

    def sign_up(self) -> str:
        """Log in for the first time and open an account; returns the account id."""
        assert self.login() is LoginOutcome.NEW_CREDENTIAL
        account, issued = self.door.identity.register_account(
            self.cookie,
            personal=PersonalDetails(
                family_name=self.username.title(),
                given_names="Test",
                date_of_birth="1985-07-14",
            ),
            contact=ContactDetails(email=f"{self.username}@example.test"),
        )
        self.cookie = issued.cookie_value
        return account.account_id

    @property
    def session(self) -> Any:
        return self.door.identity.get_session(self.cookie)

    def actor(self, **options: Any) -> Actor:
        return self.door.actor(self.session, **options)


@pytest.fixture
def browser(door: FrontDoor, devidp: DevIdp) -> Iterator[Callable[[str], Browser]]:
    """Open a browser for a test user."""
    clients: list[httpx.Client] = []

    def open_browser(username: str) -> Browser:
        http = httpx.Client(verify=devidp.ca.client_context)
        clients.append(http)
        return Browser(door=door, http=http, username=username)

    yield open_browser
    for http in clients:
        http.close()


def add_item(door: FrontDoor, client_id: str, item_id: str = "app-1") -> ServiceItem:
    """An application the department holds for *client_id* (as a legacy feed would write it)."""
    now = dt.datetime.now(dt.UTC)
    item = ServiceItem(
        item_id=item_id,
        account_id=client_id,
        service_id="status",
        kind=ItemKind.APPLICATION,
        reference=f"V{abs(hash(item_id)) % 10**9:09d}",
        state=ItemState.IN_PROGRESS,
        title=BilingualText("Visitor visa", "Visa de visiteur"),
        created_at=now,
        updated_at=now,
    )
    with door.store.unit_of_work() as uow:
        uow.items.add(item)
        uow.timeline.append(
            TimelineEvent(
                event_id=f"ev-{item_id}",
                item_id=item_id,
                kind=TimelineKind.SUBMITTED,
                occurred_at=now,
                state=ItemState.SUBMITTED,
                summary=BilingualText("Received", "Reçue"),
            )
        )
        uow.commit()
    return item
