"""
RFC 7662 introspection of delegation tokens on the web: a legacy system,
authenticated with its own secret, learns whether a token still stands,
from the current state of its grant, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import secrets
import warnings
from collections.abc import Callable, Iterator

import attrs
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.exceptions import StarletteDeprecationWarning

from ircc_account import Actor, FrozenClock
from ircc_account.authz import Action, Resource
from ircc_account.delegation import DelegationTokenIssuer
from ircc_account.errors import ConfigurationError
from ircc_account.web import add_token_introspection

from .conftest import ORIGIN, Browser, Site, signed_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ISS = "https://account.example.ca"
PATH = "/delegation/introspect"
GCMS, OTHER = "legacy-gcms", "legacy-other"
SECRETS = {GCMS: secrets.token_urlsafe(32), OTHER: secrets.token_urlsafe(32)}


def _basic(name: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()


@attrs.define
class Legacy:
    """The portal with introspection mounted, a token for GCMS, and what it rests on."""

    site: Site
    issuer: DelegationTokenIssuer
    clock: FrozenClock
    http: TestClient
    token: str
    marie: Actor
    jean: Actor

    def ask(
        self, token: str | None = None, *, caller: str = GCMS, secret: str | None = None
    ) -> httpx.Response:
        """POST the token as *caller* would."""
        return self.http.post(
            PATH,
            data={"token": self.token if token is None else token},
            headers={
                "Authorization": _basic(caller, SECRETS[caller] if secret is None else secret)
            },
        )

    def issue(self) -> str:
        """A new token for Jean acting for Marie, for GCMS."""
        resource = Resource(client_id=self.site.seeded.accounts["marie"])
        with self.site.door.store.unit_of_work() as uow:
            token = self.issuer.issue(
                self.jean, Action.VIEW_STATUS, resource, audience=GCMS, uow=uow
            )
            uow.commit()
        return token


@pytest.fixture
def legacy(site: Site, browser: Callable[..., Browser]) -> Iterator[Legacy]:
    """Introspection on the demo portal, and a token for the consultant acting for Marie."""
    door = site.door
    clock = FrozenClock(dt.datetime.now(dt.UTC))
    issuer = DelegationTokenIssuer(
        issuer=ISS, keys=[Ed25519PrivateKey.generate()], policy=door.policy, clock=clock
    )
    add_token_introspection(site.web, issuer, callers=SECRETS)
    jean = door.actor(
        door.identity.get_session(signed_in(site, browser, "jean").cookie), as_representative=True
    )
    marie = door.actor(door.identity.get_session(signed_in(site, browser, "marie").cookie))
    made = Legacy(site, issuer, clock, TestClient(site.web, base_url=ORIGIN), "", marie, jean)
    made.token = made.issue()
    yield made
    made.http.close()


def test_a_token_is_active_until_its_grant_is_revoked(legacy: Legacy) -> None:
    """A good token is active with its claims, asked twice; once Marie revokes the grant, the next call says inactive."""
    first = legacy.ask()
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["active"] is True
    assert answer["aud"] == GCMS and answer["iss"] == ISS
    assert answer["sub"] == legacy.site.seeded.accounts["marie"]
    assert answer["act"] == {"sub": legacy.jean.representative_id}
    assert answer["scope"] == "view_status"
    assert {"iat", "nbf", "exp", "jti", "gid"} <= set(answer)
    # Introspection does not use the token up.
    assert legacy.ask().json()["active"] is True
    legacy.site.door.grants.revoke(legacy.marie, answer["gid"])
    assert legacy.ask().json() == {"active": False}


def test_another_systems_token_is_inactive_to_it(legacy: Legacy) -> None:
    """A token for GCMS, asked about by another authenticated system: inactive, nothing else said."""
    answer = legacy.ask(caller=OTHER)
    assert answer.status_code == 200
    assert answer.json() == {"active": False}


def test_expired_forged_and_garbled_tokens_are_inactive(legacy: Legacy) -> None:
    """A tampered signature, a garbled token, and a token past its two minutes: inactive."""
    head, payload, signature = legacy.token.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BA'}"
    assert legacy.ask(forged).json() == {"active": False}
    assert legacy.ask("not-a-token").json() == {"active": False}
    legacy.clock.advance(dt.timedelta(minutes=2))
    assert legacy.ask().json() == {"active": False}


#: Callers without their own name and secret.
BAD_CALLERS = [
    None,
    _basic(GCMS, "x" * 43),
    _basic("legacy-unknown", SECRETS[GCMS]),
    _basic(GCMS, SECRETS[OTHER]),
    f"Bearer {SECRETS[GCMS]}",
    "Basic not base64!",
]

#: Bodies that are not one form with one token.
MALFORMED = [
    ("", "application/x-www-form-urlencoded"),
    ("token_type_hint=access_token", "application/x-www-form-urlencoded"),
    ("token=a&token=b", "application/x-www-form-urlencoded"),
    ("token=", "application/x-www-form-urlencoded"),
    ('{"token": "a"}', "application/json"),
    ("token=a&&=b", "application/x-www-form-urlencoded"),
]


def test_a_bad_caller_gets_401_and_learns_nothing(
    legacy: Legacy, caplog: pytest.LogCaptureFixture
) -> None:
    """Without its own name and secret a caller gets 401 with a Basic challenge, and neither token nor secret is logged."""
    for authorization in BAD_CALLERS:
        headers = {} if authorization is None else {"Authorization": authorization}
        with caplog.at_level(logging.DEBUG):
            answer = legacy.http.post(PATH, data={"token": legacy.token}, headers=headers)
        assert answer.status_code == 401, authorization
        assert answer.json() == {"error": "invalid_client"}
        assert answer.headers["www-authenticate"].startswith("Basic ")
        assert answer.headers["cache-control"] == "no-store"
    logged = caplog.text
    assert "a caller was refused" in logged
    assert legacy.token not in logged
    assert not any(s in logged for s in SECRETS.values())


def test_a_malformed_request_gets_400(legacy: Legacy) -> None:
    """An authenticated caller that sends anything but one form with one token gets 400 invalid_request."""
    for body, content_type in MALFORMED:
        answer = legacy.http.post(
            PATH,
            content=body.encode(),
            headers={"Authorization": _basic(GCMS, SECRETS[GCMS]), "Content-Type": content_type},
        )
        assert answer.status_code == 400, body
        assert answer.json() == {"error": "invalid_request"}


def test_the_answer_is_json_never_cached_with_the_security_headers(
    legacy: Legacy, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer is application/json with Cache-Control: no-store and the portal's security headers; the token is not logged."""
    with caplog.at_level(logging.DEBUG):
        answer = legacy.ask()
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert legacy.token not in caplog.text
    assert legacy.http.get(PATH).status_code == 405


def test_callers_must_have_proper_secrets(legacy: Legacy) -> None:
    """A portal that gives no caller, a short secret, or a name with a colon is refused at setup."""
    for callers in ({}, {GCMS: "short"}, {"a:b": SECRETS[GCMS]}):
        with pytest.raises(ConfigurationError):
            add_token_introspection(legacy.site.web, legacy.issuer, callers=callers)
