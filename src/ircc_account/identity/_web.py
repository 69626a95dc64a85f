"""
Web edge helpers: return paths, CSRF, response headers, secrets in URLs.

Framework-free pieces the web front door calls on every request, so that
SEC-18, SEC-19, SEC-41 and SEC-42 are pinned by tests before the front door
exists. Nothing here reads the environment or holds global state: keys and
randomness are injected.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping, Sequence
from urllib.parse import unquote, unquote_plus, urlsplit

from ircc_account._clock import Randomness
from ircc_account.errors import ConfigurationError, CsrfRejected
from ircc_account.hazmat.jose import b64url_decode, b64url_encode

__all__ = [
    "MUTATING_METHODS",
    "SAFE_METHODS",
    "CsrfProtector",
    "method_allowed",
    "safe_return_path",
    "security_headers",
    "url_has_secrets",
]

#: Methods that may change state; everything else must not (SEC-41).
MUTATING_METHODS: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Methods that never change state and need no CSRF token (RFC 9110 §9.2.1).
SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})

_MAX_PATH = 2048
_MAX_DECODES = 8
_PRINTABLE = re.compile(r"[\x21-\x7e]*")


def _decodings(value: str, *, plus: bool = False) -> list[str] | None:
    """
    *value* and each percent-decoding of it until stable; ``None`` if it never settles.
    """
    forms = [value]
    for _ in range(_MAX_DECODES):
        nxt = unquote_plus(forms[-1]) if plus else unquote(forms[-1])
        if nxt == forms[-1]:
            return forms
        forms.append(nxt)
    return None


def _on_site(form: str) -> bool:
    """
    Whether one form of a path is a plain same-origin path: ``/``, printable ASCII,
    no backslash, no userinfo, no dot segment, no scheme and no authority.
    """
    if not form.startswith("/") or form.startswith("//") or "\\" in form or "@" in form:
        return False
    if _PRINTABLE.fullmatch(form) is None:
        return False
    parts = urlsplit(form)
    if parts.scheme or parts.netloc:
        return False
    return not any(seg in (".", "..") for seg in parts.path.split("/"))


def _under(path: str, prefix: str) -> bool:
    """
    Whether *path* is *prefix* or below it, on a segment boundary.
    """
    if not path.startswith(prefix):
        return False
    return prefix.endswith("/") or len(path) == len(prefix) or path[len(prefix)] in "/?"


def safe_return_path(
    candidate: str | None, *, allowed_prefixes: Sequence[str], default: str = "/"
) -> str:
    """
    The "return to" target after login or logout, or *default* (SEC-19).

    SEC-19: "No open redirect: 'return to' targets after login or logout are
    same-origin paths on an allowlist." The candidate and every percent-decoding
    of it (``%2F%2Fevil`` → ``//evil``) must be a path starting with a single
    ``/``, in printable ASCII, without backslash, ``@``, scheme, authority or
    ``.``/``..`` segments, and under one of *allowed_prefixes*. Fragments are
    refused. Never raises on the candidate: anything else gives *default*.

    Args:
        candidate: The untrusted ``next`` value, or ``None``.
        allowed_prefixes: Path prefixes such as ``/account``; matched on a segment
            boundary (``/account`` allows ``/account/x``, not ``/accounts``).
        default: Returned when the candidate is refused; itself a same-origin path.

    Raises:
        ConfigurationError: a prefix or the default is not a same-origin path.
    """
    for fixed in (*allowed_prefixes, default):
        if not isinstance(fixed, str) or not _on_site(fixed) or "?" in fixed or "#" in fixed:
            raise ConfigurationError(reason="return-path prefixes must be same-origin paths")
    if not isinstance(candidate, str) or not 0 < len(candidate) <= _MAX_PATH or "#" in candidate:
        return default
    forms = _decodings(candidate)
    if forms is None or not all(_on_site(form) for form in forms):
        return default
    paths = [urlsplit(form).path for form in forms]
    if any(all(_under(path, prefix) for path in paths) for prefix in allowed_prefixes):
        return candidate
    return default


class CsrfProtector:
    """
    CSRF tokens bound to the server-side session, and the request checks (SEC-41).

    SEC-41: "CSRF protection on every state change (token, or Origin/Sec-Fetch
    checks). Never change state on GET." A token is
    ``BASE64URL(nonce ‖ HMAC-SHA256(key, label ‖ session_ref ‖ nonce))`` with a
    128-bit nonce and the full 256-bit MAC, so it is only valid for the session
    it was issued to; it dies with the session, whose reference changes at every
    rotation (SEC-34). Both ``Origin``/``Sec-Fetch-Site`` and the token are checked.

    Args:
        key: The server's CSRF key, at least 32 bytes, from the key store.
        randomness: The CSPRNG for nonces.

    Raises:
        ConfigurationError: a key shorter than 32 bytes.
    """

    NONCE_BYTES = 16
    _LABEL = b"ircc_account/csrf/v1\x00"
    _TOKEN_CHARS = 64  # 48 bytes, base64url without padding

    def __init__(self, key: bytes, *, randomness: Randomness) -> None:
        if not isinstance(key, bytes) or len(key) < 32:
            raise ConfigurationError(reason="the CSRF key must be at least 32 bytes")
        self._key = key
        self._randomness = randomness

    def __repr__(self) -> str:
        return "CsrfProtector(key=<hidden>)"

    def _mac(self, session_ref: str, nonce: bytes) -> bytes:
        ref = session_ref.encode("utf-8", "surrogatepass")
        msg = self._LABEL + len(ref).to_bytes(4, "big") + ref + nonce
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def token_for(self, session_ref: str) -> str:
        """
        A fresh token for the session *session_ref* (``Session.ref``), for a form or header.

        Raises:
            ConfigurationError: an empty session reference.
        """
        if not session_ref:
            raise ConfigurationError(reason="a CSRF token needs a session")
        nonce = self._randomness.token_bytes(self.NONCE_BYTES)
        return b64url_encode(nonce + self._mac(session_ref, nonce))

    def verify(self, session_ref: str, token: object) -> None:
        """
        Accept *token* only if it was issued for *session_ref*; constant-time (SEC-31).

        Raises:
            CsrfRejected: the token is missing, malformed, or for another session or key.
        """
        if (
            not session_ref
            or not isinstance(token, str)
            or len(token) != self._TOKEN_CHARS
            or not token.isascii()
        ):
            raise CsrfRejected()
        # Canonical base64url only: one spelling per token.
        raw = b64url_decode(token, CsrfRejected, "csrf")
        nonce, mac = raw[: self.NONCE_BYTES], raw[self.NONCE_BYTES :]
        if not hmac.compare_digest(mac, self._mac(session_ref, nonce)):
            raise CsrfRejected()

    def check_request(
        self,
        method: str,
        headers: Mapping[str, str],
        *,
        allowed_origins: Collection[str],
        session_ref: str,
        form_token: str | None,
    ) -> None:
        """
        The CSRF checks for one request; safe methods pass, since they never mutate.

        For any other method: ``Sec-Fetch-Site``, when sent, must be ``same-origin``
        or ``none``; ``Origin``, when sent, must be one of *allowed_origins* (exact,
        case-insensitive; ``null`` never is); and *form_token* must verify.

        Args:
            method: The request method.
            headers: The request headers; names in any case.
            allowed_origins: This site's origins, such as ``https://account.example``.
            session_ref: The current session's ``Session.ref``.
            form_token: The token from the form field or header, or ``None``.

        Raises:
            CsrfRejected: any check failed; the edge answers 403.
        """
        if method.upper() in SAFE_METHODS:
            return
        lower = {name.lower(): value for name, value in headers.items()}
        site = lower.get("sec-fetch-site")
        if site is not None and site.strip().lower() not in ("same-origin", "none"):
            raise CsrfRejected()
        origin = lower.get("origin")
        if origin is not None:
            allowed = {o.strip().lower().rstrip("/") for o in allowed_origins}
            if origin.strip().lower() not in allowed:
                raise CsrfRejected()
        self.verify(session_ref, form_token)


def method_allowed(method: str, mutating: bool) -> int | None:
    """
    ``None`` if *method* may reach the endpoint, else 405 (SEC-41: "Never change state on GET").

    Mutation endpoints take only :data:`MUTATING_METHODS`, others :data:`SAFE_METHODS`.
    """
    allowed = MUTATING_METHODS if mutating else SAFE_METHODS
    return None if method.upper() in allowed else 405


def security_headers(*, sensitive: bool = True, callback: bool = False) -> dict[str, str]:
    """
    The response headers of SEC-18 and SEC-42, as a fresh dict.

    SEC-42: "``Cache-Control: no-store`` on sensitive responses; HSTS for at least
    a year including subdomains; CSP with ``frame-ancestors``; ``nosniff``."
    SEC-18: "The callback page sends ``Referrer-Policy: no-referrer`` and loads no
    third-party resources." ``no-referrer`` goes everywhere; callbacks are sensitive.

    Args:
        sensitive: Add ``Cache-Control: no-store``.
        callback: The login callback: implies *sensitive*.
    """
    headers = {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "Content-Security-Policy": (
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'; object-src 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if sensitive or callback:
        headers["Cache-Control"] = "no-store"
    return headers


_SECRET_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # JWS / JWT
    re.compile(
        r"(?:^|[?&;#/])(?:code|state|nonce|sid|session(?:_id)?|token|password|"
        r"client_secret|code_verifier|logout_token|assertion)=",
        re.IGNORECASE,
    ),
    re.compile(r"(?:access|id|refresh|logout)_token", re.IGNORECASE),
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),  # e-mail
    re.compile(r"(?<![0-9])(?:\d{10}|\d{8}|\d{2}-\d{4}-\d{4}|\d{4}-\d{4})(?![0-9])"),  # UCI
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I),  # uuid
    re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[0-9])[0-9a-f]{20,}(?![0-9A-Za-z])"),  # hex id
]
_RUN = re.compile(r"[A-Za-z0-9_-]{22,}")


def url_has_secrets(url: str) -> bool:
    """
    Whether *url* looks like it carries a token, an id or personal data (SEC-42).

    SEC-42: "No tokens, ids or PII in URLs." A heuristic for the edge's crawl
    test: JWT-looking strings; ``code=``, ``state=`` and similar parameters;
    ``access_token``/``id_token``; mixed-case base64url runs of 22 characters or
    more (128 bits); hex ids and UUIDs; e-mail addresses; 8- or 10-digit UCIs.
    The URL and each percent-decoding of it are checked. Never raises.
    """
    forms = (_decodings(url, plus=True) or [url]) + [unquote(url)]
    for form in forms:
        if any(p.search(form) for p in _SECRET_PATTERNS):
            return True
        for run in _RUN.findall(form):
            if any(c.isupper() for c in run) and any(c.islower() for c in run):
                return True
    return False
