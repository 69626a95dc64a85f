"""
The development provider on loopback over HTTPS, with a portal registered,
and what a door needs to log people in at it without a browser.
"""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ircc_account._door import FrontDoor, FrontDoorConfig
from ircc_account._model import AssuranceLevel, ContactDetails, PersonalDetails
from ircc_account.devidp import (
    DevClient,
    DevelopmentProvider,
    DevProviderConfig,
    DevUser,
    LocalTls,
    RunningServer,
)
from ircc_account.identity import ClientSecret, LoginResult, ProviderConfig

from ._people import LicencesInGoodStanding

__all__ = ["ACR_MAP", "TEST_USERS", "LocalProvider"]

#: The assurance levels the development provider's ``acr`` values stand for.
ACR_MAP: Mapping[str, AssuranceLevel] = {
    "urn:ircc:loa:1": AssuranceLevel.LOW,
    "urn:ircc:loa:2": AssuranceLevel.MODERATE,
    "urn:ircc:loa:3": AssuranceLevel.HIGH,
}

#: The development provider's people: ``wes`` logs in at LOW, ``hugo`` at
#: HIGH, the others at MODERATE.
TEST_USERS: tuple[DevUser, ...] = (
    DevUser("marie", "sub-marie", "marie@example.test", "Marie", "Tremblay"),
    DevUser("ahmed", "sub-ahmed", "ahmed@example.test", "Ahmed", "Haddad"),
    DevUser("jean", "sub-jean", "jean@example.test", "Jean", "Roy"),
    DevUser("olivia", "sub-olivia", "olivia@example.test", "Olivia", "Chen"),
    DevUser("sam", "sub-sam", "sam@example.test", "Sam", "Martin"),
    DevUser("wes", "sub-wes", "wes@example.test", "Wes", "Low", acr="urn:ircc:loa:1"),
    DevUser("hugo", "sub-hugo", "hugo@example.test", "Hugo", "Haut", acr="urn:ircc:loa:3"),
)

_CLIENT_KEY = "198.51.100.7"


class LocalProvider:
    """
    The development provider (:mod:`ircc_account.devidp`) serving over
    HTTPS on 127.0.0.1 with a throw-away certificate authority
    (:class:`~ircc_account.devidp.LocalTls`), one portal registered, and
    :data:`TEST_USERS`. Start it with :meth:`start`, stop it with
    :meth:`close` (or ``with``).

    Attributes:
        provider: The running :class:`~ircc_account.devidp.DevelopmentProvider`
            (``provider.end_session(sid)``, ``provider.rotate_keys()``).
        url: Its issuer, ``https://127.0.0.1:PORT``.
        tls: The certificate authority; ``tls.client_context`` trusts it.
        origin: The portal's origin the provider redirects back to.
        client_id: The portal's client id at the provider.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        provider: DevelopmentProvider,
        server: RunningServer,
        tls: LocalTls,
        origin: str,
        client_id: str,
        secret: str,
    ) -> None:
        self.provider = provider
        self.url = server.url
        self.tls = tls
        self.origin = origin
        self.client_id = client_id
        self._secret = secret
        self._server = server

    def __repr__(self) -> str:
        return f"LocalProvider(url={self.url!r})"

    @classmethod
    def start(
        cls,
        *,
        users: Sequence[DevUser] = TEST_USERS,
        origin: str = "https://portal.example.test",
        client_id: str = "portal",
    ) -> LocalProvider:
        """
        Start the provider with *users*, and a portal at *origin* whose
        callback is ``{origin}/login/callback``.
        """
        tls = LocalTls.generate()
        secret = secrets.token_urlsafe(32)
        provider = DevelopmentProvider(
            DevProviderConfig(
                development_mode=True,
                clients=(
                    DevClient(
                        client_id=client_id,
                        client_secret=secret,
                        redirect_uris=(f"{origin}/login/callback",),
                        post_logout_redirect_uris=(f"{origin}/logout/return",),
                    ),
                ),
                users=tuple(users),
            )
        )
        server = provider.serve(ssl_context=tls.server_context)
        return cls(
            provider=provider,
            server=server,
            tls=tls,
            origin=origin,
            client_id=client_id,
            secret=secret,
        )

    @property
    def callback(self) -> str:
        """The portal's login callback URL."""
        return f"{self.origin}/login/callback"

    def provider_config(
        self, *, name: str = "dev", acr_map: Mapping[str, AssuranceLevel] = ACR_MAP
    ) -> ProviderConfig:
        """
        The :class:`~ircc_account.identity.ProviderConfig` of this provider, named *name*.
        """
        return ProviderConfig(
            name=name,
            issuer=self.url,
            client_id=self.client_id,
            client_auth=ClientSecret(secret=self._secret),
            redirect_uri=self.callback,
            post_logout_redirect_uri=f"{self.origin}/logout/return",
            acr_map=dict(acr_map),
        )

    def door_config(self, database_url: str, **options: Any) -> FrontDoorConfig:
        """
        A :class:`~ircc_account.FrontDoorConfig` on *database_url* with logins
        here (provider ``dev``), a fresh keyring and
        :class:`~ircc_account.testing.LicencesInGoodStanding`; *options* set
        any other field.
        """
        from ircc_account._crypto import Keyring

        options.setdefault("keyring", Keyring.generate())
        options.setdefault("licence_verifier", LicencesInGoodStanding())
        return FrontDoorConfig(
            database_url=database_url,
            providers=[self.provider_config()],
            provider_tls=self.tls.client_context,
            **options,
        )

    def log_in(
        self,
        door: FrontDoor,
        username: str,
        *,
        cookie: str | None = None,
        provider: str = "dev",
        acr: AssuranceLevel | None = None,
    ) -> LoginResult:
        """
        Log *username* in at this provider through *door*, as a browser
        would: ``start_login``, the provider's redirects, then
        ``complete_login`` with the callback's query.

        Args:
            door: A door whose provider *provider* is this one.
            username: One of the provider's users (sent as ``login_hint``).
            cookie: The browser's current session cookie, if any.
            provider: The provider's name in the door's configuration.
            acr: The assurance level to ask for (a step-up).
        """
        redirect = door.identity.start_login(
            cookie, provider, client_key=_CLIENT_KEY, login_hint=username, acr=acr
        )
        if redirect.issued is not None:
            cookie = redirect.issued.cookie_value
        url = redirect.url
        with httpx.Client(verify=self.tls.client_context, timeout=10.0) as browser:
            for _ in range(10):
                if url.startswith(self.callback):
                    break
                url = urllib.parse.urljoin(url, browser.get(url).headers["location"])
        query = urllib.parse.urlsplit(url).query
        return door.identity.complete_login(cookie, query, client_key=_CLIENT_KEY)

    def sign_up(self, door: FrontDoor, username: str, *, date_of_birth: str = "1988-02-11") -> str:
        """
        Log *username* in for the first time and open their account;
        returns their session cookie.
        """
        user = next(u for u in self.provider.config.users if u.username == username)
        result = self.log_in(door, username)
        _, issued = door.identity.register_account(
            result.issued.cookie_value,
            personal=PersonalDetails(
                family_name=user.family_name,
                given_names=user.given_name,
                date_of_birth=date_of_birth,
            ),
            contact=ContactDetails(email=user.email),
        )
        return issued.cookie_value

    def close(self) -> None:
        """Stop serving and close the provider."""
        self._server.stop()
        self.provider.close()

    def __enter__(self) -> LocalProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
