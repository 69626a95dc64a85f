"""
The development provider's in-memory state: codes, tokens, sessions, PAR requests.

Everything is kept in dictionaries behind one lock; the provider is for tests
and the demo, so nothing survives a restart, by design.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import attrs

from ircc_account._clock import Clock
from ircc_account.devidp._config import DevClient, DevUser

__all__ = ["Code", "ParRequest", "ProviderSession", "ProviderStore", "Token"]


@attrs.define(repr=False)
class ProviderSession:
    """
    A login at the provider: one ``sid``, one user, the clients it signed in to.
    """

    sid: str
    user: DevUser
    auth_time: int
    acr: str
    amr: tuple[str, ...]
    client_ids: set[str] = attrs.field(factory=set)


@attrs.define(repr=False)
class Code:
    """
    An authorization code and what it was issued for (authlib's code model).
    """

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    session: ProviderSession
    expires_at: dt.datetime

    # The methods authlib's AuthorizationCodeMixin (oauth2 and oidc) asks for.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.session.auth_time

    def get_acr(self) -> str:
        return self.session.acr

    def get_amr(self) -> list[str]:
        return list(self.session.amr)


@attrs.define(repr=False)
class Token:
    """
    An access token and its refresh token (authlib's token model).
    """

    access_token: str
    refresh_token: str | None
    client_id: str
    scope: str
    session: ProviderSession
    expires_at: dt.datetime
    revoked: bool = False
    #: The RFC 7638 thumbprint of the DPoP key the access token is bound to.
    jkt: str | None = None

    # The methods authlib's TokenMixin and the refresh grant ask for.
    def check_client(self, client: Any) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.scope


@attrs.frozen(repr=False)
class ParRequest:
    """
    A pushed authorization request (RFC 9126), waiting for its single use.
    """

    client_id: str
    params: dict[str, str]
    expires_at: dt.datetime


class ProviderStore:
    """
    The provider's mutable state, guarded by one lock.

    Args:
        clock: The source of the time, for expiry.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, Code] = {}
        self._access: dict[str, Token] = {}
        self._refresh: dict[str, Token] = {}
        self._sessions: dict[str, ProviderSession] = {}
        self._par: dict[str, ParRequest] = {}
        self._jtis: dict[tuple[str, str], dt.datetime] = {}
        self._nonces: set[tuple[str, str]] = set()

    def add_session(self, session: ProviderSession) -> None:
        """Record a new login."""
        with self._lock:
            self._sessions[session.sid] = session

    def pop_session(self, sid: str) -> ProviderSession | None:
        """Forget a session and revoke the tokens issued in it."""
        with self._lock:
            session = self._sessions.pop(sid, None)
            for token in self._access.values():
                if token.session.sid == sid:
                    token.revoked = True
            return session

    def sessions_of(self, subject: str) -> list[ProviderSession]:
        """Every live session of the user with this ``sub``."""
        with self._lock:
            return [s for s in self._sessions.values() if s.user.subject == subject]

    def add_code(self, code: Code) -> None:
        """Record an authorization code, and its nonce for replay checks."""
        with self._lock:
            self._codes[code.code] = code
            code.session.client_ids.add(code.client_id)
            if code.nonce:
                self._nonces.add((code.client_id, code.nonce))

    def nonce_seen(self, client_id: str, nonce: str) -> bool:
        """Whether this client already sent this nonce."""
        with self._lock:
            return (client_id, nonce) in self._nonces

    def find_code(self, code: str, client: DevClient) -> Code | None:
        """The unexpired code issued to *client*, or ``None``."""
        with self._lock:
            found = self._codes.get(code)
        if found is None or found.client_id != client.client_id:
            return None
        if found.expires_at <= self._clock.now():
            return None
        return found

    def delete_code(self, code: Code) -> None:
        """
        Spend a code.

        RFC 6749 §4.1.2: "The client MUST NOT use the authorization code more than once".
        """
        with self._lock:
            self._codes.pop(code.code, None)

    def add_token(self, token: Token) -> None:
        """Record an access token (and its refresh token, if any)."""
        with self._lock:
            self._access[token.access_token] = token
            if token.refresh_token:
                self._refresh[token.refresh_token] = token

    def find_access_token(self, value: str) -> Token | None:
        """The live access token with this value, or ``None``."""
        with self._lock:
            token = self._access.get(value)
        if token is None or token.revoked or token.expires_at <= self._clock.now():
            return None
        return token

    def find_refresh_token(self, value: str) -> Token | None:
        """The live refresh token with this value, or ``None``."""
        with self._lock:
            token = self._refresh.get(value)
            if token is None or token.session.sid not in self._sessions:
                return None
            return token

    def revoke(self, token: Token) -> None:
        """RFC 7009: revoke a token and the refresh token that came with it."""
        with self._lock:
            token.revoked = True
            if token.refresh_token:
                self._refresh.pop(token.refresh_token, None)

    def find_any_token(self, value: str, hint: str | None) -> Token | None:
        """The token whose access or refresh value is *value*, whatever the hint says."""
        with self._lock:
            access, refresh = self._access.get(value), self._refresh.get(value)
        if hint == "refresh_token":
            return refresh or access
        return access or refresh

    def revoke_refresh_token(self, token: Token) -> None:
        """Rotate away a refresh token after use."""
        with self._lock:
            if token.refresh_token:
                self._refresh.pop(token.refresh_token, None)

    def add_par(self, request_uri: str, request: ParRequest) -> None:
        """Store a pushed authorization request under its ``request_uri``."""
        with self._lock:
            self._par[request_uri] = request

    def pop_par(self, request_uri: str) -> ParRequest | None:
        """Take a pushed request: each ``request_uri`` works once, before it expires."""
        with self._lock:
            found = self._par.pop(request_uri, None)
        if found is None or found.expires_at <= self._clock.now():
            return None
        return found

    def use_jti(self, client_id: str, jti: str, expires_at: dt.datetime) -> bool:
        """
        Record a client assertion's ``jti``; ``False`` if it was seen before.

        RFC 7523 §3 item 7: the server "MAY ensure that JWTs are not replayed
        by maintaining the set of used jti values for the length of time for
        which the JWT would be considered valid".
        """
        now = self._clock.now()
        with self._lock:
            self._jtis = {k: v for k, v in self._jtis.items() if v > now}
            if (client_id, jti) in self._jtis:
                return False
            self._jtis[(client_id, jti)] = expires_at
            return True
