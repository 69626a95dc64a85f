"""
The npm ``oidc-provider`` as a test fixture, and helpers to drive a login without a browser.

``oidc-provider`` is OpenID-certified and written by someone else, so a login
that works against it shows our relying party speaks the protocol, not just
our own dialect of it. :class:`NodeOidcProvider` installs it from the
committed lock file, starts ``server.mjs`` over HTTPS with a test CA, and
stops it. The helpers below (:func:`drive_login`, :func:`drive_logout`,
:class:`LogoutReceiver`) work against it and against
:mod:`ircc_account.devidp` alike.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import pathlib
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from types import TracebackType
from typing import Any

import attrs
import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from ircc_account.hazmat.jose import b64url_encode
from ircc_account.testing._tls import TestCA

__all__ = [
    "LogoutReceiver",
    "NodeOidcProvider",
    "OidcUser",
    "client_assertion",
    "drive_login",
    "drive_logout",
    "pkce_pair",
]

_READY_TIMEOUT = 30.0
_ACR_VALUES = ("urn:ircc:loa:1", "urn:ircc:loa:2", "urn:ircc:loa:3")


@attrs.frozen
class OidcUser:
    """
    A test account at the Node provider; log in by passing ``login_hint=username``.

    Attributes:
        username: The ``login_hint`` value.
        sub: The subject.
        email: The ``email`` claim.
        given_name: The ``given_name`` claim.
        family_name: The ``family_name`` claim.
        acr: The assurance level used when the request names none.
    """

    username: str = "alice"
    sub: str = "sub-alice-0001"
    email: str = "alice@example.test"
    given_name: str = "Alice"
    family_name: str = "Tremblay"
    acr: str = "urn:ircc:loa:2"


class NodeOidcProvider:
    """
    The npm ``oidc-provider`` running ``server.mjs`` in a child process, over HTTPS.

    Three confidential clients are registered: ``client_id`` with
    ``client_secret_basic``, ``jwt_client_id`` with ``private_key_jwt`` (its
    private key is :attr:`jwt_client_key`), and ``dpop_client_id`` with the
    same key and ``dpop_bound_access_tokens`` (RFC 9449 §5.2). DPoP, PAR and
    token revocation are on; :meth:`rotate_keys` rotates the signing keys.

    Args:
        workdir: The folder with ``package.json``, ``package-lock.json`` and
            ``server.mjs`` (``tests/interop/oidc-provider``).
        ca: The test CA; the server presents its certificate and trusts it
            for back-channel logout POSTs.
        redirect_uri: The clients' redirect URI.
        post_logout_redirect_uri: The clients' post-logout redirect URI.
        backchannel_logout_uri: Where the clients receive logout tokens, or ``None``.
        users: The accounts.
        backchannel_extra_fields: Form fields the provider posts beside
            ``logout_token`` (BCL §2.5 allows them; the first goes before it).
        dpop_require_nonce: Demand server-provided DPoP nonces (RFC 9449 §8).
    """

    def __init__(
        self,
        workdir: pathlib.Path,
        ca: TestCA,
        *,
        redirect_uri: str = "https://rp.example.test/callback",
        post_logout_redirect_uri: str = "https://rp.example.test/signed-out",
        backchannel_logout_uri: str | None = None,
        users: Sequence[OidcUser] = (OidcUser(),),
        backchannel_extra_fields: Mapping[str, str] | None = None,
        dpop_require_nonce: bool = False,
    ) -> None:
        self.workdir = pathlib.Path(workdir)
        self.ca = ca
        self.redirect_uri = redirect_uri
        self.post_logout_redirect_uri = post_logout_redirect_uri
        self.backchannel_logout_uri = backchannel_logout_uri
        self.users = tuple(users)
        self.client_id = "ircc-portal"
        self.client_secret = secrets.token_urlsafe(32)
        self.jwt_client_id = "ircc-portal-jwt"
        self.jwt_client_key = RSAKey.generate_key(
            2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True
        )
        self.dpop_client_id = "ircc-portal-dpop"
        self.backchannel_extra_fields = dict(backchannel_extra_fields or {})
        self.dpop_require_nonce = dpop_require_nonce
        self._test_token = secrets.token_urlsafe(32)
        self.issuer = ""
        self.startup_seconds = 0.0
        self._process: subprocess.Popen[str] | None = None
        self._state_dir: pathlib.Path | None = None
        self._output: list[str] = []
        self._pump: threading.Thread | None = None

    @staticmethod
    def find_node() -> tuple[str, str] | None:
        """
        The paths of ``node`` and ``npm``, or ``None`` if either is missing.
        """
        node, npm = shutil.which("node"), shutil.which("npm")
        return (node, npm) if node and npm else None

    def ensure_installed(self) -> None:
        """
        Run ``npm ci`` (from the committed lock file) if ``node_modules`` is missing.

        Raises:
            RuntimeError: node or npm is missing, or ``npm ci`` failed.
        """
        if (self.workdir / "node_modules" / "oidc-provider" / "package.json").is_file():
            return
        tools = self.find_node()
        if tools is None:
            raise RuntimeError("node and npm are needed to run oidc-provider")
        done = subprocess.run(  # noqa: S603 - a fixed command in our own folder.
            [tools[1], "ci", "--no-audit", "--no-fund"],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm ci failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        """
        Write the configuration, start ``node server.mjs`` and wait for ``READY``.

        Raises:
            RuntimeError: node is missing, or the server did not become ready.
        """
        tools = self.find_node()
        if tools is None:
            raise RuntimeError("node is needed to run oidc-provider")
        self.ensure_installed()
        began = time.monotonic()
        self._state_dir = pathlib.Path(tempfile.mkdtemp(prefix="oidc-provider-"))
        ca_pem, chain, key = self.ca.write_pem_files(self._state_dir)
        config_path = self._state_dir / "config.json"
        config_path.write_text(json.dumps(self._config(chain, key)))
        config_path.chmod(0o600)
        # Node does not read Python's trust store: point it at the test CA so
        # back-channel logout POSTs to HTTPS receivers verify.
        env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(ca_pem), "NODE_ENV": "test"}
        self._process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments.
            [tools[0], "server.mjs", str(config_path)],
            cwd=self.workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        port = self._wait_ready()
        self.issuer = f"https://127.0.0.1:{port}"
        self.startup_seconds = time.monotonic() - began

    def _wait_ready(self) -> int:
        assert self._process is not None
        assert self._process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()

        def pump(stream: Any) -> None:
            for line in stream:
                self._output.append(line)
                lines.put(line)
            lines.put(None)

        self._pump = threading.Thread(target=pump, args=(self._process.stdout,), daemon=True)
        self._pump.start()
        deadline = time.monotonic() + _READY_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith("READY "):
                return int(line.split()[1])
        self.stop()
        raise RuntimeError("oidc-provider did not start:\n" + "".join(self._output[-40:]))

    def _config(self, chain: pathlib.Path, key: pathlib.Path) -> dict[str, Any]:
        signing: list[RSAKey | ECKey] = [
            RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True),
            ECKey.generate_key("P-256", parameters={"alg": "ES256", "use": "sig"}, auto_kid=True),
        ]
        common: dict[str, Any] = {
            "redirect_uris": [self.redirect_uri],
            "post_logout_redirect_uris": [self.post_logout_redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }
        if self.backchannel_logout_uri:
            common["backchannel_logout_uri"] = self.backchannel_logout_uri
            common["backchannel_logout_session_required"] = True
        jwt_client = {
            **common,
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks": {"keys": [self.jwt_client_key.as_dict(private=False)]},
        }
        return {
            "host": "127.0.0.1",
            "port": 0,
            "cert": str(chain),
            "key": str(key),
            "jwks": {"keys": [k.as_dict(private=True) for k in signing]},
            "cookieKeys": [secrets.token_urlsafe(32)],
            "acrValues": list(_ACR_VALUES),
            "accounts": [attrs.asdict(user) for user in self.users],
            "testToken": self._test_token,
            "dpopNonceSecret": base64.b64encode(secrets.token_bytes(32)).decode(),
            "dpopRequireNonce": self.dpop_require_nonce,
            "backchannelExtraFields": self.backchannel_extra_fields or None,
            "clients": [
                {
                    **common,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "token_endpoint_auth_method": "client_secret_basic",
                },
                {**jwt_client, "client_id": self.jwt_client_id},
                {**jwt_client, "client_id": self.dpop_client_id, "dpop_bound_access_tokens": True},
            ],
        }

    def rotate_keys(self) -> None:
        """
        Make the provider sign with new keys from now on (the old ones stay published).

        Raises:
            RuntimeError: the provider refused (it is not running).
        """
        with httpx.Client(verify=self.ca.client_context) as client:
            response = client.post(
                f"{self.issuer}/__test/rotate-keys",
                headers={"Authorization": f"Bearer {self._test_token}"},
            )
        if response.status_code != 204:
            raise RuntimeError(f"key rotation refused: {response.status_code}")

    @property
    def output(self) -> str:
        """Everything the server printed so far (for failure messages)."""
        return "".join(self._output)

    def stop(self) -> None:
        """
        Stop the server and remove its configuration and keys.
        """
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            if self._pump is not None:
                self._pump.join(timeout=5)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None

    def __enter__(self) -> NodeOidcProvider:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"NodeOidcProvider(issuer={self.issuer!r})"


# --- browser-less driving ---------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """
    A fresh PKCE ``(code_verifier, code_challenge)`` pair, method S256 (RFC 7636 §4).
    """
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, b64url_encode(digest)


def client_assertion(
    client_id: str, key: RSAKey | ECKey, audience: str, *, lifetime: int = 60
) -> str:
    """
    A ``private_key_jwt`` client assertion (RFC 7523 §3, OpenID Connect Core §9).

    Args:
        client_id: The ``iss`` and ``sub``.
        key: The client's private key (its ``alg`` parameter picks the algorithm).
        audience: The ``aud``: the issuer or the endpoint.
        lifetime: Seconds until ``exp``.
    """
    alg = str(key.get("alg") or "RS256")
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def drive_login(
    client: httpx.Client, authorize_url: str, redirect_uri: str, *, max_hops: int = 12
) -> dict[str, str]:
    """
    Follow an authorization request's redirects to *redirect_uri*, as a browser would.

    Works where the provider logs in non-interactively (``login_hint`` at
    :mod:`ircc_account.devidp` and at ``server.mjs``). Cookies set on the
    way stay in *client*, so a later logout finds the session.

    Args:
        client: An HTTP client that trusts the provider (and does not follow
            redirects itself).
        authorize_url: The full authorization request URL.
        redirect_uri: The client's redirect URI; the walk stops there.
        max_hops: A bound on redirects.

    Returns:
        The parameters of the authorization response (``code``, ``state``,
        ``iss``, or ``error``).

    Raises:
        AssertionError: The walk ended anywhere but *redirect_uri*.
    """
    url = authorize_url
    for _ in range(max_hops):
        if url.startswith(redirect_uri):
            return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        response = client.get(url, follow_redirects=False)
        location = response.headers.get("location")
        if not response.is_redirect or not location:
            raise AssertionError(
                f"login stopped at {url}: {response.status_code} {response.text[:500]}"
            )
        url = urllib.parse.urljoin(url, location)
    raise AssertionError(f"login did not reach {redirect_uri} in {max_hops} hops")


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attributes}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
            self.method = values.get("method", "get").lower()
        elif tag == "input" and values.get("type") == "hidden" and "name" in values:
            self.fields.append((values["name"], values.get("value", "")))


def drive_logout(
    client: httpx.Client,
    end_session_url: str,
    params: Mapping[str, str],
    *,
    max_hops: int = 12,
) -> httpx.Response:
    """
    Run RP-initiated logout, submitting a confirmation form if the provider shows one.

    Args:
        client: The HTTP client that logged in (its cookies hold the session).
        end_session_url: The provider's ``end_session_endpoint``.
        params: ``id_token_hint``, ``post_logout_redirect_uri``, ``state``, ...
        max_hops: A bound on redirects and forms.

    Returns:
        The last response: a redirect to ``post_logout_redirect_uri`` (not
        followed), or the provider's own signed-out page.
    """
    target = params.get("post_logout_redirect_uri")
    response = client.get(end_session_url, params=dict(params), follow_redirects=False)
    for _ in range(max_hops):
        location = response.headers.get("location")
        if response.is_redirect and location:
            url = urllib.parse.urljoin(str(response.url), location)
            if target and url.startswith(target):
                return response
            response = client.get(url, follow_redirects=False)
            continue
        form = _FormParser()
        form.feed(response.text)
        if response.status_code != 200 or form.action is None:
            return response
        action = urllib.parse.urljoin(str(response.url), form.action)
        response = client.post(action, data=dict(form.fields), follow_redirects=False)
    return response


class _Receiver(http.server.BaseHTTPRequestHandler):
    server: _ReceiverServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.requests.put((body, self.headers.get("Content-Type", "")))
        self.send_response(200)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class _ReceiverServer(http.server.ThreadingHTTPServer):
    requests: queue.Queue[tuple[bytes, str]]


class LogoutReceiver:
    """
    A tiny back-channel logout endpoint: records each POSTed ``logout_token``.

    Args:
        ca: Serve HTTPS with this test CA's certificate; ``None`` for HTTP.
        path: The URL path to advertise (every path is accepted).
    """

    def __init__(self, ca: TestCA | None = None, path: str = "/backchannel-logout") -> None:
        self._server = _ReceiverServer(("127.0.0.1", 0), _Receiver)
        self._server.requests = queue.Queue()
        scheme = "http"
        if ca is not None:
            self._server.socket = ca.server_context.wrap_socket(
                self._server.socket, server_side=True
            )
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for_request(self, timeout: float = 10.0) -> tuple[bytes, str]:
        """
        The next back-channel logout request received, as sent: the raw body
        and its ``Content-Type``.

        Args:
            timeout: Seconds to wait.

        Raises:
            TimeoutError: None arrived in time.
        """
        try:
            return self._server.requests.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no logout request arrived") from None

    def wait_for_token(self, timeout: float = 10.0) -> str:
        """
        The ``logout_token`` of the next request received.

        Args:
            timeout: Seconds to wait.

        Raises:
            TimeoutError: None arrived in time.
        """
        body, _ = self.wait_for_request(timeout)
        return dict(urllib.parse.parse_qsl(body.decode("utf-8"))).get("logout_token", "")

    def drain(self) -> int:
        """
        Forget every request received so far; how many there were.
        """
        n = 0
        while True:
            try:
                self._server.requests.get_nowait()
            except queue.Empty:
                return n
            n += 1

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LogoutReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
