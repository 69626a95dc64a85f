"""
A loopback OpenID provider for the identity tests: Starlette over TLS, able to misbehave on demand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
import warnings
from typing import Any

import trustme
import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.hazmat._mint import LOGOUT_EVENT, Signer, b64

CLIENT_ID = "ircc-portal"
REDIRECT_URI = "https://portal.example.gc.ca/callback"
POST_LOGOUT = "https://portal.example.gc.ca/signed-out"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Misbehave:
    """Switches for the ways the provider can go wrong; reset for every test."""

    def __init__(self) -> None:
        self.metadata: dict[str, Any] = {}
        self.id_claims: dict[str, Any] = {}
        self.refresh_claims: dict[str, Any] = {}
        self.token_response: dict[str, Any] = {}
        self.callback_iss: str | None = None
        self.omit_callback_iss = False
        self.callback_extra: str = ""
        self.userinfo: dict[str, Any] = {}
        self.id_token_signer: Signer | None = None
        self.token_status = 200
        self.revoke_status = 200
        self.dpop_require_nonce = False
        self.dpop_nonce_always_stale = False


class LoopbackOP:
    """The provider: keys, issued codes and tokens, and a record of every request."""

    def __init__(self, client_key: ec.EllipticCurvePrivateKey) -> None:
        self.signer = Signer("ES256", kid="op-1")
        self.first_signer = self.signer
        self.retired: list[Signer] = []
        self.client_public = client_key.public_key()
        self.issuer = ""
        self.sub = "248289761001"
        self.acr = "substantial"
        self.bad = Misbehave()
        self.codes: dict[str, dict[str, Any]] = {}
        self.pushed: dict[str, dict[str, str]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}
        self.issued_tokens: list[str] = []
        self.assertions: list[dict[str, Any]] = []
        self.auth_methods: list[str] = []
        self.revoked: list[tuple[str, str]] = []
        self.dpop = DpopVerifier(self)
        self.client_secret = "loopback-" + secrets.token_urlsafe(32)
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.time = time.time
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/par", self.par, methods=["POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo_endpoint),
                Route("/logout", self.end_session),
                Route("/revoke", self.revoke, methods=["POST"]),
                Route("/moved", self.moved),
            ]
        )

    def reset(self) -> None:
        """Forget the misbehaviour switches and the request log."""
        self.bad = Misbehave()
        self.signer, self.retired = self.first_signer, []
        self.sub = "248289761001"
        self.acr = "substantial"
        self.requests.clear()
        self.assertions.clear()
        self.auth_methods.clear()
        self.revoked.clear()
        self.dpop = DpopVerifier(self)
        self.time = time.time

    def count(self, path: str) -> int:
        """How many requests reached *path*."""
        return sum(1 for p in self.requests if p == path)

    # --- endpoints ---------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        self.requests.append("/.well-known/openid-configuration")
        i = self.issuer
        doc = {
            "issuer": i,
            "authorization_endpoint": f"{i}/authorize",
            "token_endpoint": f"{i}/token",
            "jwks_uri": f"{i}/jwks",
            "userinfo_endpoint": f"{i}/userinfo",
            "end_session_endpoint": f"{i}/logout",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "revocation_endpoint": f"{i}/revoke",
            "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "PS256"],
        }
        doc.update(self.bad.metadata)
        return JSONResponse({k: v for k, v in doc.items() if v is not None})

    async def jwks(self, request: Request) -> Response:
        self.requests.append("/jwks")
        return Response(self.signer.jwks(*self.retired), media_type="application/json")

    def rotate(self) -> None:
        """Sign with a new key from now on; the old one stays published (a rollover)."""
        self.retired.insert(0, self.signer)
        self.signer = Signer("ES256", kid=f"op-{len(self.retired) + 1}")

    def _approve(self, params: dict[str, str]) -> Response:
        assert params["response_type"] == "code"
        assert params["client_id"] == CLIENT_ID
        assert params["redirect_uri"] == REDIRECT_URI
        assert params["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {**params, "sub": self.sub, "auth_time": int(self.time())}
        q: dict[str, str] = {"code": code, "state": params["state"]}
        if not self.bad.omit_callback_iss:
            q["iss"] = self.bad.callback_iss or self.issuer
        query = urllib.parse.urlencode(q) + self.bad.callback_extra
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def authorize(self, request: Request) -> Response:
        self.requests.append("/authorize")
        params = dict(request.query_params)
        if "request_uri" in params:
            assert set(params) == {"client_id", "request_uri"}
            pushed = self.pushed.pop(params["request_uri"])
            return self._approve(pushed)
        return self._approve(params)

    def _check_client(self, form: dict[str, str], headers: Any = None) -> None:
        """Check the client authentication; record which method it used."""
        basic = (headers or {}).get("authorization", "")
        if basic.startswith("Basic "):
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            assert urllib.parse.unquote_plus(user) == CLIENT_ID
            assert urllib.parse.unquote_plus(password) == self.client_secret
            assert "client_secret" not in form and "client_assertion" not in form
            self.auth_methods.append("client_secret_basic")
            return
        if "client_secret" in form:
            assert form["client_id"] == CLIENT_ID and form["client_secret"] == self.client_secret
            self.auth_methods.append("client_secret_post")
            return
        assert form["client_assertion_type"] == ASSERTION_TYPE
        token = form["client_assertion"]
        h, p, s = token.split(".")
        header, claims = json.loads(_unb64(h)), json.loads(_unb64(p))
        assert header["alg"] == "ES256"
        sig = _unb64(s)
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        self.client_public.verify(der, f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
        self.assertions.append(claims)
        self.auth_methods.append("private_key_jwt")

    async def par(self, request: Request) -> Response:
        self.requests.append("/par")
        form = dict(await request.form())
        self._check_client(form, request.headers)
        uri = "urn:ietf:params:oauth:request_uri:" + secrets.token_urlsafe(16)
        self.pushed[uri] = {k: v for k, v in form.items() if not k.startswith("client_assertion")}
        return JSONResponse({"request_uri": uri, "expires_in": 60}, status_code=201)

    def _id_token(self, record: dict[str, Any], access: str, extra: dict[str, Any]) -> str:
        now = int(self.time())
        at_hash = b64(hashlib.sha256(access.encode()).digest()[:16])
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": record["sub"],
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "auth_time": record["auth_time"],
            "nonce": record.get("nonce"),
            "acr": self.acr,
            "sid": "sid-" + record["sub"],
            "at_hash": at_hash,
        }
        claims.update(extra)
        claims = {k: v for k, v in claims.items() if v is not None}
        return (self.bad.id_token_signer or self.signer).sign(claims)

    async def token(self, request: Request) -> Response:
        self.requests.append("/token")
        form = dict(await request.form())
        self._check_client(form, request.headers)
        proof = request.headers.get("dpop")
        jkt = None
        if proof is not None:
            # RFC 9449 §5: checked before the grant, so a nonce challenge
            # leaves the code unspent for the retry.
            jkt, refusal = self.dpop.check(proof, "POST", f"{self.issuer}/token", resource=False)
            if refusal is not None:
                return refusal
        if form["grant_type"] == "authorization_code":
            record = self.codes.pop(form["code"], None)
            if record is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            challenge = b64(hashlib.sha256(form["code_verifier"].encode()).digest())
            if challenge != record["code_challenge"] or form["redirect_uri"] != REDIRECT_URI:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            extra = self.bad.id_claims
        else:
            record = self.refresh.pop(form["refresh_token"], None)
            if record is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            record = {**record, "nonce": None}
            extra = self.bad.refresh_claims
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.refresh[refresh] = record
        id_token = self._id_token(record, access, extra)
        self.issued_tokens += [access, refresh, id_token]
        if jkt is not None:
            self.dpop.bound[access] = jkt
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "DPoP" if jkt is not None else "Bearer",
            "expires_in": 300,
            "id_token": id_token,
            "refresh_token": refresh,
        }
        body.update(self.bad.token_response)
        body = {k: v for k, v in body.items() if v is not None}
        return JSONResponse(body, status_code=self.bad.token_status)

    async def revoke(self, request: Request) -> Response:
        """RFC 7009 §2.1: authenticate the client, forget the token, answer 200 either way."""
        self.requests.append("/revoke")
        form = dict(await request.form())
        self._check_client(form, request.headers)
        self.revoked.append((form["token"], form.get("token_type_hint", "")))
        self.refresh.pop(form["token"], None)
        return Response(status_code=self.bad.revoke_status)

    async def userinfo_endpoint(self, request: Request) -> Response:
        self.requests.append("/userinfo")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        bound = self.dpop.bound.get(token)
        if scheme == "DPoP" or bound is not None:
            # RFC 9449 §7.1: a bound token only with its scheme and a proof by its key.
            proof = request.headers.get("dpop")
            if scheme != "DPoP" or proof is None:
                self.dpop.errors.append("bound token without DPoP")
                return Response(status_code=401, headers={"WWW-Authenticate": "DPoP"})
            jkt, refusal = self.dpop.check(
                proof, "GET", f"{self.issuer}/userinfo", resource=True, access_token=token
            )
            if refusal is not None:
                return refusal
            if jkt != bound:
                self.dpop.errors.append("proof key is not the token's")
                return Response(status_code=401, headers={"WWW-Authenticate": "DPoP"})
        return JSONResponse({"sub": self.sub, "email": "a@example.com", **self.bad.userinfo})

    async def moved(self, request: Request) -> Response:
        self.requests.append("/moved")
        return RedirectResponse(f"{self.issuer}/jwks", status_code=302)

    async def end_session(self, request: Request) -> Response:
        self.requests.append("/logout")
        return Response("bye")

    # --- helpers -------------------------------------------------------------------------

    def logout_token(self, signer: Signer | None = None, **over: Any) -> str:
        """A back-channel logout token for the current subject; *over* overrides claims."""
        now = int(self.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(12),
            "sub": self.sub,
            "sid": "sid-" + self.sub,
            "events": {LOGOUT_EVENT: {}},
        }
        claims.update(over)
        claims = {k: v for k, v in claims.items() if v is not None}
        return (signer or self.signer).sign(claims, typ="logout+jwt")


_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
_ASYMMETRIC = {"ES256", "ES384", "ES512", "EdDSA", "PS256", "RS256"}


class DpopVerifier:
    """
    Checks every DPoP proof the way RFC 9449 §4.3 asks, with joserfc (not our
    code): typ, an asymmetric alg, a public jwk, the signature by that jwk,
    a jti never seen, exact htm and htu, a fresh iat, ath, and the nonce.
    """

    def __init__(self, op: LoopbackOP) -> None:
        self.op = op
        self.proofs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.errors: list[str] = []
        self.jtis: set[str] = set()
        self.bound: dict[str, str] = {}
        # The token endpoint and the resource keep nonces of their own, so a
        # client sending one server's nonce to the other is challenged (§9).
        self.nonces_issued: list[str] = []
        self.resource_nonces: list[str] = []

    def _refuse(self, why: str, resource: bool) -> Response:
        self.errors.append(why)
        if resource:
            return Response(
                status_code=401, headers={"WWW-Authenticate": 'DPoP error="invalid_dpop_proof"'}
            )
        return JSONResponse({"error": "invalid_dpop_proof"}, status_code=400)

    def _challenge(self, resource: bool) -> Response:
        nonce = secrets.token_urlsafe(16)
        (self.resource_nonces if resource else self.nonces_issued).append(nonce)
        if resource:
            return Response(
                status_code=401,
                headers={"WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": nonce},
            )
        return JSONResponse(
            {"error": "use_dpop_nonce"}, status_code=400, headers={"DPoP-Nonce": nonce}
        )

    def check(
        self,
        proof: str,
        method: str,
        url: str,
        *,
        resource: bool,
        access_token: str | None = None,
    ) -> tuple[str | None, Response | None]:
        """The proof's key thumbprint, or the refusal to send."""
        try:
            header = json.loads(_unb64(proof.split(".")[0]))
            jwk = header.get("jwk")
            if header.get("typ") != "dpop+jwt" or header.get("alg") not in _ASYMMETRIC:
                return None, self._refuse("typ or alg", resource)
            if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & set(jwk):
                return None, self._refuse("jwk is not a public key", resource)
            key = JWKRegistry.import_key(jwk)
            with warnings.catch_warnings():
                # joserfc 1.8 flags "EdDSA" as deprecated (RFC 9864) on every use.
                warnings.simplefilter("ignore")
                verified = jws.deserialize_compact(proof, key, algorithms=[header["alg"]])
            claims = json.loads(verified.payload)
        except (JoseError, ValueError, KeyError, IndexError):
            return None, self._refuse("signature", resource)
        self.proofs.append((header, claims))
        now = self.op.time()
        if claims.get("jti") in self.jtis or not isinstance(claims.get("jti"), str):
            return None, self._refuse("jti replayed", resource)
        self.jtis.add(claims["jti"])
        if claims.get("htm") != method or claims.get("htu") != url:
            return None, self._refuse("htm or htu", resource)
        if not isinstance(claims.get("iat"), int) or abs(claims["iat"] - now) > 60:
            return None, self._refuse("iat", resource)
        if access_token is not None:
            ath = b64(hashlib.sha256(access_token.encode()).digest())
            if claims.get("ath") != ath:
                return None, self._refuse("ath", resource)
        if self.op.bad.dpop_require_nonce:
            issued = self.resource_nonces if resource else self.nonces_issued
            current = issued[-1] if issued else None
            nonce = claims.get("nonce")
            if self.op.bad.dpop_nonce_always_stale or nonce is None or nonce != current:
                return None, self._challenge(resource)
        return key.thumbprint(), None


class TlsServer:
    """Runs an ASGI app with uvicorn over TLS on 127.0.0.1, in a thread."""

    def __init__(self, app: Any, ca: trustme.CA) -> None:
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self._files = [cert.private_key_pem.tempfile(), cert.cert_chain_pems[0].tempfile()]
        self._key = self._files[0].__enter__()
        self._cert = self._files[1].__enter__()
        sock = socket.socket()
        # Accepted sockets inherit TCP_NODELAY: without it Nagle and delayed
        # ACKs add ~40 ms to each request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            ssl_keyfile=self._key,
            ssl_certfile=self._cert,
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the loopback provider did not start")
            time.sleep(0.01)
        self.url = f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        for f in self._files:
            f.__exit__(None, None, None)


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    """An SSL context that trusts *ca* only."""
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx
