"""
:class:`Identity`: the one object a portal wires up for logins, sessions and logout.

A facade over four components that share one :class:`~._context.IdentityContext`:
the session component (:mod:`._sessions`, the only one that touches the
session store), and the login, logout and accounts components built on it.
"""

from __future__ import annotations

import datetime as dt

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._model import (
    AssuranceLevel,
    ClientAccount,
    ContactDetails,
    Language,
    LinkedCredential,
    LinkedLegacyFile,
    PersonalDetails,
)
from ircc_account._storage.ports import AuditSink, SqlStorage

from ._accounts import Accounts, ClaimPolicy, LegacyFileVerifier
from ._context import IdentityContext
from ._login import Login, LoginRedirect, LoginResult, StepUpPlan
from ._logout import Logout, LogoutRedirect
from ._providers import Providers
from ._ratelimit import RateLimits
from ._session_store import SessionStore, SqlSessionStore
from ._session_values import IssuedSession, RotationReason, Session, SessionPolicy
from ._sessions import SessionManager

__all__ = ["Identity"]


class Identity:
    """
    The relying party: logins at several providers, server-side sessions,
    registration and linking, legacy claims, and logout. Thread-safe;
    framework-free (a web adapter passes cookie values, query strings and
    bodies in, and sets the cookies and redirects that come out).

    Args:
        store: The SQL store (its schema includes the ``identity`` branch).
        providers: The configured providers and their shared HTTP client.
        clock: The time source (by default the providers' clock).
        randomness: The CSPRNG for state, nonce, PKCE and session ids.
        policy: Session lifetimes and the cookie name.
        sessions: The session store port (SQL by default).
        audit: Where logins, registrations, links and claims are recorded
            (an :class:`ircc_account.audit.AuditLog`).
        rate_limits: Per-client limits for each endpoint.
        legacy: The legacy-file verifier, for claims.
        claim_policy: Attempt limits for claims.
    """

    def __init__(
        self,
        store: SqlStorage,
        providers: Providers,
        *,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
        policy: SessionPolicy | None = None,
        sessions: SessionStore | None = None,
        audit: AuditSink | None = None,
        rate_limits: RateLimits | None = None,
        legacy: LegacyFileVerifier | None = None,
        claim_policy: ClaimPolicy | None = None,
    ) -> None:
        clock = clock or providers.clock or SystemClock()
        self._context = context = IdentityContext(
            store=store,
            providers=providers,
            clock=clock,
            randomness=randomness or SystemRandomness(),
            policy=policy or SessionPolicy(),
            sessions=sessions or SqlSessionStore(),
            audit=audit,
            rate_limits=rate_limits or RateLimits.default(clock),
        )
        self._session_manager = SessionManager(context)
        self._login = Login(context, self._session_manager)
        self._logout = Logout(context, self._session_manager)
        self._accounts = Accounts(
            context,
            self._session_manager,
            legacy=legacy,
            claim_policy=claim_policy or ClaimPolicy(),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.providers!r})"

    # --- what it was built with (settable: every component sees a change) -------------

    @property
    def store(self) -> SqlStorage:
        """
        The SQL store.
        """
        return self._context.store

    @store.setter
    def store(self, value: SqlStorage) -> None:
        self._context.store = value

    @property
    def providers(self) -> Providers:
        """
        The configured providers.
        """
        return self._context.providers

    @providers.setter
    def providers(self, value: Providers) -> None:
        self._context.providers = value

    @property
    def clock(self) -> Clock:
        """
        The time source.
        """
        return self._context.clock

    @clock.setter
    def clock(self, value: Clock) -> None:
        self._context.clock = value

    @property
    def policy(self) -> SessionPolicy:
        """
        Session lifetimes and the cookie name.
        """
        return self._context.policy

    @policy.setter
    def policy(self, value: SessionPolicy) -> None:
        self._context.policy = value

    @property
    def sessions(self) -> SessionStore:
        """
        The session store port.
        """
        return self._context.sessions

    @sessions.setter
    def sessions(self, value: SessionStore) -> None:
        self._context.sessions = value

    @property
    def audit(self) -> AuditSink | None:
        """
        Where identity operations are recorded, if anywhere.
        """
        return self._context.audit

    @audit.setter
    def audit(self, value: AuditSink | None) -> None:
        self._context.audit = value

    @property
    def rate_limits(self) -> RateLimits:
        """
        Per-client limits for each endpoint.
        """
        return self._context.rate_limits

    @rate_limits.setter
    def rate_limits(self, value: RateLimits) -> None:
        self._context.rate_limits = value

    @property
    def legacy(self) -> LegacyFileVerifier | None:
        """
        The legacy-file verifier, for claims.
        """
        return self._accounts.legacy

    @legacy.setter
    def legacy(self, value: LegacyFileVerifier | None) -> None:
        self._accounts.legacy = value

    @property
    def claim_policy(self) -> ClaimPolicy:
        """
        Attempt limits for claims.
        """
        return self._accounts.claim_policy

    @claim_policy.setter
    def claim_policy(self, value: ClaimPolicy) -> None:
        self._accounts.claim_policy = value

    # --- login (the login component) ---------------------------------------------------

    def start_login(
        self,
        cookie: str | None,
        provider: str,
        *,
        client_key: str,
        acr: AssuranceLevel | None = None,
        max_age: int | None = None,
        force_login: bool = False,
        step_up: StepUpPlan | None = None,
        login_hint: str | None = None,
        ui_locales: tuple[str, ...] = (),
    ) -> LoginRedirect:
        """
        Begin a login at *provider* (call only from a user action, SEC-20).

        Args:
            cookie: The browser's session cookie value, if any; the login is bound
                to that session (a pre-login session is created when there is none).
            provider: The configured provider name.
            client_key: Who asks, for rate limiting (the client address).
            acr: The assurance to ask for (``acr_values``), enforced on return.
            max_age: The most seconds since the person last authenticated.
            force_login: Send ``prompt=login`` (fresh authentication).
            step_up: A plan from :class:`StepUpRequired` (sets the three above).
            login_hint: A hint to the provider about who is logging in (OIDC Core
                §3.1.2.1), such as an email address the person typed.
            ui_locales: The languages the provider's pages should use, in
                order of preference, as BCP 47 tags (``("fr-CA", "fr")``;
                OIDC Core §3.1.2.1); a hint the provider may ignore.

        Raises:
            RateLimited: too many starts from *client_key*.
            ConfigurationError: unknown provider, or it cannot reach *acr*.
            ProviderUnavailable, ProviderMetadataInvalid: discovery or PAR failed.
        """
        return self._login.start_login(
            cookie,
            provider,
            client_key=client_key,
            acr=acr,
            max_age=max_age,
            force_login=force_login,
            step_up=step_up,
            login_hint=login_hint,
            ui_locales=ui_locales,
        )

    def complete_login(
        self, cookie: str | None, query: str | bytes, *, client_key: str
    ) -> LoginResult:
        """
        Complete a login from the provider's redirect to our callback.

        The transaction named by ``state`` is used up by this first callback,
        whatever happens (SEC-03): on success it is deleted in the same commit
        that writes the session (one atomic ``DELETE ... RETURNING``, so of two
        concurrent callbacks with the same state only one can succeed); on any
        failure it is deleted by a commit of its own before the error is raised.
        In order: it must belong to this browser
        session; the ``iss`` parameter must name its provider (RFC 9207, before any
        token request, SEC-05); the code is exchanged with client authentication;
        the ID token is validated (nonce, acr, max_age, at_hash); UserInfo, if
        configured, must name the same ``sub`` (SEC-13). Only then is a session
        written, under a new id (SEC-34).

        Args:
            cookie: The browser's session cookie value.
            query: The callback URL's query string.
            client_key: Who asks, for rate limiting.

        Raises:
            InvalidCallback: the response is malformed, replayed, not this
                session's, from the wrong issuer, or an error from the provider
                (``params["error"]`` holds its code).
            InvalidToken: the ID token or UserInfo failed validation.
            ProviderUnavailable: the provider could not be reached.
            RateLimited: too many callbacks from *client_key*.
        """
        return self._login.complete_login(cookie, query, client_key=client_key)

    def refresh(self, cookie: str | None) -> Session:
        """
        Refresh the session's tokens at its provider (OIDC Core §12).

        A new ID token, if returned, must keep the original ``iss``, ``sub``,
        ``aud``, ``azp`` and ``auth_time`` (§12.2, SEC-15).

        Raises:
            SessionExpired: no live signed-in session, or no refresh token.
            InvalidToken: the new ID token failed validation.
            InvalidCallback: the provider refused the refresh (``params["error"]``).
            ProviderUnavailable: the provider could not be reached.
        """
        return self._login.refresh(cookie)

    # --- accounts (the accounts component) ---------------------------------------------

    def register_account(
        self,
        cookie: str | None,
        *,
        personal: PersonalDetails,
        contact: ContactDetails,
        preferred_language: Language = Language.ENGLISH,
    ) -> tuple[ClientAccount, IssuedSession]:
        """
        Open an account for the new credential this session just authenticated.

        The account and its :class:`LinkedCredential` are written in one unit of
        work; the session is then signed in under a new id.

        Raises:
            SessionExpired: no live session with a new credential, or it is too old.
            Conflict: the credential was linked meanwhile.
        """
        return self._accounts.register_account(
            cookie, personal=personal, contact=contact, preferred_language=preferred_language
        )

    def link_credential(self, cookie: str | None) -> tuple[LinkedCredential, IssuedSession]:
        """
        Link the credential just authenticated in this session to the signed-in account.

        Both logins must be recent (``SessionPolicy.link_window``) and in this
        same session: someone holding only one of the two credentials cannot link.

        Raises:
            SessionExpired: not signed in, no new credential, or either login too old.
            Conflict: the credential is already linked to an account.
        """
        return self._accounts.link_credential(cookie)

    def claim_legacy_file(
        self,
        cookie: str | None,
        *,
        client_key: str,
        uci: str | None = None,
        date_of_birth: dt.date | None = None,
        application_number: str | None = None,
        code: str | None = None,
    ) -> LinkedLegacyFile:
        """
        Claim a paper or old-portal file into the signed-in account, with what the
        client knows: UCI, date of birth and application number together, or a
        one-time claim code.

        Failures are counted per account and per target person in the database;
        past ``ClaimPolicy.max_failures`` in a window, claims are refused for the
        lockout period even with the right details. Every attempt is audited.
        The error never says what did not match.

        Raises:
            LegacyClaimFailed: no match, already claimed elsewhere, or locked out.
            RateLimited: too many attempts from *client_key*.
            SessionExpired: not signed in.
            ConfigurationError: no verifier configured, or neither form of proof given.
        """
        return self._accounts.claim_legacy_file(
            cookie,
            client_key=client_key,
            uci=uci,
            date_of_birth=date_of_birth,
            application_number=application_number,
            code=code,
        )

    # --- logout (the logout component) -------------------------------------------------

    def logout(self, cookie: str | None) -> LogoutRedirect:
        """
        Log out: delete the local session first, then build the redirect to the
        provider with ``id_token_hint``, the registered ``post_logout_redirect_uri``
        and a fresh ``state`` (RP-Initiated Logout §2, SEC-43).

        Never raises for an unknown or expired cookie: the result is the same.
        """
        return self._logout.logout(cookie)

    def complete_logout(self, cookie: str | None, query: str | bytes) -> None:
        """
        Check the provider's return to our ``post_logout_redirect_uri``: its
        ``state`` must be the one this browser's logout sent (single use).

        Raises:
            InvalidCallback: missing, unknown, replayed or another session's ``state``.
        """
        self._logout.complete_logout(cookie, query)

    def handle_backchannel_logout(
        self,
        form_body: bytes | str,
        content_type: str,
        *,
        method: str = "POST",
        client_key: str | None = None,
    ) -> tuple[int, list[tuple[str, str]]]:
        """
        The back-channel logout endpoint (BCL 1.0 §2.5–2.8), framework-free.

        Answers 200 once every session of the token's ``sid`` (or, without one,
        of its ``sub``) at that issuer is gone, tokens included (SEC-47); 400 for
        anything else about the request (SEC-48), 405 for a method other than
        POST, 429 when rate-limited, 503 if the store failed (the provider
        retries). Every answer carries ``Cache-Control: no-store``. No cookie is read.

        BCL §2.5: only ``logout_token`` is read (it must appear exactly once);
        any other form value is ignored.

        Args:
            form_body: The raw request body (bytes, or text as some frameworks give it).
            content_type: The request's ``Content-Type`` header.
            method: The request method.
            client_key: The sender's address, for rate limiting.
        """
        return self._logout.handle_backchannel_logout(
            form_body, content_type, method=method, client_key=client_key
        )

    # --- sessions (the session component) ----------------------------------------------

    def get_session(self, cookie: str | None) -> Session:
        """
        The live session for *cookie*, after the idle and absolute checks (SEC-36).

        Raises:
            SessionExpired: unknown, logged out, timed out, or its account disabled.
        """
        return self._session_manager.get_session(cookie)

    def rotate(self, cookie: str | None, reason: RotationReason) -> IssuedSession:
        """
        Give the session a new id; the old one stops working at once (SEC-34).

        Raises:
            SessionExpired: no live session.
        """
        return self._session_manager.rotate(cookie, reason)

    def act_for(self, cookie: str | None, client_id: str | None) -> IssuedSession:
        """
        Start (or, with ``None``, stop) acting for a client; rotates the session id.

        Whether the person may act for *client_id* is the delegation policy's
        decision, made on every request; this only records the choice.

        Raises:
            SessionExpired: no live signed-in session.
        """
        return self._session_manager.act_for(cookie, client_id)

    def list_sessions(self, cookie: str | None) -> list[Session]:
        """
        The signed-in person's live sessions, newest first (SEC-39).

        Raises:
            SessionExpired: no live signed-in session.
        """
        return self._session_manager.list_sessions(cookie)

    def end_session(self, cookie: str | None, ref: str) -> bool:
        """
        End one of the signed-in person's own sessions, named by its ``ref`` (SEC-39).

        Returns whether a session was ended.

        Raises:
            SessionExpired: no live signed-in session.
        """
        return self._session_manager.end_session(cookie, ref)

    def end_all_sessions(self, account_id: str) -> int:
        """
        End every session of an account (administrators; account disabled or
        compromised; SEC-38, SEC-39). Returns how many ended.
        """
        return self._session_manager.end_all_sessions(account_id)

    def access_token(self, cookie: str | None) -> str:
        """
        The session's current access token, for calls the server makes on the person's behalf.

        Never send it to the browser (SEC-21). A DPoP-bound token (a provider
        with ``dpop=True``) is useless alone: use :meth:`authorization_headers`.
        A first login's session has its tokens too, before registration.

        Raises:
            SessionExpired: no live session with tokens.
        """
        return self._session_manager.access_token(cookie)

    def authorization_headers(
        self, cookie: str | None, method: str, url: str, *, nonce: str | None = None
    ) -> dict[str, str]:
        """
        The headers a server-side call to a resource on the person's behalf
        sends: ``Authorization: Bearer <token>``, or for a DPoP-bound token
        ``Authorization: DPoP <token>`` and a fresh ``DPoP`` proof for exactly
        this *method* and *url* (RFC 9449 §7.1). Never send them to the browser.

        Args:
            cookie: The browser's session cookie value.
            method: The request method (``"GET"``).
            url: The request URL (the proof's ``htu`` drops its query and fragment).
            nonce: The resource server's ``DPoP-Nonce``, when it answered 401
                with ``error="use_dpop_nonce"`` (retry once with it).

        Raises:
            SessionExpired: no live session with tokens.
            ConfigurationError: *method* or *url* is malformed.

        .. versionadded:: 0.2
        """
        return self._session_manager.authorization_headers(cookie, method, url, nonce=nonce)

    def require_assurance(
        self, session: Session, level: AssuranceLevel, *, max_age: int | None = None
    ) -> None:
        """
        Check that *session* is signed in at *level* or above, authenticated at
        most *max_age* seconds ago (SEC-12, SEC-40).

        Raises:
            SessionExpired: not signed in.
            StepUpRequired: too weak or too old. ``StepUpPlan.from_error(e)``
                gives the plan for :meth:`start_login`.
        """
        self._session_manager.require_assurance(session, level, max_age=max_age)
