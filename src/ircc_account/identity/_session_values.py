"""
Sessions as the portal sees them: the values, the lifetimes, and the cookie.

The cookie carries only an opaque 256-bit id (SEC-33). Default lifetimes
follow NIST SP 800-63B §4.2.3 for AAL2 (SEC-36): 30 minutes idle, 12 hours
absolute, both enforced on the server.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from ircc_account._model import Actor, AssuranceLevel, Capacity
from ircc_account.errors import ConfigurationError

__all__ = [
    "COOKIE_NAME",
    "IssuedSession",
    "PendingCredential",
    "RotationReason",
    "Session",
    "SessionPolicy",
    "SessionState",
    "clear_cookie",
    "session_cookie",
]

COOKIE_NAME = "__Host-ircc_session"


class SessionState(enum.StrEnum):
    """
    How far a session has come.
    """

    ANONYMOUS = "anonymous"
    PENDING = "pending"
    AUTHENTICATED = "authenticated"


class RotationReason(enum.StrEnum):
    """
    Why a session id was replaced (SEC-34).
    """

    LOGIN = "login"
    REAUTHENTICATION = "reauthentication"
    REGISTRATION = "registration"
    ACTING_FOR = "acting_for"
    PRIVILEGE_CHANGE = "privilege_change"


@attrs.frozen(kw_only=True)
class SessionPolicy:
    """
    Session lifetimes and the cookie name.

    Attributes:
        idle_timeout: Inactivity after which the session ends (default 30 min).
        absolute_timeout: Age after which it ends regardless (default 12 h).
        touch_interval: How stale ``last_seen_at`` may get before a request writes it.
        transaction_lifetime: How long a login or logout started may take to return.
        link_window: How recent both logins must be to link a credential.
        cookie_name: Must start with ``__Host-`` (SEC-35).
    """

    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    absolute_timeout: dt.timedelta = dt.timedelta(hours=12)
    touch_interval: dt.timedelta = dt.timedelta(seconds=60)
    transaction_lifetime: dt.timedelta = dt.timedelta(minutes=10)
    link_window: dt.timedelta = dt.timedelta(minutes=10)
    cookie_name: str = COOKIE_NAME

    def __attrs_post_init__(self) -> None:
        if not self.cookie_name.startswith("__Host-"):
            raise ConfigurationError(reason="the session cookie name must start with __Host-")
        if not (
            dt.timedelta(0) < self.idle_timeout <= self.absolute_timeout
            and self.touch_interval < self.idle_timeout
            and dt.timedelta(0) < self.transaction_lifetime <= dt.timedelta(hours=1)
        ):
            raise ConfigurationError(reason="session lifetimes are inconsistent")


@attrs.frozen(kw_only=True)
class PendingCredential:
    """
    A credential authenticated in this session but linked to no account yet.

    Attributes:
        provider: The provider's configured name.
        issuer: Its issuer.
        subject: Its ``sub`` for the person (hidden from ``repr``).
        assurance: The assurance of that login.
        authenticated_at: When we completed that login.
    """

    provider: str
    issuer: str
    subject: str = attrs.field(repr=False)
    assurance: AssuranceLevel
    authenticated_at: dt.datetime


@attrs.frozen(kw_only=True)
class Session:
    """
    A server-side session, as the portal sees it. Holds no secret.

    Attributes:
        ref: A non-secret reference (for "your sessions" lists and audit).
        state: Anonymous, pending (a new credential) or authenticated.
        account_id: The account, once authenticated (or while linking).
        provider: The provider of the login, if any.
        issuer: Its issuer.
        subject: The ``sub`` (hidden from ``repr``).
        assurance: The assurance of that login (LOW if none).
        auth_time: When the provider says the person authenticated, if it said.
        authenticated_at: When we completed the login.
        pending: A credential awaiting registration or linking, if any.
        acting_for: The client this user currently acts for, if any.
        created_at: When this session id was issued.
        last_seen_at: The last request (to within the touch interval).
        expires_at: The absolute end.
    """

    ref: str
    state: SessionState
    account_id: str | None = None
    provider: str | None = None
    issuer: str | None = None
    subject: str | None = attrs.field(default=None, repr=False)
    provider_sid: str | None = attrs.field(default=None, repr=False)
    assurance: AssuranceLevel = AssuranceLevel.LOW
    auth_time: dt.datetime | None = None
    authenticated_at: dt.datetime | None = None
    pending: PendingCredential | None = None
    acting_for: str | None = None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime

    @property
    def authenticated(self) -> bool:
        """
        Whether an account is signed in.
        """
        return self.state is SessionState.AUTHENTICATED and self.account_id is not None

    @property
    def client_id(self) -> str | None:
        """
        The client whose file this session's pages are about: the one acted
        for, or the signed-in account's own (``None`` when not signed in).
        """
        if not self.authenticated:
            return None
        return self.acting_for or self.account_id

    def last_authentication(self) -> dt.datetime | None:
        """
        The provider's ``auth_time`` if given, else when we completed the login.
        """
        return self.auth_time or self.authenticated_at

    def actor(self) -> Actor:
        """
        The :class:`~ircc_account._model.Actor` for authorization decisions.

        Raises:
            SessionExpired: the session is not authenticated.
        """
        from ircc_account.errors import SessionExpired

        if not self.authenticated or self.account_id is None:
            raise SessionExpired()
        return Actor(
            actor_id=self.account_id,
            capacity=Capacity.CLIENT,
            account_id=self.account_id,
            assurance=self.assurance,
            auth_time=self.last_authentication(),
            session_ref=self.ref,
        )


@attrs.frozen(kw_only=True)
class IssuedSession:
    """
    A session and the secret id the browser must carry, freshly issued.

    Attributes:
        cookie_value: The session id; goes only into the ``Set-Cookie`` header.
        session: The session.
        cookie_name: The cookie's name.
    """

    cookie_value: str = attrs.field(repr=False)
    session: Session
    cookie_name: str = COOKIE_NAME

    def set_cookie(self) -> str:
        """
        The ``Set-Cookie`` header value for this session (SEC-35).
        """
        return session_cookie(self.cookie_value, name=self.cookie_name)


def session_cookie(value: str, *, name: str = COOKIE_NAME, max_age: int | None = None) -> str:
    """
    A ``Set-Cookie`` value: ``__Host-`` prefix, ``Secure``, ``HttpOnly``, ``Path=/``,
    no ``Domain``, ``SameSite=Lax`` (SEC-35; RFC 6265bis §4.1.3.2).

    Args:
        value: The opaque session id (base64url).
        name: The cookie name; must start with ``__Host-``.
        max_age: Seconds until the browser drops it; a session cookie by default.

    Raises:
        ConfigurationError: a name without the prefix, or a value that is not base64url.
    """
    if (
        not name.startswith("__Host-")
        or not name.isascii()
        or not name[7:].replace("_", "").isalnum()
    ):
        raise ConfigurationError(reason="the session cookie name must start with __Host-")
    if value and not (value.isascii() and value.replace("-", "").replace("_", "").isalnum()):
        raise ConfigurationError(reason="a session cookie value must be base64url")
    if len(name) + len(value) > 4096:
        raise ConfigurationError(reason="the cookie is too large")
    parts = [f"{name}={value}", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    return "; ".join(parts)


def clear_cookie(name: str = COOKIE_NAME) -> str:
    """
    A ``Set-Cookie`` value that removes the session cookie.
    """
    return session_cookie("", name=name, max_age=0)
