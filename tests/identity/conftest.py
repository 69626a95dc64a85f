"""
Fixtures for the identity tests: a throw-away CA, two loopback providers over
TLS, a migrated store per test (SQLite; or SQLite and PostgreSQL through
``store_on_both``), and a wired :class:`Identity`.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
import ssl
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trustme
from cryptography.hazmat.primitives.asymmetric import ec

from ircc_account._clock import FrozenClock
from ircc_account._crypto import Keyring
from ircc_account._model import AssuranceLevel, AuditEntry
from ircc_account._storage import SqlStore, SqlUnitOfWork, open_store
from ircc_account.identity import (
    Identity,
    LoginResult,
    PrivateKeyJwt,
    ProviderConfig,
    Providers,
)
from ircc_account.testing._postgres import PostgresServer

from ._op import CLIENT_ID, POST_LOGOUT, REDIRECT_URI, LoopbackOP, TlsServer, client_context

_PG_TEMPLATE = "ircc_identity_template"

ACR_MAP = {
    "low": AssuranceLevel.LOW,
    "substantial": AssuranceLevel.MODERATE,
    "high": AssuranceLevel.HIGH,
}


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A throw-away certificate authority for the loopback servers."""
    return trustme.CA()


@pytest.fixture(scope="session")
def tls(ca: trustme.CA) -> ssl.SSLContext:
    """A client SSL context trusting only the throw-away CA."""
    return client_context(ca)


@pytest.fixture(scope="session")
def client_key() -> ec.EllipticCurvePrivateKey:
    """Our private_key_jwt signing key, registered at both loopback providers."""
    return ec.generate_private_key(ec.SECP256R1())


def _serve(ca: trustme.CA, key: ec.EllipticCurvePrivateKey) -> Iterator[LoopbackOP]:
    op = LoopbackOP(key)
    server = TlsServer(op.app, ca)
    op.issuer = server.url
    try:
        yield op
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _op_a(ca: trustme.CA, client_key: ec.EllipticCurvePrivateKey) -> Iterator[LoopbackOP]:
    yield from _serve(ca, client_key)


@pytest.fixture(scope="session")
def _op_b(ca: trustme.CA, client_key: ec.EllipticCurvePrivateKey) -> Iterator[LoopbackOP]:
    yield from _serve(ca, client_key)


@pytest.fixture
def op(_op_a: LoopbackOP) -> LoopbackOP:
    """Provider A, with its misbehaviour switches reset."""
    _op_a.reset()
    return _op_a


@pytest.fixture
def op_b(_op_b: LoopbackOP) -> LoopbackOP:
    """Provider B (a second, independent provider), reset."""
    _op_b.reset()
    return _op_b


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("template") / "db.sqlite"
    store = open_store(f"sqlite:///{path}", keyring=Keyring.generate())
    store.close()
    return path


@pytest.fixture
def store(_template_db: pathlib.Path, tmp_path: pathlib.Path) -> Iterator[SqlStore]:
    """A freshly migrated SQLite store (copied from a template for speed)."""
    path = tmp_path / "db.sqlite"
    shutil.copyfile(_template_db, path)
    s = open_store(f"sqlite:///{path}", keyring=Keyring.generate(), migrate=False)
    yield s
    s.close()


@pytest.fixture(scope="session")
def _pg_template(postgres_server: PostgresServer) -> str:
    """A migrated PostgreSQL database to copy per test (much faster than migrating)."""
    url = postgres_server.create_database(_PG_TEMPLATE)
    open_store(url, keyring=Keyring.generate()).close()
    return _PG_TEMPLATE


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store_on_both(
    request: pytest.FixtureRequest, _template_db: pathlib.Path, tmp_path: pathlib.Path
) -> Iterator[SqlStore]:
    """
    A freshly migrated store, once on SQLite and once on PostgreSQL (a copy of
    a migrated template database on the shared ``postgres_server``): modules
    whose tests must hold on both databases override ``store`` with this one.
    """
    if request.param == "sqlite":
        path = tmp_path / "db.sqlite"
        shutil.copyfile(_template_db, path)
        s = open_store(f"sqlite:///{path}", keyring=Keyring.generate(), migrate=False)
        yield s
        s.close()
        return
    import psycopg  # optional (the postgres extra), needed only here
    from psycopg import sql

    server: PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("_pg_template")
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(server.url("postgres", driver="postgresql"), autocommit=True) as c:
        c.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    s = open_store(server.url(name), keyring=Keyring.generate(), migrate=False)
    try:
        yield s
    finally:
        s.close()
        server.drop_database(name)


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at the real current time (the providers sign with real time)."""
    return FrozenClock(dt.datetime.now(dt.UTC))


def make_config(
    op: LoopbackOP, key: ec.EllipticCurvePrivateKey | None, **over: Any
) -> ProviderConfig:
    """A provider configuration for *op* (*key* for private_key_jwt unless *over* sets client_auth)."""
    values: dict[str, Any] = {
        "name": "a",
        "issuer": op.issuer,
        "client_id": CLIENT_ID,
        "client_auth": over.get("client_auth")
        or PrivateKeyJwt(key=key, key_id="rp-1", algorithm="ES256"),
        "redirect_uri": REDIRECT_URI,
        "post_logout_redirect_uri": POST_LOGOUT,
        "acr_map": ACR_MAP,
        "algorithms": frozenset({"ES256"}),
    }
    values.update(over)
    return ProviderConfig(**values)


class RecordingAudit:
    """An AuditSink that remembers entries (only those whose unit committed)."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(
        self,
        uow: SqlUnitOfWork,
        entry: AuditEntry,
        *,
        on_behalf_of: str | None = None,
        keep: bool = False,
    ) -> None:
        uow.on_commit(lambda: self.entries.append(entry))
        if keep:
            uow.on_rollback(lambda: self.entries.append(entry))

    def append_now(self, entry: AuditEntry, *, on_behalf_of: str | None = None) -> None:
        self.entries.append(entry)


@pytest.fixture
def audit() -> RecordingAudit:
    """Audit entries recorded by the identity operations."""
    return RecordingAudit()


@pytest.fixture
def providers(
    op: LoopbackOP,
    op_b: LoopbackOP,
    client_key: ec.EllipticCurvePrivateKey,
    tls: ssl.SSLContext,
    clock: FrozenClock,
) -> Iterator[Providers]:
    """Both loopback providers, named "a" and "b", over one shared client, on the test clock."""
    op.time = op_b.time = lambda: clock.now().timestamp()
    p = Providers(
        [make_config(op, client_key, name="a"), make_config(op_b, client_key, name="b")],
        ssl_context=tls,
        clock=clock,
    )
    yield p
    p.close()


@pytest.fixture
def identity(
    store: SqlStore, providers: Providers, clock: FrozenClock, audit: RecordingAudit
) -> Identity:
    """The relying party under test."""
    return Identity(store, providers, clock=clock, audit=audit)


@pytest.fixture
def browser(tls: ssl.SSLContext) -> Iterator[httpx.Client]:
    """A user agent that trusts the CA and does not follow redirects."""
    with httpx.Client(verify=tls, follow_redirects=False) as c:
        yield c


def authorize(browser: httpx.Client, url: str) -> str:
    """Visit the provider's authorization URL; the query of the redirect to our callback."""
    r = browser.get(url)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return urllib.parse.urlsplit(location).query


def login(
    identity: Identity,
    browser: httpx.Client,
    *,
    provider: str = "a",
    cookie: str | None = None,
    **start: Any,
) -> LoginResult:
    """A whole login: start, the provider's redirect, the callback."""
    redirect = identity.start_login(cookie, provider, client_key="198.51.100.7", **start)
    if redirect.issued is not None:
        cookie = redirect.issued.cookie_value
    query = authorize(browser, redirect.url)
    return identity.complete_login(cookie, query, client_key="198.51.100.7")
