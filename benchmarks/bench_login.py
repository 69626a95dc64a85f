"""
Login completion over TLS: complete_login vs a bare exchange, and vs exchange + durable commit

A loopback provider (Starlette + uvicorn over TLS with a throw-away CA, in a
process of its own, as a real provider is) issues ES256 ID tokens. In the
same run:

- (a) bare: one httpx POST of a code to the token endpoint over the same kind
  of keep-alive TLS connection, and ``json.loads`` of the answer;
- (b) bare + commit: the same exchange, then one durable SQLite commit of a
  session-sized row (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``): the
  work a login cannot avoid, so the floor;
- ours: :meth:`ircc_account.identity.Identity.complete_login` for a prepared
  transaction: strict callback parsing, the transaction read, the RFC 9207
  ``iss`` check, the same token POST with client authentication, full ID
  token validation (signature, claims, nonce, at_hash), the credential
  looked up, and a new session written with its tokens sealed and the
  transaction deleted, in one durable commit (SQLite, ``synchronous=FULL``).

Both client_secret_basic and private_key_jwt (ES256) rows are shown. The four
are measured interleaved, one call of each in turn, so load from other work on
a shared machine falls on all alike. The note gives ours / (b) by
median latency; the target is at most 1.3x.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import pathlib
import secrets
import socket
import sqlite3
import ssl
import statistics
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import trustme
import uvicorn
from _harness import Measurement, Report, ratio
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ircc_account._crypto import Keyring
from ircc_account._model import ContactDetails, PersonalDetails
from ircc_account._storage import open_store
from ircc_account.identity import (
    ClientSecret,
    Identity,
    PrivateKeyJwt,
    ProviderConfig,
    Providers,
    RateLimiter,
    RateLimits,
)

CLIENT_ID = "bench-portal"
SECRET = "s3cret-s3cret-s3cret"  # noqa: S105 - a throw-away secret for a loopback provider.
REDIRECT = "https://portal.example/callback"
N = 300
WARMUP = 30


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _code(nonce: str) -> str:
    """An authorization code that carries its nonce: the provider needs no shared state."""
    return _b64(json.dumps({"n": nonce, "r": secrets.token_urlsafe(16)}).encode())


class _Op:
    """The loopback provider: discovery, JWKS, and a token endpoint issuing ES256 ID tokens."""

    def __init__(self, issuer: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        pub = self.key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "kid": "k1",
            "alg": "ES256",
            "x": _b64(pub.x.to_bytes(32, "big")),
            "y": _b64(pub.y.to_bytes(32, "big")),
        }
        self.issuer = issuer
        self.used: set[str] = set()
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        i = self.issuer
        return JSONResponse(
            {
                "issuer": i,
                "authorization_endpoint": f"{i}/authorize",
                "token_endpoint": f"{i}/token",
                "jwks_uri": f"{i}/jwks",
                "response_types_supported": ["code"],
                "authorization_response_iss_parameter_supported": True,
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.jwk]})

    def _sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "ES256", "kid": "k1", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        r, s = decode_dss_signature(
            self.key.sign(f"{header}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{header}.{body}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    async def token(self, request: Request) -> Response:
        form = await request.form()
        code = str(form["code"])
        if code in self.used:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        self.used.add(code)
        nonce = json.loads(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)))["n"]
        access = secrets.token_urlsafe(32)
        now = int(time.time())
        id_token = self._sign(
            {
                "iss": self.issuer,
                "sub": "bench-user",
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": nonce,
                "at_hash": _b64(hashlib.sha256(access.encode()).digest()[:16]),
            }
        )
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "id_token": id_token,
                "expires_in": 300,
            }
        )


def _provider_process(cert_pem: bytes, key_pem: bytes, report: Any) -> None:
    """The provider's own process (as a real provider is): binds, reports its port, serves."""
    with tempfile.TemporaryDirectory() as tmp:
        (pathlib.Path(tmp) / "cert.pem").write_bytes(cert_pem)
        (pathlib.Path(tmp) / "key.pem").write_bytes(key_pem)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(f"{tmp}/cert.pem", f"{tmp}/key.pem")
    sock = socket.socket()
    # Accepted sockets inherit TCP_NODELAY on Linux: without it, Nagle and
    # delayed ACKs add ~40 ms to every request and swamp every measurement.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    op = _Op(f"https://127.0.0.1:{port}")
    config = uvicorn.Config(
        op.app,
        log_level="warning",
        lifespan="off",
        access_log=False,
        ssl_context_factory=lambda _c, _d: ctx,  # type: ignore[arg-type,return-value,misc]
    )
    report.send(port)
    uvicorn.Server(config).run(sockets=[sock])


def _serve(ca: trustme.CA) -> tuple[Any, str]:
    # In a process of its own: sharing ours, the provider's event loop would
    # compete for the GIL with the code being measured.
    cert = ca.issue_cert("127.0.0.1")
    here, there = multiprocessing.get_context("spawn").Pipe()
    proc = multiprocessing.get_context("spawn").Process(
        target=_provider_process,
        args=(cert.cert_chain_pems[0].bytes(), cert.private_key_pem.bytes(), there),
        daemon=True,
    )
    proc.start()
    if not here.poll(60):
        raise RuntimeError("the loopback provider did not start")
    url = f"https://127.0.0.1:{here.recv()}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1):
                return proc, url
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _ours(issuer: str, tls: ssl.SSLContext, auth: Any, db: str) -> tuple[Callable[[], object], Any]:
    store = open_store(f"sqlite:///{db}", keyring=Keyring.generate())
    providers = Providers(
        [
            ProviderConfig(
                name="bench",
                issuer=issuer,
                client_id=CLIENT_ID,
                client_auth=auth,
                redirect_uri=REDIRECT,
                algorithms=frozenset({"ES256"}),
            )
        ],
        ssl_context=tls,
    )
    many = RateLimiter(10**9, 10**9)
    identity = Identity(
        store,
        providers,
        rate_limits=RateLimits(
            login_start=many, callback=many, backchannel_logout=many, legacy_claim=many
        ),
    )
    # Register the person once, so every measured login takes the signed-in
    # path: credential and account found, tokens sealed into the new session.
    first = _prepare(identity, issuer, 1)[0]
    pending = identity.complete_login(*first, client_key="bench").issued.cookie_value
    identity.register_account(
        pending,
        personal=PersonalDetails(family_name="Bench", date_of_birth=dt.date(1980, 1, 1)),
        contact=ContactDetails(email="bench@example.com"),
    )
    it: Iterator[tuple[str, str]] = iter(_prepare(identity, issuer, N + WARMUP))

    def once() -> object:
        cookie, query = next(it)
        result = identity.complete_login(cookie, query, client_key="bench")
        assert result.outcome.value == "signed_in"
        return result

    return once, (providers, store)


def _prepare(identity: Identity, issuer: str, n: int) -> list[tuple[str, str]]:
    prepared: list[tuple[str, str]] = []
    for _ in range(n):
        redirect = identity.start_login(None, "bench", client_key="bench")
        assert redirect.issued is not None
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect.url).query))
        code = _code(q["nonce"])
        query = urllib.parse.urlencode({"code": code, "state": q["state"], "iss": issuer})
        prepared.append((redirect.issued.cookie_value, query))
    return prepared


def _bare(issuer: str, tls: ssl.SSLContext) -> tuple[Callable[[], object], httpx.Client]:
    client = httpx.Client(verify=tls, trust_env=False, follow_redirects=False)
    codes = iter([_code("n") for _ in range(N + WARMUP)])
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    token_url = f"{issuer}/token"

    def once() -> object:
        r = client.post(
            token_url,
            data={
                "grant_type": "authorization_code",
                "code": next(codes),
                "redirect_uri": REDIRECT,
                "code_verifier": "v" * 43,
            },
            headers={"Authorization": f"Basic {basic}"},
        )
        return json.loads(r.content)

    return once, client


def _bare_and_commit(
    issuer: str, tls: ssl.SSLContext, db: str
) -> tuple[Callable[[], object], Callable[[], None]]:
    exchange, client = _bare(issuer, tls)
    # The same durability as the store: WAL, synchronous=FULL, one write
    # transaction taken with BEGIN IMMEDIATE, committed (fsync) per login.
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE s (id BLOB PRIMARY KEY, v BLOB NOT NULL)")
    row = secrets.token_bytes(900)  # about a session row with its sealed tokens

    def once() -> object:
        got = exchange()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO s VALUES (?, ?)", (secrets.token_bytes(32), row))
        conn.execute("COMMIT")
        return got

    def close() -> None:
        client.close()
        conn.close()

    return once, close


def _interleaved(
    fns: list[tuple[str, Callable[[], object]]], *, n: int, warmup: int, rounds: int = N
) -> list[Measurement]:
    """
    Measure *fns* in rounds, each round a slice of every one (in a rotating
    order; by default one call each), so on a shared machine a burst of load
    falls on all of them alike.
    """
    for _, fn in fns:
        for _ in range(warmup):
            fn()
    samples: dict[str, list[int]] = {name: [] for name, _ in fns}
    clock = time.perf_counter_ns
    for r in range(rounds):
        for name, fn in fns[r % len(fns) :] + fns[: r % len(fns)]:
            for _ in range(n // rounds):
                t0 = clock()
                fn()
                samples[name].append(clock() - t0)
    out = []
    for name, _ in fns:
        got = sorted(samples[name])
        out.append(
            Measurement(
                name=name,
                ops_per_s=len(got) / (sum(got) / 1e9),
                p50_us=statistics.median(got) / 1e3,
                p99_us=got[min(len(got) - 1, int(len(got) * 0.99))] / 1e3,
                n=len(got),
            )
        )
    return out


def run(report: Report) -> None:
    """Measure the bare exchange, exchange + commit, and complete_login, interleaved in one run."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ca = trustme.CA()
    server, url = _serve(ca)
    tls = ssl.create_default_context()
    ca.configure_trust(tls)
    client_key = ec.generate_private_key(ec.SECP256R1())
    closers: list[Callable[[], None]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bare_fn, client = _bare(url, tls)
            closers.append(client.close)
            floor_fn, close = _bare_and_commit(url, tls, f"{tmp}/floor.db")
            closers.append(close)
            fns: list[tuple[str, Callable[[], object]]] = [
                ("(a) bare TLS code exchange", bare_fn),
                ("(b) exchange + one durable SQLite commit", floor_fn),
            ]
            for label, auth in (
                ("client_secret_basic", ClientSecret(secret=SECRET)),
                ("private_key_jwt ES256", PrivateKeyJwt(key=client_key, algorithm="ES256")),
            ):
                fn, (providers, store) = _ours(url, tls, auth, f"{tmp}/{label[:6]}.db")
                closers += [providers.close, store.close]
                fns.append((f"complete_login ({label})", fn))
            bare, floor, *ours = _interleaved(fns, n=N, warmup=WARMUP)
            floor.note = f"{ratio(floor, bare):.2f}x (a)"
            for m in ours:
                m.note = f"{ratio(m, floor):.2f}x (b), target ≤ 1.3x; {ratio(m, bare):.2f}x (a)"
            for m in (bare, floor, *ours):
                report.add(m)
            for close_one in closers:
                close_one()
    finally:
        server.terminate()
        server.join(10)


if __name__ == "__main__":
    r = Report(title=(__doc__ or "").strip().splitlines()[0])
    run(r)
    print(r.render())
